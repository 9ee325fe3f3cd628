'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const { extractTaskKeys, keyFromBranch, branchName, withTaskKey } = require('../src/keys');

const TEAMS = ['ENG', 'PLT'];

test('a branch names its task in lower case, with or without a prefix', () => {
  assert.equal(keyFromBranch('eng-123-fix-login', TEAMS), 'ENG-123');
  assert.equal(keyFromBranch('feature/plt-7-cache', TEAMS), 'PLT-7');
  assert.equal(keyFromBranch('ENG-42', TEAMS), 'ENG-42');
});

test('branches without a key of a known team name no task', () => {
  assert.equal(keyFromBranch('main', TEAMS), null);
  assert.equal(keyFromBranch('fix/typo-in-readme', TEAMS), null);
  assert.equal(keyFromBranch('bump-utf-8-parser', TEAMS), null);
  assert.equal(keyFromBranch('', TEAMS), null);
  assert.equal(keyFromBranch(undefined, TEAMS), null);
});

test('keys follow the server: leading zeros dropped, zero and glued keys refused', () => {
  assert.deepEqual(extractTaskKeys(['ENG-012 and eng-12 again'], TEAMS), ['ENG-12']);
  assert.deepEqual(extractTaskKeys(['ENG-0', 'xENG-1', 'ENG-1a', 'ENG-2.1'], TEAMS), ['ENG-2']);
  assert.deepEqual(extractTaskKeys(['PLT-3 then ENG-1', null, 'ENG-1'], TEAMS), ['PLT-3', 'ENG-1']);
});

test('a branch name is the key and a short slug of the title, as the CLI makes it', () => {
  const title = 'Fix the login: lock-out after 5 failures from one address!';
  assert.equal(branchName('ENG-12', title), 'eng-12-fix-the-login-lock-out-after-5-failures');
  assert.equal(branchName('ENG-12', '!!!'), 'eng-12');
  assert.equal(branchName('ENG-3', 'a'.repeat(50)), `eng-3-${'a'.repeat(40)}`);
});

test('the task key goes in front of the commit message once', () => {
  assert.equal(withTaskKey('Batch the invoice e-mails', 'DAT-94', TEAMS), 'DAT-94 Batch the invoice e-mails');
  assert.equal(withTaskKey('', 'ENG-1', TEAMS), 'ENG-1 ');
  assert.equal(withTaskKey('  Fix it\n\nBody', 'ENG-1', TEAMS), 'ENG-1 Fix it\n\nBody');
  assert.equal(withTaskKey('ENG-1 Fix it', 'ENG-1', TEAMS), 'ENG-1 Fix it');
  assert.equal(withTaskKey('Fix it (plt-9)', 'ENG-1', TEAMS), 'Fix it (plt-9)');
  assert.equal(withTaskKey('Use UTF-8', 'ENG-1', TEAMS), 'ENG-1 Use UTF-8');
});
