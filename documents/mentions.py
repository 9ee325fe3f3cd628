"""Mentions in a document's text, rendered as chips with live progress and status.

Written in the text as `@task:ENG-12`, `@kr:12`, `@objective:5`, `@item:3` or
`@person:ana@example.com`. Each is resolved as the reader may see it (`visible_to`, the task
selector's own checks); progress and status come from the read model (`rollups_for`), a task
shows its workflow state. A mention the reader may not see stays plain text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q
from django.utils.html import escape

from alignment.models import Membership, Workspace
from documents.models import DocumentMention, MentionKind
from okrs.models import KeyResult, Objective
from readmodel.selectors import rollups_for
from roadmaps.models import RoadmapItem
from tasks import selectors as task_selectors

MENTION = re.compile(r"@(task|kr|objective|item|person):([A-Za-z0-9@._+-]{1,120})")
ROLLUP_KIND = {"kr": "key_result", "objective": "objective", "item": "roadmap_item"}
MODELS = {"kr": KeyResult, "objective": Objective, "item": RoadmapItem}


@dataclass(frozen=True)
class Chip:
    kind: str
    ref: str
    label: str
    detail: str  # "42% · on track", a task's state, a person's role

    def html(self) -> str:
        return (
            f'<span class="mention-chip mention-{self.kind}" data-mention="{escape(self.kind)}:'
            f'{escape(self.ref)}">{escape(self.label)} <small>{escape(self.detail)}</small></span>'
        )


def chips_for(membership: Membership, text: str) -> dict[tuple[str, str], Chip]:
    """The chips of every mention in `text` the reader may see, by (kind, reference)."""
    found = {(m[1], m[2].rstrip(".")) for m in MENTION.finditer(text)}
    chips: dict[tuple[str, str], Chip] = {}
    ids: dict[str, dict[int, str]] = {}
    for kind, ref in found:
        if kind in MODELS and ref.isdigit():
            ids.setdefault(kind, {})[int(ref)] = ref
    for kind, wanted in ids.items():
        rows = MODELS[kind].objects.visible_to(membership).filter(pk__in=wanted)  # type: ignore[attr-defined]
        titles = {row.pk: getattr(row, "title", str(row)) for row in rows}
        rollups = rollups_for(membership.workspace_id, {ROLLUP_KIND[kind]: list(titles)})
        for pk, title in titles.items():
            rollup = rollups.get((ROLLUP_KIND[kind], pk))
            detail = (
                f"{rollup.percent}% · {rollup.status.replace('_', ' ')}" if rollup else "no data"
            )
            chips[(kind, wanted[pk])] = Chip(kind, wanted[pk], title, detail)
    for kind, ref in found:
        if kind == "task":
            task = task_selectors.task_by_key(membership.workspace, ref, viewer=membership)
            if task is not None:
                chips[(kind, ref)] = Chip(kind, ref, f"{task.key} {task.title}", task.state.name)
        elif kind == "person":
            person = (
                Membership.objects.filter(workspace_id=membership.workspace_id, user__email=ref)
                .select_related("user")
                .first()
            )
            if person is not None:
                chips[(kind, ref)] = Chip(kind, ref, person.user.display_name, person.role)
    return chips


def with_chips(membership: Membership, html: str, text: str) -> str:
    """Sanitized preview HTML with each visible mention replaced by its chip."""
    chips = chips_for(membership, text)
    if not chips:
        return html

    def chip(match: re.Match[str]) -> str:
        found = chips.get((match[1], match[2].rstrip(".")))
        return found.html() + match[2][len(match[2].rstrip(".")) :] if found else match[0]

    return MENTION.sub(chip, html)


def mentioned_refs(text: str) -> set[tuple[str, str]]:
    """(kind, reference) of every mention of an object with a page (people have none)."""
    return {
        (m[1], m[2].rstrip("."))
        for m in MENTION.finditer(text)
        if m[1] in MentionKind.values and m[2].rstrip(".")
    }


def _resolve(workspace_id: int, refs: set[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """The id of each mentioned object that exists in the workspace; the rest are dropped."""
    found: dict[tuple[str, str], int] = {}
    numeric: dict[str, set[int]] = {}
    for kind, ref in refs:
        if kind in MODELS and ref.isdigit() and len(ref) < 19:
            numeric.setdefault(kind, set()).add(int(ref))
    for kind, ids in numeric.items():
        rows = MODELS[kind].objects.filter(workspace_id=workspace_id, pk__in=ids)  # type: ignore[attr-defined]
        found.update({(kind, str(pk)): pk for pk in rows.values_list("pk", flat=True)})
    task_keys = sorted(ref for kind, ref in refs if kind == MentionKind.TASK)
    if task_keys:
        workspace = Workspace.objects.get(pk=workspace_id)
        for key in task_keys:
            # Without a viewer: the link is stored for everyone; each reader's backlinks and
            # chips apply their own visibility when read.
            task = task_selectors.task_by_key(workspace, key)
            if task is not None:
                found[(MentionKind.TASK, key)] = task.pk
    return found


def store_mentions(*, document_id: int, workspace_id: int, text: str) -> None:
    """Make the document's stored mentions those of `text`. Reads one query when nothing
    changed (every keystroke); resolves only the references that are new."""
    wanted = mentioned_refs(text)
    stored = {
        (kind, ref): pk
        for pk, kind, ref in DocumentMention.objects.filter(document_id=document_id).values_list(
            "pk", "kind", "ref"
        )
    }
    gone = [pk for key, pk in stored.items() if key not in wanted]
    if gone:
        DocumentMention.objects.filter(pk__in=gone).delete()
    new = wanted - stored.keys()
    if not new:
        return
    DocumentMention.objects.bulk_create(
        [
            DocumentMention(
                workspace_id=workspace_id,
                document_id=document_id,
                kind=kind,
                ref=ref,
                object_id=object_id,
            )
            for (kind, ref), object_id in _resolve(workspace_id, new).items()
        ],
        ignore_conflicts=True,  # a concurrent save stored the same mention: one row is enough
    )


@dataclass(frozen=True)
class Backlink:
    document_id: int
    title: str
    updated_at: datetime
    mentions: tuple[str, ...]  # what of the page it names: "this objective", "KR 12"…


def backlinks(membership: Membership, targets: dict[str, Any]) -> list[Backlink]:
    """Documents `membership` may read that mention any of `targets` ({kind: ids, a list or
    a subquery}), most recently edited first: one query."""
    condition = Q()
    for kind, ids in targets.items():
        if ids is not None:
            condition |= Q(kind=kind, object_id__in=ids)
    if not condition:
        return []
    rows = (
        DocumentMention.objects.visible_to(membership)
        .filter(condition)
        .order_by("-document__updated_at", "document_id", "kind", "object_id")
        .values_list("document_id", "document__title", "document__updated_at", "kind", "ref")
    )
    grouped: dict[int, Backlink] = {}
    for document_id, title, updated_at, kind, ref in rows:
        label = f"@{kind}:{ref}"
        previous = grouped.get(document_id)
        if previous is None:
            grouped[document_id] = Backlink(document_id, title, updated_at, (label,))
        elif label not in previous.mentions:
            grouped[document_id] = Backlink(
                document_id, title, updated_at, (*previous.mentions, label)
            )
    return list(grouped.values())
