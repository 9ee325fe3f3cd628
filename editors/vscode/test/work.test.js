'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const { ApiError, errorSentence } = require('../src/api');
const work = require('../src/work');

const STATES = [
  { id: 1, name: 'Backlog', category: 'backlog' },
  { id: 2, name: 'Todo', category: 'unstarted' },
  { id: 3, name: 'In Progress', category: 'started' },
  { id: 4, name: 'In Review', category: 'started' },
  { id: 5, name: 'Done', category: 'done' },
];

test('start and done pick the first state of their category', () => {
  assert.equal(work.pickState(STATES, { category: 'started' }, 'ENG').name, 'In Progress');
  assert.equal(work.pickState(STATES, { category: 'done' }, 'ENG').name, 'Done');
  assert.equal(work.pickState(STATES, { name: 'in review' }, 'ENG').id, 4);
});

test('an unknown state names the real ones', () => {
  assert.throws(
    () => work.pickState(STATES, { name: 'Limbo' }, 'ENG'),
    (error) =>
      error instanceof ApiError &&
      error.kind === 'usage' &&
      error.message === 'ENG has no state “Limbo”. States: Backlog, Todo, In Progress, In Review, Done.',
  );
});

const LINE = {
  aligned: true,
  roadmap_item: { id: 7, title: 'Fast boards', progress: 0.375, percent: 38, status: 'at_risk', basis: 'points' },
  key_results: [
    {
      id: 21, title: 'Board loads in 50 ms', progress: 0.25, percent: 25, status: 'off_track', weight: 1,
      objectives: [
        { id: 3, title: 'Snappy product', progress: 0.5, percent: 50, status: 'on_track' },
        { id: 1, title: 'Win the market', progress: null, percent: null, status: null },
      ],
    },
    { id: 22, title: 'No lost drags', progress: 1, percent: 100, status: 'on_track', objectives: [] },
  ],
  as_of: '2026-12-07T09:00:00Z',
};

test('the line shows the server percent and status, never a recomputation', () => {
  // percent 38 for progress 0.375: the server's rounding is what is shown.
  assert.deepEqual(
    work.lineRows(LINE).map((row) => [row.kind, row.title, row.figure, row.depth]),
    [
      ['roadmap_item', 'Fast boards', '38% · at risk', 0],
      ['key_result', 'KR 21: Board loads in 50 ms', '25% · off track', 1],
      ['objective', 'Snappy product', '50% · on track', 2],
      ['objective', 'Win the market', 'no progress yet', 3],
      ['key_result', 'KR 22: No lost drags', '100% · on track', 1],
    ],
  );
  assert.equal(work.stepFigure({ progress: 0.42 }), '42%');
});

test('the line nests each step under the one it serves', () => {
  const tree = work.nestRows(work.lineRows(LINE));
  assert.equal(tree.length, 1);
  assert.deepEqual(tree[0].children.map((kr) => kr.title), ['KR 21: Board loads in 50 ms', 'KR 22: No lost drags']);
  assert.equal(tree[0].children[0].children[0].children[0].title, 'Win the market');
  assert.equal(
    work.lineText(LINE).split('\n')[3],
    '            ↳ Win the market  no progress yet',
  );
});

test('an unaligned task says so', () => {
  assert.deepEqual(work.lineRows({ aligned: false, roadmap_item: null, key_results: [] }).map((row) => row.kind), ['unaligned']);
});

test('the status bar shows the key and state, or that the key is unknown', () => {
  const task = { key: 'ENG-1', state: { name: 'In Review' } };
  assert.equal(work.statusBarText({ key: 'ENG-1', task }), 'ENG-1 · In Review');
  assert.equal(work.statusBarText({ key: 'ENG-9', task: null }), 'ENG-9 · not found');
  assert.equal(work.statusBarText({ key: null, task: null }), '');
});

test('a task summary reads state, points and priority', () => {
  assert.equal(work.taskSummary({ state: { name: 'Todo' }, estimate: 3, priority: 2 }), 'Todo · 3 pts · high priority');
  assert.equal(work.taskSummary({ state: { name: 'Todo' }, estimate: null, priority: 0 }), 'Todo');
});

test('the task page address is under the workspace', () => {
  assert.equal(work.taskPageUrl('http://h:8000/', 'acme', 'ENG-1'), 'http://h:8000/w/acme/tasks/ENG-1/');
});

test('error bodies become one sentence with their fields', () => {
  const body = { error: { code: 'invalid', message: 'Some fields need attention.', fields: { body: ['This field may not be blank.'] } } };
  assert.equal(errorSentence(400, 'Bad Request', body).message, 'Some fields need attention. (body: This field may not be blank.)');
  assert.equal(errorSentence(502, 'Bad Gateway', null).message, 'The server answered 502 Bad Gateway.');
});
