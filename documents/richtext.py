"""A document's rich text as the editor holds it (a Y.XmlFragment) and as Markdown.

The page edits the body with ProseMirror bound to a Yjs `Y.XmlFragment` by y-prosemirror:
every ProseMirror node is a `Y.XmlElement` named after its node type (attributes = the node's
attributes) and every run of text a `Y.XmlText` whose formatting attributes are the marks
(`{"strong": {}}`, `{"link": {"href": …}}`). The schema is prosemirror-schema-basic plus
prosemirror-schema-list, so the node names below are theirs.

The server reads that tree as Markdown (`markdown_of`: exports, search text, mentions and
backlinks, versions) and writes Markdown into it (`fill`: imports, restores, templates, the
bodies of documents written before the editor was rich). Markdown is parsed by the same
renderer as everywhere else (tasks.markdown: python-markdown, then sanitized), and the
sanitized HTML is read into nodes, so what can be imported is exactly what can be shown.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any, cast

from pycrdt import XmlElement, XmlFragment, XmlText

from tasks.markdown import render_markdown

Marks = dict[str, Any]

# The body's name in a document's Yjs state: the Y.XmlFragment the page binds to its
# ProseMirror editor (static/js/documents.js names it too).
BODY = "content"

INLINE_MARKS = {"strong": "strong", "b": "strong", "em": "em", "i": "em", "code": "code"}
HEADINGS = {f"h{level}": level for level in range(1, 7)}
BLOCK_TAGS = {"p", "blockquote", "pre", "ul", "ol", "li", "hr", *HEADINGS}
# Block tags that open a node of their own with no attributes.
CONTAINERS = {"blockquote": "blockquote", "ul": "bullet_list", "li": "list_item"}
# Characters that would read as Markdown syntax inside plain text.
ESCAPED = re.compile(r"([\\`*\[\]])")
LONE_UNDERSCORE = re.compile(r"(?<!\w)_|_(?!\w)")
BLOCK_START = re.compile(r"^(#{1,6}\s|[-+*]\s|\d+[.)]\s|>|```|---)")


# --- Markdown → the fragment ------------------------------------------------------------------


@dataclass
class _Node:
    """One node of the tree read from the HTML, before it becomes Yjs types."""

    name: str
    attrs: dict[str, Any] = field(default_factory=dict)
    children: list[_Node | tuple[str, Marks]] = field(default_factory=list)


class _Reader(HTMLParser):
    """Sanitized Markdown HTML → nodes of the ProseMirror schema."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = _Node("doc")
        self.stack: list[_Node] = [self.root]
        self.marks: list[tuple[str, Marks]] = []  # (tag, the mark it adds)
        self.in_pre = False

    def _open(self, node: _Node) -> None:
        self.stack[-1].children.append(node)
        self.stack.append(node)

    def _close(self, names: set[str]) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].name in names:
                del self.stack[depth:]
                return

    def _textblock(self) -> _Node:
        """The paragraph inline content goes into (a list item's text has none of its own)."""
        top = self.stack[-1]
        if top.name in ("paragraph", "heading", "code_block"):
            return top
        if top.name in ("doc", "blockquote", "list_item"):
            last = top.children[-1] if top.children else None
            if isinstance(last, _Node) and last.name == "paragraph" and last.attrs.get("_open"):
                return last
            node = _Node("paragraph", {"_open": True})
            top.children.append(node)
            return node
        # Inside a list but outside an item: not produced by the renderer; keep the text.
        node = _Node("list_item")
        top.children.append(node)
        paragraph = _Node("paragraph", {"_open": True})
        node.children.append(paragraph)
        return paragraph

    def _seal(self) -> None:
        """Text after a block starts a new paragraph, not the one before the block."""
        for node in self.stack:
            for child in node.children:
                if isinstance(child, _Node):
                    child.attrs.pop("_open", None)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag in BLOCK_TAGS:
            self._seal()
            self._start_block(tag, values)
        else:
            self._start_inline(tag, values)

    def _start_block(self, tag: str, values: dict[str, str | None]) -> None:
        if tag == "p":
            if self.stack[-1].name in ("bullet_list", "ordered_list"):
                self._open(_Node("list_item"))
            self._open(_Node("paragraph"))
        elif tag in HEADINGS:
            self._open(_Node("heading", {"level": HEADINGS[tag]}))
        elif tag == "pre":
            self._open(_Node("code_block"))
            self.in_pre = True
        elif tag == "ol":
            start = values.get("start") or "1"
            self._open(_Node("ordered_list", {"order": int(start) if start.isdigit() else 1}))
        elif tag == "hr":
            self.stack[-1].children.append(_Node("horizontal_rule"))
        else:  # blockquote, ul, li: a node of their own with no attributes
            self._open(_Node(CONTAINERS[tag]))

    def _start_inline(self, tag: str, values: dict[str, str | None]) -> None:
        if tag == "br":
            self._textblock().children.append(_Node("hard_break"))
        elif tag == "img":
            image = {k: values.get(k) for k in ("src", "alt", "title") if values.get(k)}
            if image.get("src"):
                self._textblock().children.append(_Node("image", image))
        elif tag == "a":
            link = {"href": values.get("href") or "", "title": values.get("title")}
            self.marks.append((tag, {"link": link}))
        elif tag in INLINE_MARKS and not self.in_pre:
            self.marks.append((tag, {INLINE_MARKS[tag]: {}}))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("a", *INLINE_MARKS):
            for index in range(len(self.marks) - 1, -1, -1):
                if self.marks[index][0] == tag:
                    del self.marks[index]
                    break
            return
        if tag == "pre":
            self.in_pre = False
        names = {
            "p": {"paragraph"},
            "blockquote": {"blockquote"},
            "pre": {"code_block"},
            "ul": {"bullet_list"},
            "ol": {"ordered_list"},
            "li": {"list_item"},
            **{h: {"heading"} for h in HEADINGS},
        }.get(tag)
        if names:
            self._seal()
            self._close(names)

    def handle_data(self, data: str) -> None:
        if self.in_pre:
            block = self.stack[-1]
            if block.name == "code_block":
                block.children.append((data, {}))
            return
        # Soft line breaks inside a paragraph read as spaces, as the preview shows them.
        text = re.sub(r"\s*\n\s*", " ", data)
        top = self.stack[-1]
        if not text.strip() and top.name not in ("paragraph", "heading"):
            open_paragraph = top.children and isinstance(top.children[-1], _Node)
            if not (open_paragraph and top.children[-1].attrs.get("_open")):  # type: ignore[union-attr]
                return  # whitespace between blocks
        marks: Marks = {}
        for _, mark in self.marks:
            marks.update(mark)
        self._textblock().children.append((text, marks))


def _trim_runs(runs: list[Any]) -> None:
    """Drop blank runs at a text block's edges and strip the outer runs' outer spaces."""
    while runs and isinstance(runs[0], tuple) and not runs[0][0].strip():
        runs.pop(0)
    while runs and isinstance(runs[-1], tuple) and not runs[-1][0].strip():
        runs.pop()
    if runs and isinstance(runs[0], tuple):
        runs[0] = (runs[0][0].lstrip(), runs[0][1])
    if runs and isinstance(runs[-1], tuple):
        runs[-1] = (runs[-1][0].rstrip(), runs[-1][1])


def _join_code(node: _Node) -> None:
    """A code block holds one run: its text without the renderer's final newline."""
    text = "".join(c[0] for c in node.children if isinstance(c, tuple))
    node.children = [(text[:-1] if text.endswith("\n") else text, {})] if text else []


def _tidy(node: _Node) -> None:
    """Trim the edges of text blocks, drop empty list paragraphs' flags, fix list items."""
    node.attrs.pop("_open", None)
    for child in node.children:
        if isinstance(child, _Node):
            _tidy(child)
    if node.name in ("paragraph", "heading"):
        _trim_runs(node.children)
    elif node.name == "code_block":
        _join_code(node)
    elif node.name == "list_item" and not any(
        isinstance(c, _Node) and c.name == "paragraph" for c in node.children[:1]
    ):
        # ProseMirror's list item starts with a paragraph (schema-list's content expression).
        node.children.insert(0, _Node("paragraph"))


def _write(parent: XmlFragment | XmlElement, node: _Node) -> None:
    element = parent.children.append(XmlElement(node.name, node.attrs or None))
    text: XmlText | None = None
    for child in node.children:
        if isinstance(child, tuple):
            value, marks = child
            if not value:
                continue
            if text is None:
                text = element.children.append(XmlText())
            text.insert(len(text), value, marks or None)
        else:
            text = None
            _write(element, child)


def nodes_of(markdown: str) -> list[_Node]:
    reader = _Reader()
    reader.feed(render_markdown(markdown))
    reader.close()
    _tidy(reader.root)
    return [c for c in reader.root.children if isinstance(c, _Node)]


def fill(fragment: XmlFragment, markdown: str) -> None:
    """Append the blocks of `markdown` to `fragment` (an empty document gets one paragraph:
    the editor always has a place for the caret)."""
    blocks = nodes_of(markdown) or [_Node("paragraph")]
    for block in blocks:
        _write(fragment, block)


# --- the fragment → Markdown ------------------------------------------------------------------


def _attributes(element: XmlElement) -> dict[str, Any]:
    # pycrdt types the view's __iter__ as returning an Iterable (it is an iterator).
    return dict(cast("Iterable[tuple[str, Any]]", element.attributes.__iter__()))


def _number(value: Any, default: int) -> int:
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return default


def _escape(text: str) -> str:
    return LONE_UNDERSCORE.sub(r"\\_", ESCAPED.sub(r"\\\1", text))


def _inline(element: XmlElement) -> str:
    out: list[str] = []
    for child in element.children:
        if isinstance(child, XmlText):
            for value, attrs in child.diff():
                out.append(_run(str(value), attrs or {}))
        elif isinstance(child, XmlElement):
            if child.tag == "hard_break":
                out.append("  \n")
            elif child.tag == "image":
                attrs = _attributes(child)
                title = f' "{attrs["title"]}"' if attrs.get("title") else ""
                out.append(f"![{attrs.get('alt') or ''}]({attrs.get('src') or ''}{title})")
            else:
                out.append(_inline(child))
    return "".join(out)


def _run(text: str, marks: Marks) -> str:
    """One run of text with its marks; spaces stay outside the markers (`** a**` is no bold)."""
    if not text:
        return ""
    core = text.strip(" ")
    if not core:
        return text
    lead, trail = text[: len(text) - len(text.lstrip(" "))], text[len(text.rstrip(" ")) :]
    if "code" in marks:
        ticks = "``" if "`" in core else "`"
        core = f"{ticks}{core}{ticks}"
    else:
        core = _escape(core)
    if "em" in marks:
        core = f"_{core}_"
    if "strong" in marks:
        core = f"**{core}**"
    link = marks.get("link")
    if isinstance(link, dict):
        title = f' "{link["title"]}"' if link.get("title") else ""
        core = f"[{core}]({link.get('href') or ''}{title})"
    return lead + core + trail


def _indent(text: str, first: str, rest: str) -> str:
    lines = text.split("\n")
    return "\n".join([first + lines[0], *((rest + line) if line else line for line in lines[1:])])


def _block(element: XmlElement) -> str:
    tag = element.tag
    if tag == "paragraph":
        text = _inline(element)
        return "\\" + text if BLOCK_START.match(text) else text
    if tag == "heading":
        level = min(max(_number(_attributes(element).get("level"), 1), 1), 6)
        return "#" * level + " " + _inline(element)
    if tag == "code_block":
        return "```\n" + "".join(str(c) for c in element.children) + "\n```"
    if tag == "horizontal_rule":
        return "---"
    if tag == "blockquote":
        return _indent(_blocks(element), "> ", "> ").replace("\n> \n", "\n>\n")
    if tag in ("bullet_list", "ordered_list"):
        start = _number(_attributes(element).get("order"), 1)
        items = []
        for index, item in enumerate(c for c in element.children if isinstance(c, XmlElement)):
            marker = "- " if tag == "bullet_list" else f"{start + index}. "
            items.append(_indent(_blocks(item), marker, " " * len(marker)))
        return "\n".join(items)
    return _inline(element)  # a node this reader does not know: its text at least


def _blocks(parent: XmlFragment | XmlElement) -> str:
    parts = [_block(c) for c in parent.children if isinstance(c, XmlElement)]
    return "\n\n".join(part for part in parts if part)


def markdown_of(fragment: XmlFragment) -> str:
    """The body as Markdown: what the export holds, search reads and mentions come from."""
    return _blocks(fragment)


def text_runs(parent: XmlFragment | XmlElement) -> list[XmlText]:
    """Every run of text under `parent`, in document order."""
    found: list[XmlText] = []
    for child in parent.children:
        if isinstance(child, XmlText):
            found.append(child)
        elif isinstance(child, XmlElement):
            found += text_runs(child)
    return found


def plain_text(parent: XmlFragment | XmlElement) -> str:
    """The characters typed under `parent`, with no Markdown (counting keystrokes)."""
    return "".join(str(text) for text in text_runs(parent))
