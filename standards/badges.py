"""The board card badge: the standards a card fails ahead of its next gate, and why."""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import Q
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from standards import presence
from standards.evaluate import evaluate_tasks
from standards.models import Adoption
from tasks.models import Task, parse_key


def standards_card_badges(workspace_id: int, keys: Sequence[str]) -> dict[str, SafeString]:
    """Task key → a badge listing the failing checks of the next gate. A board whose teams
    follow no standard costs no query (a cached workspace flag); one that does, a fixed handful."""
    if not keys:
        return {}
    if not presence.follows_any(workspace_id):  # cached: most workspaces follow none
        return {}
    team_keys = sorted({parsed[0] for parsed in map(parse_key, keys) if parsed})
    if not Adoption.objects.filter(workspace_id=workspace_id, team__key__in=team_keys).exists():
        return {}
    tasks = _tasks(workspace_id, keys)
    if not tasks:
        return {}
    workspace = tasks[0].workspace
    judged = evaluate_tasks(workspace_id, tasks, slug=workspace.slug)
    badges: dict[str, SafeString] = {}
    # Reversed once per board, not per card (templates and badges are hot paths).
    page_of = reverse("tasks:task", kwargs={"slug": workspace.slug, "key": "KEY-1"})
    for task in tasks:
        ahead = judged.get(task.pk)
        failing = [(s, r) for s in (ahead.ahead if ahead else []) if not s.ok for r in s.failing]
        if not failing:
            continue
        blocks = any(s.blocks for s, _ in failing)
        page = page_of.replace("KEY-1", task.key)
        badges[task.key] = format_html(
            '<a class="badge standards-badge {}" data-standards="{}" href="{}#standards" '
            'title="{}">{} {}</a>',
            "bad" if blocks else "warn",
            "blocked" if blocks else "warn",
            page,
            format_html_join("; ", "{}: {}", ((r.label, r.message) for _, r in failing)),
            "Blocked:" if blocks else "Warn:",
            ", ".join(r.label for _, r in failing),
        )
    return badges


def _tasks(workspace_id: int, keys: Sequence[str]) -> list[Task]:
    """The cards' tasks by their current keys, in one query."""
    wanted = Q(pk__in=[])
    for key in keys:
        parsed = parse_key(key)
        if parsed:
            wanted |= Q(team__key=parsed[0], number=parsed[1])
    return list(
        Task.objects.for_workspace(workspace_id).filter(wanted).select_related("team", "workspace")
    )
