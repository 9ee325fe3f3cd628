"""The application side of `bench.load`: seed the workspace before the load, verify after.

Run by `bench.load` as a script inside the code under test (`--app-dir`, e.g. a scratch
worktree of an older commit), so it only uses what both old and new code have: the models, the
services that create members and tokens, `bench.generate` and the rollup repair.

    python bench/load_app.py seed <fixtures.json>
    python bench/load_app.py verify <fixtures.json> <acks.json> <verdict.json>
"""

from __future__ import annotations

import json
import os
import sys
import time
from decimal import Decimal

CLIENTS = int(os.environ.get("BENCH_LOAD_CLIENTS", "40"))
MOVE_TASKS_PER_CLIENT = 4
DRAIN_WAIT_S = float(os.environ.get("BENCH_LOAD_DRAIN_WAIT", "180"))


def setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alignment.settings")
    sys.path.insert(0, os.getcwd())  # the code under test, not this file's checkout
    import django

    django.setup()


def seed(out: str) -> None:
    """One production-shaped workspace, its members (a session and a token each), fixtures."""
    from django.db import connection
    from django.test import Client

    from alignment import services as core
    from alignment.models import Membership, Role, TokenScope, User
    from bench.generate import FULL, Generator
    from dashboards import drift, metrics, rollups
    from okrs.models import KeyResult
    from tasks.models import Task, WorkflowState
    from tasks.ranking import is_valid_key

    scale = float(os.environ.get("BENCH_LOAD_SCALE", "0.02"))
    started = time.perf_counter()
    gen = Generator(scale)
    gen.grow_to(round(FULL["tasks"] * scale))
    ws = gen.workspace
    sample = Task.objects.filter(workspace=ws).values_list("rank", flat=True).first()
    if sample and not is_valid_key(sample):
        # Generators before 2026-12-07 wrote ranks the ranking refuses ("i00000001"): give
        # them the fixed format, so an older checkout can be measured by the same load.
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {Task._meta.db_table} SET rank = 'p' || lpad(number::text, 8, '0') "
                "WHERE workspace_id = %s",
                [ws.pk],
            )
    rollups.recompute_all(ws)
    metrics.refresh_team_metrics(ws)
    drift.refresh_findings(ws)
    clients = []
    for n in range(CLIENTS):
        user = User.objects.create_user(email=f"load{n}@example.com", password="x" * 12)
        member = Membership.objects.create(workspace=ws, user=user, role=Role.MEMBER)
        _token, raw = core.api_token_create(
            actor=member, name="bench-load", scope=TokenScope.WRITE, expires_in_days=None
        )
        browser = Client()
        browser.force_login(user)
        clients.append({"token": raw, "session": browser.cookies["sessionid"].value})
    teams = []
    for team in gen.teams:
        sprint = gen.sprints[team.pk]["active"]
        states = list(
            WorkflowState.objects.filter(team=team)
            .exclude(category="canceled")
            .values_list("pk", flat=True)
        )
        teams.append({"id": team.pk, "key": team.key, "sprint": sprint.pk, "states": states})
    # Each client moves cards of its own (no two clients race for one card's version).
    movable = list(
        Task.objects.filter(workspace=ws, sprint__in=[t["sprint"] for t in teams])
        .order_by("pk")
        .values_list("pk", "team__key", "number", "version", "team_id")[
            : CLIENTS * MOVE_TASKS_PER_CLIENT
        ]
    )
    for n, client in enumerate(clients):
        client["move"] = [
            {"id": pk, "key": f"{key}-{number}", "version": version, "team": team_id}
            for pk, key, number, version, team_id in movable[n::CLIENTS]
        ]
    manual = list(
        KeyResult.objects.filter(workspace=ws, source="manual")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for n, client in enumerate(clients):
        client["key_result"] = manual[n % len(manual)]
    fixtures = {
        "slug": ws.slug,
        "tasks": gen.tasks,
        "teams": teams,
        "items": [item.pk for item in gen.items[:200]],
        "clients": clients,
        "objectives": gen.objectives,
        "seed_s": round(time.perf_counter() - started, 1),
    }
    with open(out, "w") as f:
        json.dump(fixtures, f)


def wait_for_drain() -> tuple[bool, float]:
    """Wait until the Celery worker has drained every stale rollup node."""
    from dashboards.models import RollupPending

    started = time.perf_counter()
    while time.perf_counter() - started < DRAIN_WAIT_S:
        if not RollupPending.objects.exists():
            return True, time.perf_counter() - started
        time.sleep(0.25)
    return False, time.perf_counter() - started


def verify(fixtures_path: str, acks_path: str, out: str) -> None:
    """Every acknowledged write is there; the rollups the worker kept equal a full repair."""
    from alignment.models import Workspace
    from dashboards import rollups
    from okrs.models import CheckIn
    from tasks.models import Task

    try:
        from readmodel.models import Rollup
    except ImportError:  # a checkout from before the read model had an app of its own
        from dashboards.models import Rollup  # type: ignore[attr-defined,no-redef]

    with open(fixtures_path) as f:
        fixtures = json.load(f)
    with open(acks_path) as f:
        acks = json.load(f)
    ws = Workspace.objects.get(slug=fixtures["slug"])
    problems: list[str] = []

    created = {a["id"]: a for a in acks["created"]}
    found = dict(Task.objects.filter(workspace=ws, pk__in=list(created)).values_list("pk", "title"))
    for pk, ack in created.items():
        if found.get(pk) != ack["title"]:
            problems.append(f"created task {pk} ({ack['title']}) missing or changed")

    moved = {a["id"]: a for a in acks["moved"]}  # the last acknowledged move of each task
    rows = {
        pk: (state, version)
        for pk, state, version in Task.objects.filter(pk__in=list(moved)).values_list(
            "pk", "state_id", "version"
        )
    }
    for pk, ack in moved.items():
        state, version = rows.get(pk, (None, None))
        if state != ack["state"] or version != ack["version"]:
            problems.append(f"moved task {pk}: {state}/v{version}, acknowledged {ack}")

    check_ins = {a["id"]: a for a in acks["checked_in"]}
    stored = {
        pk: (kr, value)
        for pk, kr, value in CheckIn.objects.filter(
            workspace=ws, pk__in=list(check_ins)
        ).values_list("pk", "key_result_id", "value")
    }
    for pk, ack in check_ins.items():
        kr, value = stored.get(pk, (None, None))
        if kr != ack["key_result"] or value is None or Decimal(value) != Decimal(ack["value"]):
            problems.append(f"check-in {pk} missing or changed: {kr}/{value}, acknowledged {ack}")

    drained, drain_s = wait_for_drain()
    if not drained:
        problems.append(f"rollup queue not drained after {DRAIN_WAIT_S:.0f} s")
    # One truth: what the worker kept incrementally equals a full recompute from source rows.
    fields = ("kind", "node_id", "progress", "status", "done_points", "total_points")
    before = set(Rollup.objects.filter(workspace=ws).values_list(*fields))
    rollups.recompute_all(ws)
    after = set(Rollup.objects.filter(workspace=ws).values_list(*fields))
    differing = len(before ^ after)
    if differing:
        problems.append(f"{differing} rollup rows differ from a full recompute")
    verdict = {
        "created": len(created),
        "moved_tasks": len(moved),
        "check_ins": len(check_ins),
        "missing_or_changed": len(problems),
        "problems": problems[:20],
        "rollups_drained_after_s": round(drain_s, 1),
        "rollup_rows_differing_from_full_recompute": differing,
    }
    with open(out, "w") as f:
        json.dump(verdict, f)


if __name__ == "__main__":
    setup()
    command, *args = sys.argv[1:]
    if command == "seed":
        seed(*args)
    else:
        verify(*args)
