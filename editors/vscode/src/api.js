// The Alignment REST API, as the CLI uses it (docs/api.md). No `vscode` import: the node test
// runner drives this module against a live server.
'use strict';

const { randomUUID } = require('node:crypto');

const VERSION = require('../package.json').version;

/** A failure to show the user as one sentence; `kind` says what the user can do about it. */
class ApiError extends Error {
  /**
   * @param {string} message
   * @param {{status?: number, code?: string, kind?: 'auth'|'not_found'|'conflict'|'network'|'usage'|'other', details?: object, retryAfter?: number}} [info]
   */
  constructor(message, info = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = info.status ?? 0;
    this.code = info.code ?? '';
    this.kind = info.kind ?? 'other';
    this.details = info.details ?? {};
    /** Seconds the server asked to wait (Retry-After of a 429), else 0. */
    this.retryAfter = info.retryAfter ?? 0;
  }
}

/**
 * The server's own sentence for a 4xx ({"error": {"message", "fields"}}), with field messages.
 * @param {number} status
 * @param {string} statusText
 * @param {any} body
 * @returns {{message: string, code: string, details: object}}
 */
function errorSentence(status, statusText, body) {
  const error = body && typeof body === 'object' ? body.error : null;
  if (!error || typeof error !== 'object') {
    return { message: `The server answered ${status} ${statusText}.`, code: '', details: {} };
  }
  const fields = Object.entries(error.fields || {}).map(
    ([name, messages]) => `${name}: ${Array.isArray(messages) ? messages.join(' ') : messages}`,
  );
  const message = String(error.message || statusText) + (fields.length ? ` (${fields.join('; ')})` : '');
  return { message, code: String(error.code || ''), details: error.details || {} };
}

/** @param {number} status */
function kindOf(status) {
  if (status === 401 || status === 403) return 'auth';
  if (status === 404) return 'not_found';
  if (status === 409 || status === 412) return 'conflict';
  return 'other';
}

/** Retry a write with the same Idempotency-Key after these: nothing was written, or it was once. */
function isRetryable(/** @type {ApiError} */ error) {
  return (
    error.kind === 'network' ||
    error.status >= 500 ||
    error.code === 'idempotency_in_progress' ||
    error.status === 429
  );
}

const sleep = (/** @type {number} */ ms) => new Promise((resolve) => setTimeout(resolve, ms));

class AlignmentClient {
  /**
   * @param {{url: string, token: string, workspace?: string, timeoutMs?: number, retries?: number, fetch?: typeof fetch}} options
   */
  constructor({ url, token, workspace = '', timeoutMs = 15000, retries = 3, fetch: fetchImpl }) {
    this.url = String(url || '').replace(/\/+$/, '');
    this.token = token;
    this.workspace = workspace;
    this.timeoutMs = timeoutMs;
    this.retries = retries;
    this._fetch = fetchImpl || globalThis.fetch;
  }

  get api() {
    return `${this.url}/api/v1`;
  }

  get workspaceApi() {
    if (!this.workspace) throw new ApiError('Sign in first: no workspace is known yet.', { kind: 'auth' });
    return `${this.api}/workspaces/${encodeURIComponent(this.workspace)}`;
  }

  /**
   * One HTTP exchange; every failure becomes an ApiError with a sentence.
   * @param {string} method
   * @param {string} path absolute URL or a path under the server
   * @param {{body?: any, query?: Record<string, any>, headers?: Record<string, string>}} [options]
   * @returns {Promise<{data: any, headers: Headers, status: number}>}
   */
  async send(method, path, { body, query, headers = {} } = {}) {
    const url = new URL(path.startsWith('http') ? path : `${this.url}${path}`);
    for (const [name, value] of Object.entries(query || {})) {
      if (value === undefined || value === null) continue;
      for (const one of Array.isArray(value) ? value : [value]) url.searchParams.append(name, String(one));
    }
    /** @type {Record<string, string>} */
    const sent = {
      Authorization: `Bearer ${this.token}`,
      Accept: 'application/json',
      'User-Agent': `alignment-vscode/${VERSION}`,
      ...headers,
    };
    if (body !== undefined) sent['Content-Type'] = 'application/json';
    let response;
    try {
      response = await this._fetch(url, {
        method,
        headers: sent,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (cause) {
      const timedOut = cause && (cause.name === 'TimeoutError' || cause.name === 'AbortError');
      throw new ApiError(
        timedOut
          ? `${this.url} did not answer in time.`
          : `Cannot reach ${this.url}: is the server running and the URL right?`,
        { kind: 'network' },
      );
    }
    const text = await response.text();
    let data = null;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        if (response.ok) {
          throw new ApiError(`${url} did not answer with JSON; is ${this.url} an Alignment server?`);
        }
      }
    }
    if (!response.ok) {
      const { message, code, details } = errorSentence(response.status, response.statusText, data);
      const hint = response.status === 401 ? ' Run “Alignment: Sign in” with a valid token.' : '';
      throw new ApiError(message + hint, {
        status: response.status,
        code,
        details,
        kind: kindOf(response.status),
        retryAfter: Number(response.headers.get('retry-after')) || 0,
      });
    }
    return { data, headers: response.headers, status: response.status };
  }

  /**
   * A read; retried like a write after a network failure, a 5xx or a 429, since it changes nothing.
   * @param {string} path @param {Record<string, any>} [query]
   */
  async get(path, query) {
    return (await this.retrying(() => this.send('GET', path, { query }))).data;
  }

  /**
   * Run `attempt` until it succeeds, fails for good, or `retries` more tries are spent.
   * @template T @param {() => Promise<T>} attempt @returns {Promise<T>}
   */
  async retrying(attempt) {
    for (let tries = 0; ; tries += 1) {
      try {
        return await attempt();
      } catch (error) {
        if (!(error instanceof ApiError) || !isRetryable(error) || tries >= this.retries) throw error;
        await sleep(Math.min(5000, Math.max(error.retryAfter * 1000, 200 * 2 ** tries)));
      }
    }
  }

  /**
   * A write sent with an Idempotency-Key, and sent again with the same key after a network
   * failure, a 5xx or a 409 "in progress": the server then answers the first result, so the
   * change happens once (docs/api.md, "Exactly once").
   * @param {string} method
   * @param {string} path
   * @param {any} body
   * @param {{idempotencyKey?: string, headers?: Record<string, string>}} [options]
   */
  async write(method, path, body, { idempotencyKey = randomUUID(), headers = {} } = {}) {
    return this.retrying(() =>
      this.send(method, path, { body, headers: { ...headers, 'Idempotency-Key': idempotencyKey } }),
    );
  }

  // --- what the extension reads and writes ---------------------------------------------------

  /** Who the token belongs to; `token.workspace` is the workspace it is bound to. */
  me() {
    return this.get(`${this.api}/me/`);
  }

  /** @returns {Promise<Array<{id: number, key: string, name: string}>>} */
  teams() {
    return this.get(`${this.workspaceApi}/teams/`);
  }

  /**
   * Open tasks assigned to the user (not done or canceled), newest first, up to `limit`.
   * @param {number} userId
   * @param {number} [limit]
   */
  async myOpenTasks(userId, limit = 100) {
    const page = await this.get(`${this.workspaceApi}/tasks/`, {
      assignee: userId,
      state_category: ['backlog', 'unstarted', 'started'],
      page_size: limit,
    });
    return page.results;
  }

  /** @param {string} key */
  task(key) {
    return this.get(`${this.workspaceApi}/tasks/${encodeURIComponent(key)}/`);
  }

  /** The task's line: roadmap item → key results → objectives, each with the read model's numbers. */
  alignment(/** @type {string} */ key) {
    return this.get(`${this.workspaceApi}/tasks/${encodeURIComponent(key)}/alignment/`);
  }

  /** @param {number} teamId @returns {Promise<Array<{id: number, name: string, category: string}>>} */
  states(teamId) {
    return this.get(`${this.workspaceApi}/workflow-states/`, { team: teamId });
  }

  /**
   * Move a task to a state; `version` makes a concurrent change answer 409 instead of being lost.
   * @param {string} key @param {number} stateId @param {number} version @param {string} [idempotencyKey]
   */
  async transition(key, stateId, version, idempotencyKey) {
    const { data } = await this.write(
      'POST',
      `${this.workspaceApi}/tasks/${encodeURIComponent(key)}/transition/`,
      { state: stateId, version },
      { idempotencyKey },
    );
    return data;
  }

  /** @param {string} key @param {string} body @param {string} [idempotencyKey] */
  async comment(key, body, idempotencyKey) {
    const { data } = await this.write(
      'POST',
      `${this.workspaceApi}/tasks/${encodeURIComponent(key)}/comments/`,
      { body },
      { idempotencyKey },
    );
    return data;
  }

  /** @param {string} key */
  comments(key) {
    return this.get(`${this.workspaceApi}/tasks/${encodeURIComponent(key)}/comments/`);
  }
}

module.exports = { AlignmentClient, ApiError, errorSentence, isRetryable };
