// The document editor: ProseMirror bound by y-prosemirror to the Y.XmlFragment "content" of a
// Yjs document (rich text: headings, bold, italic, code, lists, links, code blocks, quotes),
// synced over the document socket with the Yjs sync protocol (step 1 / step 2 / update), see
// docs/documents.md. Edits made while offline stay in the page's Y.Doc and are exchanged by the
// step 1 / step 2 handshake when the socket comes back; the server stores each update before it
// answers {"type": "saved"}.
//
// Over the same socket travels Yjs awareness (y-protocols): this page's caret and selection as
// relative positions; the server stamps each with the sender's name and colour and relays it.
// Others' carets are drawn over the editor. Comments anchor to a selection with relative
// positions too, so they follow the text while others type. Every module comes from
// static/vendor through the page's import map: y-prosemirror binds the very Yjs synced here.
import * as Y from "yjs";
import * as encoding from "lib0/encoding";
import * as decoding from "lib0/decoding";
import * as awarenessProtocol from "y-protocols/awareness";
import { Schema } from "prosemirror-model";
import { EditorState, TextSelection } from "prosemirror-state";
import { EditorView } from "prosemirror-view";
import { schema as basicSchema } from "prosemirror-schema-basic";
import { addListNodes, wrapInList, splitListItem, liftListItem, sinkListItem } from "prosemirror-schema-list";
import { keymap } from "prosemirror-keymap";
import { baseKeymap, toggleMark, setBlockType, wrapIn, lift, chainCommands, exitCode } from "prosemirror-commands";
import { inputRules, wrappingInputRule, textblockTypeInputRule } from "prosemirror-inputrules";
import {
  ySyncPlugin, ySyncPluginKey, yUndoPlugin, undo, redo,
  absolutePositionToRelativePosition, relativePositionToAbsolutePosition,
} from "y-prosemirror";

const SYNC = 0, AWARENESS = 1, STEP1 = 0, STEP2 = 1, UPDATE = 2;
const root = document.getElementById("document-editor");
const mount = document.getElementById("document-body");
const surface = document.getElementById("document-surface");
const overlay = document.getElementById("document-overlay");
const statusLine = document.getElementById("document-status");
const presenceLine = document.getElementById("document-presence");
const previewBox = document.getElementById("document-preview");
const commentsSlot = document.getElementById("document-comments-slot");
const canEdit = root.dataset.canEdit === "true";

const doc = new Y.Doc();
// The body (documents/richtext.py reads the same tree as Markdown on the server).
const fragment = doc.getXmlFragment("content");
const awareness = new awarenessProtocol.Awareness(doc);
let socket = null, retry = 1000, unsaved = 0, synced = false, viewers = [];
// Set at the first sync and kept: offline, the editor stays editable and keeps the edits.
let ready = false;

function message(kind, payload) {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, SYNC);
  encoding.writeVarUint(e, kind);
  encoding.writeVarUint8Array(e, payload);
  return encoding.toUint8Array(e);
}

function awarenessMessage(clients) {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, AWARENESS);
  encoding.writeVarUint8Array(e, awarenessProtocol.encodeAwarenessUpdate(awareness, clients));
  return encoding.toUint8Array(e);
}

function isOpen() { return socket && socket.readyState === WebSocket.OPEN; }
function setStatus(text) { statusLine.textContent = text; }
function showSaved() {
  if (!isOpen()) return;
  setStatus(unsaved > 0 ? "Saving…" : "All changes saved");
  root.dataset.unsaved = String(unsaved);
  if (unsaved === 0) schedulePreview();
}

// --- the editor ------------------------------------------------------------------------------
// The node and mark names are the server's too (documents/richtext.py): keep them in step.
const schema = new Schema({
  nodes: addListNodes(basicSchema.spec.nodes, "paragraph block*", "block"),
  marks: basicSchema.spec.marks,
});
const N = schema.nodes, M = schema.marks;

function markActive(state, type) {
  const { from, $from, to, empty } = state.selection;
  return empty ? !!type.isInSet(state.storedMarks || $from.marks()) : state.doc.rangeHasMark(from, to, type);
}
function toggleLink(state, dispatch) {
  if (markActive(state, M.link)) return toggleMark(M.link)(state, dispatch);
  if (state.selection.empty) return false;
  if (!dispatch) return true;
  const href = window.prompt("Link address", "https://");
  if (!href) return true;
  return toggleMark(M.link, { href: href.trim() })(state, dispatch);
}
function insertMention(state, dispatch) {
  if (dispatch) dispatch(state.tr.insertText("@task:").scrollIntoView());
  return true;
}
function toggleBlock(type, attrs) {
  return (state, dispatch) => {
    const { $from } = state.selection;
    const same = $from.parent.type === type && (!attrs || $from.parent.attrs.level === attrs.level);
    return setBlockType(same ? N.paragraph : type, same ? null : attrs)(state, dispatch);
  };
}
function toggleWrap(type, wrapper) {
  return (state, dispatch) => {
    const { $from } = state.selection;
    for (let depth = $from.depth; depth > 0; depth--) {
      if ($from.node(depth).type === type) {
        return type === N.blockquote ? lift(state, dispatch) : liftListItem(N.list_item)(state, dispatch);
      }
    }
    return wrapper(state, dispatch);
  };
}
const FORMATS = {
  bold: toggleMark(M.strong),
  italic: toggleMark(M.em),
  code: toggleMark(M.code),
  heading: toggleBlock(N.heading, { level: 2 }),
  list: toggleWrap(N.bullet_list, wrapInList(N.bullet_list)),
  ordered: toggleWrap(N.ordered_list, wrapInList(N.ordered_list)),
  quote: toggleWrap(N.blockquote, wrapIn(N.blockquote)),
  codeblock: toggleBlock(N.code_block),
  link: toggleLink,
  mention: insertMention,
};
const ACTIVE = {
  bold: (s) => markActive(s, M.strong),
  italic: (s) => markActive(s, M.em),
  code: (s) => markActive(s, M.code),
  link: (s) => markActive(s, M.link),
  heading: (s) => s.selection.$from.parent.type === N.heading,
  codeblock: (s) => s.selection.$from.parent.type === N.code_block,
};
const keys = {
  "Mod-z": undo, "Mod-y": redo, "Shift-Mod-z": redo,
  "Mod-b": FORMATS.bold, "Mod-i": FORMATS.italic, "Mod-e": FORMATS.code, "Mod-k": FORMATS.link,
  "Mod-Alt-h": FORMATS.heading, "Mod-Alt-c": FORMATS.codeblock,
  "Mod-Shift-8": FORMATS.list, "Mod-Shift-7": FORMATS.ordered, "Mod-Shift-9": FORMATS.quote,
  "Mod-Shift-2": FORMATS.mention,
  "Mod-Alt-m": () => { startComment(); return true; },
  "Enter": splitListItem(N.list_item),
  "Tab": sinkListItem(N.list_item), "Shift-Tab": liftListItem(N.list_item),
  "Shift-Enter": chainCommands(exitCode, (state, dispatch) => {
    if (dispatch) dispatch(state.tr.replaceSelectionWith(N.hard_break.create()).scrollIntoView());
    return true;
  }),
};
// Markdown habits work while typing: "# " a heading, "- " a list, "1. " a numbered one,
// "> " a quote, "```" a code block.
const rules = inputRules({ rules: [
  textblockTypeInputRule(/^(#{1,6})\s$/, N.heading, (match) => ({ level: match[1].length })),
  wrappingInputRule(/^\s*([-+*])\s$/, N.bullet_list),
  wrappingInputRule(/^(\d+)\.\s$/, N.ordered_list, (match) => ({ order: +match[1] }),
    (match, node) => node.childCount + node.attrs.order === +match[1]),
  wrappingInputRule(/^\s*>\s$/, N.blockquote),
  textblockTypeInputRule(/^```$/, N.code_block),
] });

// Assigned once built: y-prosemirror dispatches while the view is being constructed.
let view = null;
mount.replaceChildren();  // the stored text shown before this script ran; the sync brings it
view = new EditorView(mount, {
  state: EditorState.create({
    schema,
    plugins: [ySyncPlugin(fragment), yUndoPlugin(), rules, keymap(keys), keymap(baseKeymap)],
  }),
  // Not before the first sync: typing into an empty page would race the server's text.
  editable: () => canEdit && ready,
  attributes: {
    id: "document-text", role: "textbox", "aria-multiline": "true",
    "aria-labelledby": "document-body-label", spellcheck: "true", class: "document-text markdown",
  },
  dispatchTransaction(tr) {
    this.updateState(this.state.apply(tr));
    if (!view) return;
    updateToolbar();
    shareCaret();
    if (tr.docChanged) scheduleDraw();
  },
});
const mapping = () => ySyncPluginKey.getState(view.state).binding.mapping;
function refreshEditable() {
  // ProseMirror reads `editable` on each update; an empty transaction asks it again.
  view.dispatch(view.state.tr.setMeta("addToHistory", false));
  view.dom.setAttribute("aria-readonly", String(!(canEdit && ready)));
}

const toolbarButtons = document.querySelectorAll(".document-toolbar [data-format]");
function updateToolbar() {
  toolbarButtons.forEach((button) => {
    const active = ACTIVE[button.dataset.format];
    if (active) button.setAttribute("aria-pressed", String(active(view.state)));
  });
  updateCommentButton();
}
if (canEdit) {
  toolbarButtons.forEach((button) => {
    button.addEventListener("mousedown", (event) => event.preventDefault());  // keep the selection
    button.addEventListener("click", () => {
      FORMATS[button.dataset.format](view.state, view.dispatch, view);
      view.focus();
    });
  });
}
fragment.observeDeep(() => { scheduleDraw(); schedulePreview(); });

doc.on("update", (update, origin) => {
  if (origin === "remote") return;
  if (isOpen()) {
    unsaved++;
    socket.send(message(UPDATE, update));
    showSaved();
  } else {
    setStatus("Offline: your edits are kept in this page and sent when the connection returns");
  }
});

// --- carets and selections (awareness) ------------------------------------------------------
const relative = (pos) => Y.relativePositionToJSON(absolutePositionToRelativePosition(pos, fragment, mapping()));
function absolute(json) {
  try {
    return relativePositionToAbsolutePosition(doc, fragment, Y.createRelativePositionFromJSON(json), mapping());
  } catch (error) { return null; }
}
// A position as an index into the text (blocks separated by one newline): what the browser
// tests and the comment quotes count in.
const textIndex = (pos) => view.state.doc.textBetween(0, Math.min(pos, view.state.doc.content.size), "\n").length;

let lastShared = "";
function shareCaret() {
  if (!view) return;
  const { anchor, head } = view.state.selection;
  const cursor = view.hasFocus() ? { anchor: relative(anchor), head: relative(head) } : null;
  const key = JSON.stringify(cursor);
  if (key === lastShared) return;
  lastShared = key;
  awareness.setLocalStateField("cursor", cursor);
  updateCommentButton();
}
view.dom.addEventListener("focus", shareCaret);
view.dom.addEventListener("blur", shareCaret);

awareness.on("update", ({ added, updated, removed }, origin) => {
  if (origin === "remote" || !isOpen() || !synced) return;
  const mine = added.concat(updated, removed).filter((id) => id === doc.clientID);
  if (mine.length) socket.send(awarenessMessage(mine));
});
awareness.on("change", () => { renderPresence(); scheduleDraw(); });
window.addEventListener("pagehide", () => awarenessProtocol.removeAwarenessStates(awareness, [doc.clientID], "local"));

// Where positions sit on screen: rectangles relative to the surface.
function rectsOf(from, to) {
  const size = view.state.doc.content.size;
  from = Math.max(0, Math.min(from, size));
  to = Math.max(from, Math.min(to, size));
  const base = surface.getBoundingClientRect();
  const shift = (r) => ({ left: r.left - base.left, top: r.top - base.top, width: r.width, height: r.height });
  try {
    if (to === from) {
      const c = view.coordsAtPos(from);
      return [shift({ left: c.left, top: c.top, width: 0, height: c.bottom - c.top })];
    }
    const start = view.domAtPos(from), end = view.domAtPos(to);
    const range = document.createRange();
    range.setStart(start.node, start.offset);
    range.setEnd(end.node, end.offset);
    return Array.from(range.getClientRects()).filter((r) => r.width > 0).map(shift);
  } catch (error) { return []; }
}
function box(className, rect, colour) {
  const el = document.createElement("div");
  el.className = className;
  el.style.left = rect.left + "px";
  el.style.top = rect.top + "px";
  el.style.width = rect.width + "px";
  el.style.height = rect.height + "px";
  if (colour) el.style.setProperty("--c", colour);
  overlay.appendChild(el);
  return el;
}

let drawPending = false;
function scheduleDraw() {
  if (drawPending) return;
  drawPending = true;
  // A timer, not requestAnimationFrame: a page in a background tab gets no frames, and its
  // carets must still be right when it is looked at again.
  setTimeout(() => { drawPending = false; draw(); }, 16);
}
function draw() {
  overlay.replaceChildren();
  if (!view) return;
  for (const item of commentAnchors()) {
    for (const r of rectsOf(item.start, item.end)) {
      box("comment-highlight" + (item.li.classList.contains("active") ? " active" : ""), r);
    }
  }
  let drawn = 0;
  awareness.getStates().forEach((state, clientId) => {
    if (clientId === doc.clientID || !state.cursor || !state.user) return;
    const anchor = absolute(state.cursor.anchor), head = absolute(state.cursor.head);
    if (anchor === null || head === null) return;
    const colour = state.user.color;
    const [from, to] = anchor < head ? [anchor, head] : [head, anchor];
    if (to > from) for (const r of rectsOf(from, to)) box("remote-selection", r, colour);
    const caret = rectsOf(head, head)[0];
    if (!caret) return;
    const line = box("remote-caret", { left: caret.left, top: caret.top, width: 2, height: caret.height }, colour);
    line.dataset.user = state.user.name;
    line.dataset.index = String(textIndex(head));
    const label = box("remote-caret-name", { left: caret.left, top: caret.top, width: "auto", height: "auto" }, colour);
    label.style.width = ""; label.style.height = "";
    label.textContent = state.user.name;
    // On the first visible line the name goes under the caret, not cut off above it.
    if (caret.top < caret.height) { label.classList.add("below"); label.style.top = (caret.top + caret.height) + "px"; }
    drawn++;
  });
  root.dataset.remoteCarets = String(drawn);
}
view.dom.addEventListener("scroll", scheduleDraw);
window.addEventListener("resize", scheduleDraw);
new ResizeObserver(scheduleDraw).observe(view.dom);

function renderPresence() {
  const colours = new Map();
  awareness.getStates().forEach((state, clientId) => {
    if (clientId !== doc.clientID && state.user) colours.set(state.user.id, state.user.color);
  });
  presenceLine.replaceChildren();
  if (!viewers.length) { presenceLine.textContent = "Nobody else is here."; return; }
  presenceLine.append("Also here: ");
  viewers.forEach((viewer) => {
    const chip = document.createElement("span");
    chip.className = "presence-chip";
    chip.textContent = viewer.name;
    const colour = colours.get(viewer.id);
    if (colour) chip.style.setProperty("--c", colour);
    presenceLine.append(chip);
  });
}

// --- the rendered preview ------------------------------------------------------------------
// It shows the stored text, read again shortly after this page's edits are saved or others'
// arrive: the server renders it (sanitized, with mention chips), as on a reload.
let previewTimer = null;
function schedulePreview() {
  clearTimeout(previewTimer);
  previewTimer = setTimeout(async () => {
    try {
      const response = await fetch(root.dataset.previewUrl, { headers: { "X-Requested-With": "fetch" } });
      if (response.ok) previewBox.innerHTML = await response.text();
    } catch (error) { /* offline: the preview catches up after the next save */ }
  }, 400);
}

// --- comments on a selection ------------------------------------------------------------
const commentButton = document.getElementById("document-comment-start");
const commentForm = document.getElementById("document-comment-form");
let pendingAnchor = null;

const toBase64 = (bytes) => btoa(String.fromCharCode(...bytes));
const fromBase64 = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
function anchorOf(encoded) {
  try {
    return relativePositionToAbsolutePosition(doc, fragment, Y.decodeRelativePosition(fromBase64(encoded)), mapping());
  } catch (error) { return null; }
}
function commentAnchors() {
  const found = [];
  commentsSlot.querySelectorAll(".document-comment:not(.resolved)").forEach((li) => {
    const start = anchorOf(li.dataset.anchorStart), end = anchorOf(li.dataset.anchorEnd);
    if (start !== null && end !== null && end > start) found.push({ li, start, end });
  });
  return found;
}
function updateCommentButton() {
  if (commentButton) commentButton.disabled = !(canEdit && ready) || !view || view.state.selection.empty;
}
function startComment() {
  const { from, to, empty } = view.state.selection;
  if (!commentForm || empty) return;
  pendingAnchor = {
    anchor_start: toBase64(Y.encodeRelativePosition(absolutePositionToRelativePosition(from, fragment, mapping()))),
    anchor_end: toBase64(Y.encodeRelativePosition(absolutePositionToRelativePosition(to, fragment, mapping()))),
    quote: view.state.doc.textBetween(from, to, "\n").slice(0, 500),
  };
  document.getElementById("document-comment-quote").textContent = pendingAnchor.quote;
  commentForm.hidden = false;
  document.getElementById("document-comment-body").focus();
}
async function postForm(url, data) {
  const csrf = commentForm ? commentForm.querySelector("[name=csrfmiddlewaretoken]").value : "";
  const response = await fetch(url, {
    method: "POST",
    body: new URLSearchParams(data),
    headers: { "X-CSRFToken": csrf, "X-Requested-With": "fetch" },
  });
  return response;
}
async function loadComments(response) {
  try {
    response = response || await fetch(root.dataset.commentsUrl, { headers: { "X-Requested-With": "fetch" } });
    if (response.status === 403 || response.status === 404) return;
    commentsSlot.innerHTML = await response.text();
    const current = commentsSlot.querySelector("#document-comments");
    root.dataset.comments = current ? current.dataset.count : "0";
    for (const item of commentAnchors()) {
      const text = view.state.doc.textBetween(item.start, item.end, "\n");
      if (text) item.li.querySelector(".document-comment-quote").textContent = text.length > 160 ? text.slice(0, 159) + "…" : text;
    }
    scheduleDraw();
  } catch (error) { /* offline: comments are read again on reconnect */ }
}
if (commentButton) {
  commentButton.addEventListener("mousedown", (event) => event.preventDefault());  // keep the selection
  commentButton.addEventListener("click", startComment);
  document.getElementById("document-comment-cancel").addEventListener("click", () => { commentForm.hidden = true; view.focus(); });
  commentForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!pendingAnchor) return;
    const text = document.getElementById("document-comment-body").value;
    const response = await postForm(root.dataset.commentsUrl, { ...pendingAnchor, body: text });
    if (response.status === 201) {
      commentForm.hidden = true;
      document.getElementById("document-comment-body").value = "";
      pendingAnchor = null;
    }
    await loadComments(response);
  });
}
commentsSlot.addEventListener("submit", async (event) => {
  const form = event.target.closest(".document-comment-resolve");
  if (!form) return;
  event.preventDefault();
  await loadComments(await postForm(form.action, Object.fromEntries(new FormData(form))));
});
commentsSlot.addEventListener("click", (event) => {
  const li = event.target.closest(".document-comment");
  if (!li || event.target.closest("form")) return;
  commentsSlot.querySelectorAll(".document-comment.active").forEach((el) => el.classList.remove("active"));
  li.classList.add("active");
  const start = anchorOf(li.dataset.anchorStart), end = anchorOf(li.dataset.anchorEnd);
  if (start !== null && end !== null) {
    view.focus();
    view.dispatch(view.state.tr.setSelection(TextSelection.create(view.state.doc, start, end)));
  }
  scheduleDraw();
});

// --- the socket -----------------------------------------------------------------------------
function onBinary(data) {
  const d = decoding.createDecoder(new Uint8Array(data));
  const type = decoding.readVarUint(d);
  if (type === AWARENESS) {
    awarenessProtocol.applyAwarenessUpdate(awareness, decoding.readVarUint8Array(d), "remote");
    return;
  }
  if (type !== SYNC) return;
  const kind = decoding.readVarUint(d);
  const payload = decoding.readVarUint8Array(d);
  if (kind === STEP1) {
    const diff = Y.encodeStateAsUpdate(doc, payload);
    if (canEdit || diff.length > 2) socket.send(message(STEP2, diff));
  } else {
    Y.applyUpdate(doc, payload, "remote");
    // An update that needs one this page never got (a relay dropped under load: a socket
    // that falls LIVE_CHANNEL_CAPACITY behind loses its oldest messages) waits as "pending";
    // ask the server for everything missing, as on a reconnect (at most once a second).
    if (doc.store.pendingStructs || doc.store.pendingDs) askForMissing();
    if (kind === STEP2) {
      synced = true;
      root.dataset.synced = "true";
      ready = true;
      refreshEditable();
      showSaved();
      updateCommentButton();
      // Announce this page's caret (the others answer with theirs via the server).
      lastShared = "";
      shareCaret();
      socket.send(awarenessMessage([doc.clientID]));
    }
  }
}

let lastAsked = 0;
function askForMissing() {
  const now = Date.now();
  if (now - lastAsked < 1000 || !isOpen()) return;
  lastAsked = now;
  socket.send(message(STEP1, Y.encodeStateVector(doc)));
}

function onJson(text) {
  const m = JSON.parse(text);
  if (m.type === "saved") { unsaved = Math.max(0, unsaved - 1); showSaved(); }
  else if (m.type === "presence") {
    viewers = m.viewers || [];
    root.dataset.viewers = String(viewers.length);
    renderPresence();
  } else if (m.type === "document" && m.change === "comments") loadComments();
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss://" : "ws://";
  socket = new WebSocket(scheme + location.host + root.dataset.socketUrl);
  socket.binaryType = "arraybuffer";
  synced = false;
  socket.addEventListener("open", () => {
    retry = 1000;
    unsaved = 0;
    setStatus("Connected");
    socket.send(message(STEP1, Y.encodeStateVector(doc)));
    loadComments();
  });
  socket.addEventListener("message", (event) => {
    if (typeof event.data === "string") onJson(event.data); else onBinary(event.data);
  });
  socket.addEventListener("close", (event) => {
    synced = false;
    root.dataset.synced = "false";
    // Others' carets are stale while this page is away; they come back with the next sync.
    awarenessProtocol.removeAwarenessStates(
      awareness, Array.from(awareness.getStates().keys()).filter((id) => id !== doc.clientID), "remote");
    if (event.code >= 4400 && event.code < 4500 && event.code !== 4401) {
      setStatus("Closed: " + (event.reason || event.code) + " (reload the page)");
      return;
    }
    setStatus("Reconnecting… your edits are kept in this page");
    const wait = Math.min(retry, 30000) * (0.75 + Math.random() * 0.5);
    retry = Math.min(retry * 2, 30000);
    setTimeout(connect, wait);
  });
}

connect();
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible" && socket && socket.readyState === WebSocket.CLOSED) {
    retry = 1000;
    connect();
  }
});
// For the browser tests and curious readers: the page's Yjs document and awareness.
root.yDoc = doc;
root.yAwareness = awareness;
root.editorView = view;
root.plainText = () => view.state.doc.textBetween(0, view.state.doc.content.size, "\n");
