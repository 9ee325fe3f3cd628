// Task keys in branch names and commit messages, found exactly as the server's integrations find
// them (integrations/keys.py), and branch names made as the CLI makes them (cli/alignment_cli/git.py).
'use strict';

// A team key is 2–10 letters or digits starting with a letter. Branches are often lower-case
// ("eng-12-fix-login"), so matching ignores case and the key is upper-cased; the lookarounds
// keep "xENG-1", "ENG-1a" and "ENG-1.2"... from matching, as on the server.
const KEY = /(?<![A-Za-z0-9])([A-Za-z][A-Za-z0-9]{1,9})-(\d{1,9})(?![A-Za-z0-9])/g;

/**
 * Task keys named in `texts`, in order of first mention, once each. Only keys of the given teams
 * count ("UTF-8" is not a task key unless a team is called UTF); leading zeros are dropped
 * (ENG-012 is ENG-12) and number 0 is no task.
 * @param {Iterable<string|null|undefined>} texts
 * @param {Iterable<string>} teamKeys
 * @returns {string[]}
 */
function extractTaskKeys(texts, teamKeys) {
  const wanted = new Set([...teamKeys].map((key) => key.toUpperCase()));
  /** @type {Set<string>} */
  const found = new Set();
  for (const text of texts) {
    if (!text) continue;
    for (const match of text.matchAll(KEY)) {
      const team = match[1].toUpperCase();
      const number = Number.parseInt(match[2], 10);
      if (wanted.has(team) && number > 0) found.add(`${team}-${number}`);
    }
  }
  return [...found];
}

/**
 * The task key a branch is named for (`feature/eng-12-login` → `ENG-12`), or null.
 * @param {string|null|undefined} branch
 * @param {Iterable<string>} teamKeys
 */
function keyFromBranch(branch, teamKeys) {
  return extractTaskKeys([branch], teamKeys)[0] || null;
}

/** @param {string} text @param {number} [limit] */
function slugify(text, limit = 40) {
  let slug = text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  if (slug.length > limit) {
    const cut = slug.slice(0, limit);
    const lastDash = cut.lastIndexOf('-');
    slug = lastDash > 0 ? cut.slice(0, lastDash) : cut;
  }
  return slug;
}

/**
 * `key-short-title`, e.g. `eng-12-fix-login`: the same name `alignment branch` makes.
 * @param {string} key @param {string} title
 */
function branchName(key, title) {
  const slug = slugify(title || '');
  return slug ? `${key.toLowerCase()}-${slug}` : key.toLowerCase();
}

/**
 * The commit message with the task key in front of its first line, as the CLI's hook writes it
 * ("ENG-12 Fix the login"). A message that already names a task of these teams is left alone.
 * @param {string} message @param {string} key @param {Iterable<string>} teamKeys
 */
function withTaskKey(message, key, teamKeys) {
  const teams = new Set([...teamKeys, key.split('-')[0]]);
  if (extractTaskKeys([message], teams).length) return message;
  if (!message.trim()) return `${key} `;
  return `${key} ${message.replace(/^\s+/, '')}`;
}

module.exports = { extractTaskKeys, keyFromBranch, slugify, branchName, withTaskKey };
