// What the extension's commands do, on top of the API client: the same rules as the CLI
// (cli/alignment_cli/work.py). No `vscode` import, so `node --test` runs it against a live server.
'use strict';

const { ApiError } = require('./api');
const { keyFromBranch } = require('./keys');

const PRIORITY_NAMES = { 0: '', 1: 'urgent', 2: 'high', 3: 'medium', 4: 'low' };

/**
 * The state to move to: the first of the team's workflow in `category` (start → started,
 * done → done), or the one called `name` (case-insensitive).
 * @param {Array<{id: number, name: string, category: string}>} states
 * @param {{category?: string, name?: string}} wanted
 * @param {string} teamKey for the message
 */
function pickState(states, { category, name }, teamKey) {
  if (name !== undefined) {
    const found = states.find((state) => state.name.toLowerCase() === name.toLowerCase());
    if (!found) {
      const names = states.map((state) => state.name).join(', ');
      throw new ApiError(`${teamKey} has no state “${name}”. States: ${names}.`, { kind: 'usage' });
    }
    return found;
  }
  const found = states.find((state) => state.category === category);
  if (!found) throw new ApiError(`${teamKey} has no ${category} state.`, { kind: 'usage' });
  return found;
}

/**
 * Move a task to a state of its team's workflow, checked against the version just read.
 * @param {import('./api').AlignmentClient} client
 * @param {string} key
 * @param {{category?: string, name?: string}} wanted
 * @param {string} [idempotencyKey] the same for a retried user action
 */
async function moveTask(client, key, wanted, idempotencyKey) {
  const task = await client.task(key);
  const states = await client.states(task.team.id);
  const target = pickState(states, wanted, task.team.key);
  if (target.id === task.state.id) return task;
  return client.transition(task.key, target.id, task.version, idempotencyKey);
}

/** The names of a task's team's states, for the "move to" picker. */
async function statesOf(/** @type {import('./api').AlignmentClient} */ client, /** @type {string} */ key) {
  const task = await client.task(key);
  return { task, states: await client.states(task.team.id) };
}

/**
 * The current branch's task and its line to the objectives, or `key: null` when the branch names
 * no task of the workspace's teams.
 * @param {import('./api').AlignmentClient} client
 * @param {string|null|undefined} branch
 * @param {string[]} teamKeys
 */
async function branchTask(client, branch, teamKeys) {
  const key = keyFromBranch(branch, teamKeys);
  if (!key) return { key: null, task: null, line: null };
  try {
    // One after the other: an embedded (SQLite) server serves one writer at a time, and the
    // line is read after the task anyway when the view draws.
    const task = await client.task(key);
    const line = await client.alignment(task.key);
    return { key, task, line };
  } catch (error) {
    // A branch can name a task that was deleted or lives in another workspace: say so, calmly.
    if (error instanceof ApiError && error.kind === 'not_found') return { key, task: null, line: null };
    throw error;
  }
}

/**
 * One step's figure as the server's read model states it: its `percent` and status, never a
 * recomputation (servers before `percent` send only `progress`).
 * @param {{percent?: number|null, progress?: number|null, status?: string|null}} step
 */
function stepFigure(step) {
  let percent = step.percent;
  if ((percent === null || percent === undefined) && typeof step.progress === 'number') {
    percent = Math.round(step.progress * 100);
  }
  if (percent === null || percent === undefined) return 'no progress yet';
  const status = (step.status || '').replace(/_/g, ' ');
  return status ? `${percent}% · ${status}` : `${percent}%`;
}

/**
 * The line as rows to draw, top down: roadmap item, then each key result with its objectives
 * up to the company (one level deeper each).
 * @param {any} line the answer of GET tasks/<key>/alignment/
 * @returns {Array<{kind: 'unaligned'|'roadmap_item'|'key_result'|'objective', id: number|null, title: string, figure: string, depth: number}>}
 */
function lineRows(line) {
  if (!line || !line.aligned || !line.roadmap_item) {
    return [{ kind: 'unaligned', id: null, title: 'Unaligned: serves no key result yet', figure: '', depth: 0 }];
  }
  const rows = [];
  const item = line.roadmap_item;
  rows.push({ kind: 'roadmap_item', id: item.id, title: item.title, figure: stepFigure(item), depth: 0 });
  for (const keyResult of line.key_results || []) {
    rows.push({
      kind: 'key_result',
      id: keyResult.id,
      title: `KR ${keyResult.id}: ${keyResult.title}`,
      figure: stepFigure(keyResult),
      depth: 1,
    });
    (keyResult.objectives || []).forEach((objective, index) => {
      rows.push({ kind: 'objective', id: objective.id, title: objective.title, figure: stepFigure(objective), depth: 2 + index });
    });
  }
  return rows;
}

/**
 * The rows as a tree for the views: each row holds the rows one level deeper that follow it.
 * @param {ReturnType<typeof lineRows>} rows
 * @returns {Array<ReturnType<typeof lineRows>[number] & {children: any[]}>}
 */
function nestRows(rows) {
  /** @type {any[]} */
  const roots = [];
  /** @type {any[]} */
  const stack = [];
  for (const row of rows) {
    const node = { ...row, children: [] };
    while (stack.length && stack[stack.length - 1].depth >= row.depth) stack.pop();
    (stack.length ? stack[stack.length - 1].children : roots).push(node);
    stack.push(node);
  }
  return roots;
}

/** The task's page in the browser. @param {string} url @param {string} workspace @param {string} key */
function taskPageUrl(url, workspace, key) {
  return `${url.replace(/\/+$/, '')}/w/${encodeURIComponent(workspace)}/tasks/${encodeURIComponent(key)}/`;
}

/** The line as text, one `↳` per step, like `alignment task show`. @param {any} line */
function lineText(line) {
  return lineRows(line)
    .map((row) => `${'    '.repeat(row.depth)}↳ ${row.title}${row.figure ? `  ${row.figure}` : ''}`)
    .join('\n');
}

/**
 * The status bar's words for the branch's task.
 * @param {{key: string|null, task: any}} found
 */
function statusBarText(found) {
  if (!found.key) return '';
  if (!found.task) return `${found.key} · not found`;
  return `${found.task.key} · ${found.task.state.name}`;
}

/** A task's one-line summary: state, points, priority. @param {any} task */
function taskSummary(task) {
  const parts = [task.state.name];
  if (task.estimate !== null && task.estimate !== undefined) parts.push(`${task.estimate} pts`);
  const priority = PRIORITY_NAMES[/** @type {0|1|2|3|4} */ (task.priority || 0)];
  if (priority) parts.push(`${priority} priority`);
  return parts.join(' · ');
}

/**
 * Check a token and find its workspace: what “Sign in” stores.
 * @param {import('./api').AlignmentClient} client built with url and token, no workspace yet
 */
async function signIn(client) {
  const me = await client.me();
  if (!me || !me.token || !me.token.workspace) {
    throw new ApiError('That is not a workspace API token; create one on the API tokens page.', { kind: 'auth' });
  }
  return { user: me, workspace: me.token.workspace, scope: me.token.scope };
}

module.exports = {
  PRIORITY_NAMES,
  pickState,
  moveTask,
  statesOf,
  branchTask,
  stepFigure,
  lineRows,
  nestRows,
  taskPageUrl,
  lineText,
  statusBarText,
  taskSummary,
  signIn,
};
