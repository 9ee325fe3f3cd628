// The VS Code side: views, commands, status bar, secret storage and git. Rules and HTTP live in
// api.js, keys.js and work.js (no `vscode` there), which the node test runner checks against a
// live server; this file only wires them to the editor.
'use strict';

const vscode = require('vscode');
const { AlignmentClient, ApiError } = require('./api');
const keys = require('./keys');
const work = require('./work');

const TOKEN_SECRET = 'alignment.token';

/** @typedef {{client: AlignmentClient, user: any, workspace: string, teamKeys: string[]}} Session */

class Extension {
  /** @param {vscode.ExtensionContext} context */
  constructor(context) {
    this.context = context;
    /** @type {Session|null} */
    this.session = null;
    /** @type {any} the built-in git extension's API (version 1), or null without git */
    this.git = null;
    /** @type {{key: string|null, task: any, line: any}} */
    this.branch = { key: null, task: null, line: null };
    this.branchError = '';
    this.output = vscode.window.createOutputChannel('Alignment');
    this.myTasks = new MyTasksView(this);
    this.branchView = new BranchTaskView(this);
    this.status = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Left, 50);
    this.status.name = 'Alignment task';
    this.status.command = 'alignment.branchTaskActions';
    /** @type {NodeJS.Timeout|undefined} */
    this.timer = undefined;
    /** @type {Set<any>} repositories whose changes we follow */
    this.watched = new Set();
  }

  get serverUrl() {
    return String(vscode.workspace.getConfiguration('alignment').get('serverUrl') || '').replace(/\/+$/, '');
  }

  async activate() {
    const { context } = this;
    context.subscriptions.push(
      this.output,
      this.status,
      vscode.window.registerTreeDataProvider('alignment.myTasks', this.myTasks),
      vscode.window.registerTreeDataProvider('alignment.branchTask', this.branchView),
    );
    const commands = {
      'alignment.signIn': () => this.signIn(),
      'alignment.signOut': () => this.signOut(),
      'alignment.refresh': () => this.refresh(),
      'alignment.startTask': (/** @type {any} */ arg) => this.move(arg, { category: 'started' }),
      'alignment.doneTask': (/** @type {any} */ arg) => this.move(arg, { category: 'done' }),
      'alignment.moveTask': (/** @type {any} */ arg) => this.moveToNamedState(arg),
      'alignment.commentTask': (/** @type {any} */ arg) => this.comment(arg),
      'alignment.createBranch': (/** @type {any} */ arg) => this.createBranch(arg),
      'alignment.insertTaskKey': (/** @type {any} */ arg) => this.insertTaskKey(arg),
      'alignment.openTask': (/** @type {any} */ arg) => this.openTask(arg),
      'alignment.branchTaskActions': () => this.branchTaskActions(),
    };
    for (const [name, run] of Object.entries(commands)) {
      context.subscriptions.push(vscode.commands.registerCommand(name, (arg) => this.guard(() => run(arg))));
    }
    context.subscriptions.push(
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (event.affectsConfiguration('alignment.serverUrl')) this.guard(() => this.restoreSession());
        if (event.affectsConfiguration('alignment.refreshSeconds')) this.schedule();
      }),
      context.secrets.onDidChange((event) => {
        if (event.key === TOKEN_SECRET) this.guard(() => this.restoreSession());
      }),
      { dispose: () => this.timer && clearInterval(this.timer) },
    );
    await this.connectGit();
    await this.guard(() => this.restoreSession());
    this.schedule();
  }

  /** Run a command; show failures as the sentence they carry, with Sign in when that helps. */
  async guard(/** @type {() => any} */ run) {
    try {
      return await run();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.output.appendLine(`error: ${message}`);
      if (error instanceof ApiError && error.kind === 'auth' && error.status === 401) {
        const choice = await vscode.window.showErrorMessage(message, 'Sign in');
        if (choice === 'Sign in') await vscode.commands.executeCommand('alignment.signIn');
      } else {
        vscode.window.showErrorMessage(message);
      }
      return undefined;
    }
  }

  schedule() {
    if (this.timer) clearInterval(this.timer);
    const seconds = Number(vscode.workspace.getConfiguration('alignment').get('refreshSeconds')) || 0;
    this.timer = seconds > 0 ? setInterval(() => this.refresh().catch(() => undefined), seconds * 1000) : undefined;
  }

  // --- sign in -------------------------------------------------------------------------------

  async restoreSession() {
    const token = await this.context.secrets.get(TOKEN_SECRET);
    const url = this.serverUrl;
    this.session = null;
    if (token && url) {
      const client = new AlignmentClient({ url, token });
      try {
        const { user, workspace } = await work.signIn(client);
        client.workspace = workspace;
        const teamKeys = (await client.teams()).map((team) => team.key);
        this.session = { client, user, workspace, teamKeys };
      } catch (error) {
        // Keep the token (the server may be down for a minute); the views say what is wrong.
        this.output.appendLine(`sign-in check failed: ${error instanceof Error ? error.message : error}`);
        if (!(error instanceof ApiError) || error.kind !== 'network') throw error;
      }
    }
    await vscode.commands.executeCommand('setContext', 'alignment.signedIn', Boolean(this.session));
    await this.refresh();
  }

  async signIn() {
    const url = await vscode.window.showInputBox({
      title: 'Alignment: server address',
      value: this.serverUrl || 'http://127.0.0.1:8000',
      prompt: 'The address you open Alignment at',
      ignoreFocusOut: true,
      validateInput: (value) => (/^https?:\/\/\S+$/.test(value.trim()) ? null : 'An http:// or https:// address'),
    });
    if (!url) return;
    const token = await vscode.window.showInputBox({
      title: 'Alignment: API token',
      prompt: 'Create one on Settings → API tokens (write scope to change tasks). It is kept in VS Code secret storage.',
      password: true,
      ignoreFocusOut: true,
      validateInput: (value) => (value.trim() ? null : 'Paste the token'),
    });
    if (!token) return;
    const client = new AlignmentClient({ url: url.trim(), token: token.trim() });
    const { user, workspace, scope } = await work.signIn(client);
    // The address is a setting (shared, visible); the token only ever goes to secret storage.
    await vscode.workspace.getConfiguration('alignment').update('serverUrl', client.url, vscode.ConfigurationTarget.Global);
    await this.context.secrets.store(TOKEN_SECRET, token.trim());
    await this.restoreSession();
    vscode.window.showInformationMessage(`Signed in to Alignment as ${user.email} in workspace ${workspace} (${scope} scope).`);
  }

  async signOut() {
    await this.context.secrets.delete(TOKEN_SECRET);
    this.session = null;
    await vscode.commands.executeCommand('setContext', 'alignment.signedIn', false);
    await this.refresh();
    vscode.window.showInformationMessage('Signed out of Alignment; the token was removed from secret storage.');
  }

  /** @returns {Session} */
  requireSession() {
    if (!this.session) throw new ApiError('Sign in to Alignment first (“Alignment: Sign in”).', { kind: 'auth', status: 401 });
    return this.session;
  }

  // --- git -----------------------------------------------------------------------------------

  async connectGit() {
    const extension = vscode.extensions.getExtension('vscode.git');
    if (!extension) return;
    try {
      const exports = extension.isActive ? extension.exports : await extension.activate();
      this.git = exports.getAPI(1);
    } catch (error) {
      this.output.appendLine(`git is not available: ${error}`);
      return;
    }
    const follow = (/** @type {any} */ repo) => {
      if (this.watched.has(repo)) return;
      this.watched.add(repo);
      let head = repo.state.HEAD?.name;
      this.context.subscriptions.push(
        repo.state.onDidChange(() => {
          // The state changes on every file save; only a new branch changes the branch's task.
          if (repo.state.HEAD?.name === head) return;
          head = repo.state.HEAD?.name;
          this.refreshBranch().catch(() => undefined);
        }),
      );
    };
    this.git.repositories.forEach(follow);
    this.context.subscriptions.push(
      this.git.onDidOpenRepository((/** @type {any} */ repo) => {
        follow(repo);
        this.refreshBranch().catch(() => undefined);
      }),
      vscode.window.onDidChangeActiveTextEditor(() => this.refreshBranch().catch(() => undefined)),
    );
  }

  /** The repository of the active editor's file, else the first one open. */
  repository() {
    if (!this.git || !this.git.repositories.length) return null;
    const uri = vscode.window.activeTextEditor?.document.uri;
    return (uri && this.git.getRepository(uri)) || this.git.repositories[0];
  }

  currentBranchName() {
    return this.repository()?.state.HEAD?.name || '';
  }

  // --- refresh -------------------------------------------------------------------------------

  async refresh() {
    this.myTasks.reload();
    await this.refreshBranch();
  }

  async refreshBranch() {
    this.branchError = '';
    if (!this.session) {
      this.branch = { key: null, task: null, line: null };
    } else {
      try {
        const { client, teamKeys } = this.session;
        this.branch = await work.branchTask(client, this.currentBranchName(), teamKeys);
      } catch (error) {
        this.branch = { key: null, task: null, line: null };
        this.branchError = error instanceof Error ? error.message : String(error);
      }
    }
    this.updateStatusBar();
    this.branchView.reload();
  }

  updateStatusBar() {
    const text = work.statusBarText(this.branch);
    if (!text) {
      this.status.hide();
      return;
    }
    this.status.text = `$(tasklist) ${text}`;
    const { task, line } = this.branch;
    const tooltip = new vscode.MarkdownString();
    if (task) {
      tooltip.appendMarkdown(`**${task.key}** ${escapeMarkdown(task.title)}\n\n${escapeMarkdown(work.taskSummary(task))}\n\n`);
      tooltip.appendCodeblock(work.lineText(line), 'text');
      tooltip.appendMarkdown('\nClick for start, move, done, comment.');
    } else {
      tooltip.appendMarkdown(`The branch names ${this.branch.key}, which is not a task of this workspace.`);
    }
    this.status.tooltip = tooltip;
    this.status.show();
  }

  // --- which task a command is about ---------------------------------------------------------

  /**
   * The task key of a command: the tree item it was run on, else the branch's task, else one
   * picked from my open tasks.
   * @param {any} arg
   * @param {string} [placeHolder]
   */
  async resolveKey(arg, placeHolder = 'Which task?') {
    const { client, user } = this.requireSession();
    if (arg && arg.task && arg.task.key) return arg.task.key;
    if (typeof arg === 'string' && arg) return arg.toUpperCase();
    if (this.branch.task) return this.branch.task.key;
    const tasks = await client.myOpenTasks(user.id);
    if (!tasks.length) throw new ApiError('You have no open tasks assigned to you.', { kind: 'usage' });
    const picked = await vscode.window.showQuickPick(
      tasks.map((/** @type {any} */ task) => ({ label: task.key, description: task.title, detail: work.taskSummary(task) })),
      { placeHolder, matchOnDescription: true },
    );
    return picked ? picked.label : null;
  }

  // --- commands ------------------------------------------------------------------------------

  /** @param {any} arg @param {{category?: string, name?: string}} wanted */
  async move(arg, wanted) {
    const key = await this.resolveKey(arg, wanted.category === 'done' ? 'Which task is done?' : 'Which task to start?');
    if (!key) return;
    const moved = await work.moveTask(this.requireSession().client, key, wanted);
    vscode.window.setStatusBarMessage(`$(check) ${moved.key} → ${moved.state.name}`, 5000);
    await this.refresh();
  }

  /** @param {any} arg */
  async moveToNamedState(arg) {
    const key = await this.resolveKey(arg, 'Which task to move?');
    if (!key) return;
    const { task, states } = await work.statesOf(this.requireSession().client, key);
    const picked = await vscode.window.showQuickPick(
      states.map((state) => ({
        label: state.name,
        description: state.id === task.state.id ? 'current' : state.category,
      })),
      { placeHolder: `Move ${task.key} to…` },
    );
    if (!picked) return;
    await this.move(key, { name: picked.label });
  }

  /** @param {any} arg */
  async comment(arg) {
    const key = await this.resolveKey(arg, 'Comment on which task?');
    if (!key) return;
    const body = await vscode.window.showInputBox({
      title: `Comment on ${key}`,
      prompt: 'Mention people with @name',
      ignoreFocusOut: true,
      validateInput: (value) => (value.trim() ? null : 'Write something'),
    });
    if (!body) return;
    await this.requireSession().client.comment(key, body.trim());
    vscode.window.setStatusBarMessage(`$(comment) Commented on ${key}`, 5000);
  }

  /** @param {any} arg */
  async createBranch(arg) {
    const repo = this.repository();
    if (!repo) throw new ApiError('Open a folder with a git repository first.', { kind: 'usage' });
    const key = await this.resolveKeyForBranch(arg);
    if (!key) return;
    const task = await this.requireSession().client.task(key);
    const name = keys.branchName(task.key, task.title);
    await repo.createBranch(name, true);
    await this.refreshBranch();
    const choice = await vscode.window.showInformationMessage(
      `Switched to a new branch '${name}'.`,
      ...(task.state.category === 'started' ? [] : ['Start task']),
    );
    if (choice === 'Start task') await this.move(task.key, { category: 'started' });
  }

  /** A branch is for another task than the current branch's: never default to that one. */
  async resolveKeyForBranch(/** @type {any} */ arg) {
    if (arg && (arg.task || typeof arg === 'string')) return this.resolveKey(arg);
    const saved = this.branch;
    this.branch = { key: null, task: null, line: null };
    try {
      return await this.resolveKey(undefined, 'Create a branch for which task?');
    } finally {
      this.branch = saved;
    }
  }

  /** @param {any} arg */
  async insertTaskKey(arg) {
    // From the Source Control title, the argument is the git SourceControl: use its repository.
    const repo = (arg && arg.rootUri && this.git && this.git.getRepository(arg.rootUri)) || this.repository();
    if (!repo) throw new ApiError('Open a folder with a git repository first.', { kind: 'usage' });
    const key = await this.resolveKey(undefined, 'Put which task key in the commit message?');
    if (!key) return;
    repo.inputBox.value = keys.withTaskKey(repo.inputBox.value || '', key, this.requireSession().teamKeys);
    await vscode.commands.executeCommand('workbench.view.scm');
  }

  /** @param {any} arg */
  async openTask(arg) {
    const key = await this.resolveKey(arg, 'Open which task?');
    if (!key) return;
    const { client, workspace } = this.requireSession();
    await vscode.env.openExternal(vscode.Uri.parse(work.taskPageUrl(client.url, workspace, key)));
  }

  async branchTaskActions() {
    const { task } = this.branch;
    if (!task) {
      await vscode.commands.executeCommand('workbench.view.extension.alignment');
      return;
    }
    const actions = [
      { label: '$(play) Start', run: () => this.move(task.key, { category: 'started' }) },
      { label: '$(arrow-swap) Move to a state…', run: () => this.moveToNamedState(task.key) },
      { label: '$(check) Done', run: () => this.move(task.key, { category: 'done' }) },
      { label: '$(comment) Comment…', run: () => this.comment(task.key) },
      { label: '$(key) Insert key into commit message', run: () => this.insertTaskKey(undefined) },
      { label: '$(link-external) Open in browser', run: () => this.openTask(task.key) },
    ];
    const picked = await vscode.window.showQuickPick(actions, {
      placeHolder: `${task.key} ${task.title} — ${work.taskSummary(task)}`,
    });
    if (picked) await picked.run();
  }
}

/** @param {string} text */
function escapeMarkdown(text) {
  return String(text).replace(/[\\`*_{}[\]()#+\-.!|<>]/g, '\\$&');
}

// --- views ------------------------------------------------------------------------------------

/** A task in a view; expanding it shows its line to the objectives. */
class TaskItem extends vscode.TreeItem {
  /** @param {any} task @param {any} [line] @param {boolean} [expanded] */
  constructor(task, line, expanded = false) {
    super(
      `${task.key} ${task.title}`,
      expanded ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed,
    );
    this.task = task;
    this.line = line;
    this.id = `task:${task.key}:${expanded ? 'branch' : 'mine'}`;
    this.description = work.taskSummary(task);
    this.tooltip = `${task.key} ${task.title}\n${work.taskSummary(task)}`;
    this.contextValue = 'alignment.task';
    const category = task.state.category;
    this.iconPath = new vscode.ThemeIcon(
      category === 'started' ? 'debug-start' : category === 'done' ? 'pass' : 'circle-large-outline',
    );
  }
}

/** One step of a line: roadmap item, key result or objective, with the server's figure. */
class LineItem extends vscode.TreeItem {
  /** @param {any} node a row of work.nestRows */
  constructor(node) {
    super(
      node.title,
      node.children.length ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None,
    );
    this.node = node;
    this.description = node.figure;
    this.contextValue = `alignment.${node.kind}`;
    const icons = { roadmap_item: 'milestone', key_result: 'target', objective: 'star-empty', unaligned: 'warning' };
    this.iconPath = new vscode.ThemeIcon(icons[/** @type {keyof typeof icons} */ (node.kind)] || 'circle');
    this.tooltip = node.kind === 'unaligned' ? node.title : `${node.kind.replace('_', ' ')} · ${node.figure}`;
  }
}

/** A line of text (a message in a view). */
class NoteItem extends vscode.TreeItem {
  /** @param {string} text @param {string} [icon] */
  constructor(text, icon = 'info') {
    super(text, vscode.TreeItemCollapsibleState.None);
    this.iconPath = new vscode.ThemeIcon(icon);
  }
}

/** Children of a task: its line, read when first expanded. @param {Extension} ext @param {TaskItem} item */
async function lineChildren(ext, item) {
  const line = item.line || (await ext.requireSession().client.alignment(item.task.key));
  item.line = line;
  return work.nestRows(work.lineRows(line)).map((node) => new LineItem(node));
}

/** What both views share: tasks whose children are their line, refreshed on demand. */
class TaskTreeView {
  /** @param {Extension} ext */
  constructor(ext) {
    this.ext = ext;
    this.emitter = new vscode.EventEmitter();
    this.onDidChangeTreeData = this.emitter.event;
  }

  reload() {
    this.emitter.fire(undefined);
  }

  /** @param {any} item */
  getTreeItem(item) {
    return item;
  }

  /** @param {any} [item] */
  async getChildren(item) {
    if (!this.ext.session) return [];
    try {
      if (item instanceof TaskItem) return await lineChildren(this.ext, item);
      if (item instanceof LineItem) return item.node.children.map((/** @type {any} */ node) => new LineItem(node));
      return await this.roots();
    } catch (error) {
      return [new NoteItem(error instanceof Error ? error.message : String(error), 'error')];
    }
  }

  /** @returns {Promise<vscode.TreeItem[]>} */
  async roots() {
    return [];
  }
}

class MyTasksView extends TaskTreeView {
  async roots() {
    const { client, user } = this.ext.requireSession();
    const tasks = await client.myOpenTasks(user.id);
    if (!tasks.length) return [new NoteItem('No open tasks assigned to you.')];
    return tasks.map((/** @type {any} */ task) => new TaskItem(task));
  }
}

class BranchTaskView extends TaskTreeView {
  async roots() {
    const { ext } = this;
    if (ext.branchError) return [new NoteItem(ext.branchError, 'error')];
    if (!ext.git) return [new NoteItem('The built-in Git extension is not enabled.', 'warning')];
    if (!ext.repository()) return [new NoteItem('No git repository is open.', 'warning')];
    const { key, task, line } = ext.branch;
    if (!key) return []; // the welcome view explains how to name a branch
    if (!task) return [new NoteItem(`${key} (from the branch name) is not a task of this workspace.`, 'warning')];
    return [new TaskItem(task, line, true)];
  }
}

/** @param {vscode.ExtensionContext} context */
async function activate(context) {
  const extension = new Extension(context);
  await extension.activate();
  return extension;
}

function deactivate() {}

module.exports = { activate, deactivate };
