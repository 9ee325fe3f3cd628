"""Board cards as HTML: the one place a card's markup lives.

A board sends up to hundreds of cards, so a card is not a template: the URLs are reversed once
per page (a prefix and a suffix around the task key), and the parts that repeat across cards
(an assignee's avatar, a label chip, a roadmap item's key-result badges, a points figure) are
built once per page and reused. Every value from the database goes through `escape`, exactly
as the template engine would escape it; only the fixed markup below is trusted.

Used for the board, a column's "show more", and every single card the server answers (after a
move, a quick edit, a refused move's reload). Inline editing on the board belongs here too.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from html import escape
from typing import Any, cast

from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator

from alignment.models import User, Workspace
from tasks import card_badges
from tasks.models import Priority, Task
from tasks.page_selectors import CardFacts

KEY = "KEY-1"  # a task key to reverse URLs with; split out again around it
KR_BADGES = 2  # key-result badges a card shows at most
KR_TITLE = 28  # characters of a key result's title on its badge

MOVE = ' draggable="true" data-move-url="{move_url}"'
ROW = (
    '<li class="task-card backlog-row{flags}" id="task-{key}" tabindex="0" data-key="{key}"'
    ' data-version="{version}" data-href="{url}" data-card-url="{card_url}"{move}'
    ' aria-label="{key}: {title}">{checkbox}'
    '<a class="task-key" href="{url}" draggable="false" tabindex="-1">{key}</a>'
    '<a class="row-title" href="{url}" draggable="false" tabindex="-1">{title}</a>'
    '<span class="row-meta">{labels}{key_results}{blocked}'
    '<span class="muted small">{state}</span>{points}{avatar}</span></li>'
)
CHECKBOX = (
    '<input type="checkbox" name="tasks" value="{pk}" form="bulk-form" aria-label="Select {key}">'
)
ROW_KR_BADGES = 1
ROW_KR_TITLE = 24
PRIORITY: dict[int, str] = {
    Priority.URGENT: f'<span class="badge bad">{escape(Priority.URGENT.label)}</span>',
    Priority.HIGH: f'<span class="badge warn">{escape(Priority.HIGH.label)}</span>',
}
UNALIGNED = '<span class="badge neutral" title="Not linked to a roadmap item">Unaligned</span>'
ROW_UNALIGNED = '<span class="badge neutral">Unaligned</span>'


# What a guest reads where others read a key result's title (docs/teams.md).
GUEST_KR_BADGE = '<span class="badge kr-badge" title="Moves a company key result">KR</span>'


class _Url:
    """A URL of a task-key route, reversed once: prefix + key + suffix."""

    def __init__(self, name: str, slug: str, query: str = "") -> None:
        prefix, _, suffix = reverse(name, kwargs={"slug": slug, "key": KEY}).partition(KEY)
        self.prefix, self.suffix = escape(prefix), escape(suffix + query)

    def __call__(self, key: str) -> str:
        return f"{self.prefix}{key}{self.suffix}"


class CardRenderer:
    """Renders cards of one workspace for one member (can they write?) and one page of facts."""

    def __init__(
        self,
        workspace: Workspace,
        *,
        can_write: bool,
        facts: CardFacts,
        badges: dict[str, SafeString] | None = None,
        okrs_hidden: bool = False,
    ) -> None:
        slug = workspace.slug
        # A guest's cards: a key result is named only "KR" (OKRs are not theirs to read).
        self.okrs_hidden = okrs_hidden
        self.can_write = can_write
        self.facts = facts
        self.badges = badges or {}
        self.task_url = _Url("tasks:task", slug)
        self.card_url = _Url("tasks:card", slug)
        self.row_card_url = _Url("tasks:card", slug, "?as=row")
        self.move_url = _Url("tasks:move", slug)
        self.quick_edit_url = _Url("tasks:quick_edit", slug)
        self._avatars: dict[int, str] = {}
        self._labels: dict[str, str] = {}
        self._key_results: dict[tuple[int, int], str] = {}
        self._points: dict[Decimal, str] = {}

    @classmethod
    def for_page(
        cls,
        workspace: Workspace,
        tasks: Sequence[Task],
        *,
        can_write: bool,
        facts: CardFacts,
        okrs_hidden: bool = False,
    ) -> CardRenderer:
        """A renderer with the badges other apps give these cards (one query per provider)."""
        keys = [task.key for task in tasks]
        return cls(
            workspace,
            can_write=can_write,
            facts=facts,
            badges=card_badges.badges_for(workspace.pk, keys),
            okrs_hidden=okrs_hidden,
        )

    def _avatar(self, user: User) -> str:
        html = self._avatars.get(user.pk)
        if html is None:
            html = self._avatars[user.pk] = (
                f'<span class="avatar small" title="{escape(user.display_name)}">'
                f"{escape(user.initials)}</span>"
            )
        return html

    def _label(self, name: str) -> str:
        html = self._labels.get(name)
        if html is None:
            html = self._labels[name] = f'<span class="label-chip">{escape(name)}</span>'
        return html

    def _item_badges(
        self, item_id: int | None, *, count: int = KR_BADGES, width: int = KR_TITLE
    ) -> str:
        if not item_id:
            return UNALIGNED if count == KR_BADGES else ROW_UNALIGNED
        html = self._key_results.get((item_id, count))
        if html is None:
            titles = self.facts.key_results.get(item_id, [])[:count]
            if self.okrs_hidden:
                html = self._key_results[item_id, count] = GUEST_KR_BADGE if titles else ""
                return html
            html = self._key_results[item_id, count] = "".join(
                f'<span class="badge kr-badge" title="Key result: {escape(title)}">KR · '
                f"{escape(Truncator(title).chars(width))}</span>"
                for title in titles
            )
        return html

    def _blocked(self, blocked: list[str] | None) -> str:
        if not blocked:
            return ""
        return (
            f'<span class="badge bad" title="Blocked by {escape(", ".join(blocked))}">'
            "Blocked</span>"
        )

    def _estimate(self, estimate: Decimal) -> str:
        html = self._points.get(estimate)
        if html is None:
            html = self._points[estimate] = (
                f'<span class="points" title="Points">{escape(floatformat(estimate, "-1"))}</span>'
            )
        return html

    def _subtasks(self, task_id: int) -> str:
        if task_id not in self.facts.subtasks:  # most cards: one dict lookup
            return ""
        progress = self.facts.subtask_progress(task_id)
        if progress is None:
            return ""
        done, total = progress
        return (
            f'<span class="badge neutral subtask-progress" title="Sub-tasks done: {done} of '
            f'{total}">{done}/{total} sub-tasks</span>'
        )

    def card(self, task: Task) -> str:
        """One card's HTML (a plain str: join many, then mark the whole safe once).

        One f-string with the per-page parts looked up, not `str.format` with keywords: a
        board renders up to 460 cards a response, at a budget of 40 µs each (issue #15).
        A new part of the card is one more lookup here, read from `self.facts` or
        `self.badges` (see the module docstring), never a query."""
        pk = task.id
        raw_key = task.key
        key = escape(raw_key)
        title = escape(task.title)
        facts = self.facts
        blocked = facts.blocked_by.get(pk)
        conflict = facts.conflicts.get(pk)
        flags = (" is-blocked" if blocked else "") + (" has-conflict" if conflict else "")
        url = self.task_url(key)
        estimate = task.estimate
        labels = facts.labels.get(pk)
        if self.can_write:
            move = f' draggable="true" data-move-url="{self.move_url(key)}"'
            quick_edit = (
                '<button type="button" class="linklike quick-edit-toggle" hx-get="'
                f'{self.quick_edit_url(key)}" hx-target="#qe-{key}" tabindex="-1">Quick edit'
                f'</button><div id="qe-{key}" class="quick-edit-slot"></div>'
            )
        else:
            move = quick_edit = ""
        return (
            f'<li class="task-card{flags}" id="task-{key}" tabindex="0" data-key="{key}"'
            f' data-version="{task.version}" data-href="{url}"'
            f' data-card-url="{self.card_url(key)}"{move} aria-label="{key}: {title}">'
            f'<div class="card-top"><a class="task-key" href="{url}" draggable="false"'
            f' tabindex="-1">{key}</a>{PRIORITY.get(task.priority, "")}'
            f"{'' if estimate is None else self._estimate(estimate)}"
            f"{'' if task.assignee_id is None else self._avatar(cast(User, task.assignee))}</div>"
            f'<a class="card-title" href="{url}" draggable="false" tabindex="-1">{title}</a>'
            f'<div class="card-meta">{self._subtasks(pk)}'
            f"{''.join(map(self._label, labels)) if labels else ''}"
            f"{self._item_badges(task.roadmap_item_id)}{self._blocked(blocked)}"
            f"{self._conflict(conflict)}{self.badges.get(raw_key, '')}</div>"
            f"{quick_edit}</li>"
        )

    def _conflict(self, conflict: list[str] | None) -> str:
        if not conflict:
            return ""
        return (
            '<span class="badge warn" title="Schedule conflict with '
            f'{escape(", ".join(conflict))}">Schedule conflict</span>'
        )

    def row(self, task: Task) -> str:
        """One backlog row: the same task, laid out as a line (a plain str, like `card`)."""
        key = escape(task.key)
        blocked = self.facts.blocked_by.get(task.pk)
        assignee: Any = task.assignee if task.assignee_id else None
        return ROW.format(
            flags=" is-blocked" if blocked else "",
            key=key,
            version=task.version,
            url=self.task_url(key),
            card_url=self.row_card_url(key),
            move=MOVE.format(move_url=self.move_url(key)) if self.can_write else "",
            title=escape(task.title),
            checkbox=CHECKBOX.format(pk=task.pk, key=key) if self.can_write else "",
            labels="".join(self._label(name) for name in self.facts.labels.get(task.pk, ())),
            key_results=self._item_badges(
                task.roadmap_item_id, count=ROW_KR_BADGES, width=ROW_KR_TITLE
            ),
            blocked=self._blocked(blocked),
            state=escape(task.state.name),
            points="" if task.estimate is None else self._estimate(task.estimate),
            avatar="" if assignee is None else self._avatar(assignee),
        )

    def rows(self, tasks: Iterable[Task]) -> SafeString:
        """Many backlog rows, in order, as one safe string."""
        return mark_safe("".join(map(self.row, tasks)))

    def cards(self, tasks: Iterable[Task]) -> SafeString:
        """Many cards, in order, as one safe string."""
        return mark_safe("".join(map(self.card, tasks)))
