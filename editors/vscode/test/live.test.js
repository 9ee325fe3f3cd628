// The extension's logic against a LIVE Alignment server, over real HTTP. tests/editors/
// test_vscode_extension.py starts the server with seeded data and runs this file with:
//   ALIGNMENT_TEST_URL    the server's address
//   ALIGNMENT_TEST_TOKEN  a write token of the member who owns the seeded tasks
//   ALIGNMENT_TEST_SEED   JSON: what was seeded (keys, titles, the read model's percents)
//   ALIGNMENT_TEST_REPORT a file to write what the extension showed last, for pytest to check
// Without them (e.g. `npm test` alone) these tests are skipped; pytest fails under CI=true.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { AlignmentClient, ApiError } = require('../src/api');
const work = require('../src/work');

const URL_ = process.env.ALIGNMENT_TEST_URL;
const TOKEN = process.env.ALIGNMENT_TEST_TOKEN;
const SEED = process.env.ALIGNMENT_TEST_SEED ? JSON.parse(process.env.ALIGNMENT_TEST_SEED) : null;
const skip = !(URL_ && TOKEN && SEED) && 'set ALIGNMENT_TEST_URL, ALIGNMENT_TEST_TOKEN and ALIGNMENT_TEST_SEED';

/** A client signed in as the extension's “Sign in” does it. */
async function signedIn(options = {}) {
  const client = new AlignmentClient({ url: URL_, token: TOKEN, ...options });
  const session = await work.signIn(client);
  client.workspace = session.workspace;
  return { client, ...session, teamKeys: (await client.teams()).map((team) => team.key) };
}

/** @param {any} line */
function percents(line) {
  return Object.fromEntries(work.lineRows(line).map((row) => [row.title, row.figure]));
}

test('signing in finds the token’s workspace and user', { skip }, async () => {
  const { user, workspace, scope, teamKeys } = await signedIn();
  assert.equal(workspace, SEED.workspace);
  assert.equal(user.email, SEED.email);
  assert.equal(scope, 'write');
  assert.deepEqual(teamKeys.sort(), [...SEED.team_keys].sort());
});

test('a wrong token is refused with the server’s sentence', { skip }, async () => {
  const client = new AlignmentClient({ url: URL_, token: 'aln_wrong' });
  await assert.rejects(work.signIn(client), (error) => {
    assert.ok(error instanceof ApiError);
    assert.equal(error.status, 401);
    assert.equal(error.kind, 'auth');
    assert.match(error.message, /^The API token is not valid\..*Sign in/);
    return true;
  });
});

test('an unreachable server is a sentence, not a stack trace', { skip }, async () => {
  const client = new AlignmentClient({ url: 'http://127.0.0.1:9', token: TOKEN, retries: 0 });
  await assert.rejects(client.me(), (error) => error.kind === 'network' && /^Cannot reach http:\/\/127\.0\.0\.1:9/.test(error.message));
});

test('my tasks are my open tasks only', { skip }, async () => {
  const { client, user } = await signedIn();
  const tasks = await client.myOpenTasks(user.id);
  assert.deepEqual(tasks.map((task) => task.key).sort(), [...SEED.my_open_keys].sort());
});

test('the branch’s task comes with its line and the read model’s numbers', { skip }, async () => {
  const { client, teamKeys } = await signedIn();
  const found = await work.branchTask(client, `feature/${SEED.task_key.toLowerCase()}-speed-up`, teamKeys);
  assert.equal(found.key, SEED.task_key);
  assert.equal(found.task.title, SEED.task_title);
  assert.deepEqual(percents(found.line), SEED.line_before);
  assert.equal(work.statusBarText(found), `${SEED.task_key} · ${SEED.state_before}`);
});

test('a branch without a task key, or with an unknown one, names no task', { skip }, async () => {
  const { client, teamKeys } = await signedIn();
  assert.deepEqual(await work.branchTask(client, 'main', teamKeys), { key: null, task: null, line: null });
  const missing = `${teamKeys[0]}-99999`;
  assert.deepEqual(await work.branchTask(client, missing.toLowerCase(), teamKeys), { key: missing, task: null, line: null });
});

test('moving to a state that does not exist names the real ones and changes nothing', { skip }, async () => {
  const { client } = await signedIn();
  await assert.rejects(work.moveTask(client, SEED.task_key, { name: 'Limbo' }), /has no state “Limbo”\. States: .*Done/);
  assert.equal((await client.task(SEED.task_key)).state.name, SEED.state_before);
});

test('a stale version is refused (409), not written over', { skip }, async () => {
  const { client } = await signedIn();
  const task = await client.task(SEED.other_key);
  const states = await client.states(task.team.id);
  const started = work.pickState(states, { category: 'started' }, task.team.key);
  await assert.rejects(client.transition(task.key, started.id, task.version + 5), (error) => {
    assert.equal(error.status, 409);
    assert.equal(error.kind, 'conflict');
    return true;
  });
  assert.equal((await client.task(SEED.other_key)).state.id, task.state.id);
});

test('a comment whose answer was lost is sent again with its key and stored once', { skip }, async () => {
  let calls = 0;
  let loseNextAnswer = false;
  /** The request reaches the server, but an answer can be “lost” on the way back. */
  const losingFetch = async (/** @type {any} */ url, /** @type {any} */ init) => {
    calls += 1;
    const response = await fetch(url, init);
    if (loseNextAnswer) {
      loseNextAnswer = false;
      throw new TypeError('fetch failed (connection reset)');
    }
    return response;
  };
  const { client } = await signedIn({ fetch: losingFetch });
  calls = 0;
  loseNextAnswer = true;
  const text = `Lost answers are fine ${Date.now()}`;
  const comment = await client.comment(SEED.task_key, text);
  assert.equal(calls, 2);
  assert.equal(comment.body, text);
  const page = await client.comments(SEED.task_key);
  const rows = Array.isArray(page) ? page : page.results;
  assert.equal(rows.filter((row) => row.body === text).length, 1);
});

test('the same Idempotency-Key answers the first comment again', { skip }, async () => {
  const { client } = await signedIn();
  const key = `vscode-test-${Date.now()}`;
  const first = await client.write('POST', `${client.workspaceApi}/tasks/${SEED.task_key}/comments/`, { body: 'Once' }, { idempotencyKey: key });
  const again = await client.write('POST', `${client.workspaceApi}/tasks/${SEED.task_key}/comments/`, { body: 'Once' }, { idempotencyKey: key });
  assert.equal(again.data.id, first.data.id);
  assert.equal(again.headers.get('idempotent-replayed'), 'true');
});

test('start, then done, follow the team workflow and move the line', { skip }, async () => {
  const { client, teamKeys } = await signedIn();
  const started = await work.moveTask(client, SEED.task_key, { category: 'started' });
  assert.equal(started.state.category, 'started');
  const done = await work.moveTask(client, SEED.task_key, { category: 'done' });
  assert.equal(done.state.category, 'done');

  const found = await work.branchTask(client, SEED.task_key.toLowerCase(), teamKeys);
  assert.equal(work.statusBarText(found), `${SEED.task_key} · ${done.state.name}`);
  assert.notDeepEqual(percents(found.line), SEED.line_before);
  const { user } = await signedIn();
  assert.ok(!(await client.myOpenTasks(user.id)).some((task) => task.key === SEED.task_key));
  // pytest compares these with the read model's rows once this run is over.
  if (process.env.ALIGNMENT_TEST_REPORT) {
    fs.writeFileSync(process.env.ALIGNMENT_TEST_REPORT, JSON.stringify({ rows: work.lineRows(found.line), state: done.state.name }));
  }
});
