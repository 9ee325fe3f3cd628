"""The VS Code extension's logic (editors/vscode/src) under `node --test`, against a live server.

pytest seeds a workspace, starts the live server and runs the extension's node tests with the
URL, a write token and what was seeded; then it checks in the database what they did and that
the line the extension showed carries the read model's numbers. Without `node` the tests skip
locally and fail under CI=true (tests/services.py).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from integrations.keys import extract_task_keys
from okrs.models import KeyResult
from readmodel.selectors import rollups_for
from tasks.models import StateCategory, Task, TaskComment
from tests.editors.seed import seed_editor_work
from tests.factories import TeamFactory
from tests.factories.work import (
    state_of,
)
from tests.services import require

EXTENSION = Path(__file__).resolve().parents[2] / "editors" / "vscode"


def _node() -> str:
    node = shutil.which("node")
    require(node is not None, "Node.js (`node`, for the VS Code extension's tests)")
    assert node is not None
    version = subprocess.run([node, "--version"], capture_output=True, text=True, check=True)
    major = int(version.stdout.strip().lstrip("v").split(".")[0])
    # node:test with `--test <dir>`, global fetch and AbortSignal.timeout arrived by Node 18.
    require(major >= 18, f"Node.js 18 or newer (found {version.stdout.strip()})")
    return node


def _run_node(node: str, args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [node, *args],
        cwd=EXTENSION,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def _figure(row: Any) -> str:
    status = (row.status or "").replace("_", " ")
    return f"{row.percent}% · {status}" if status else f"{row.percent}%"


def _line_rows(workspace_id: int, item_id: int, kr: KeyResult) -> dict[str, Any]:
    return rollups_for(
        workspace_id,
        {"roadmap_item": [item_id], "key_result": [kr.pk], "objective": [kr.objective_id]},
    )


@pytest.mark.django_db(transaction=True)
def test_extension_logic_against_the_live_server(live_server, world, tmp_path):
    node = _node()
    TeamFactory(workspace=world.workspace, key="PLT", name="Platform")
    seeded = seed_editor_work(world)
    kr, item, mine, mine_too, raw = (
        seeded.key_result,
        seeded.item,
        seeded.mine,
        seeded.other,
        seeded.token,
    )
    me = world.member.user

    rows = _line_rows(world.workspace.pk, item.pk, kr)
    line_before = {
        "Fast boards": _figure(rows[("roadmap_item", item.pk)]),
        f"KR {kr.pk}: Board loads in 50 ms": _figure(rows[("key_result", kr.pk)]),
        kr.objective.title: _figure(rows[("objective", kr.objective_id)]),
    }
    seed = {
        "workspace": world.workspace.slug,
        "email": me.email,
        "team_keys": sorted(world.workspace.teams.values_list("key", flat=True)),
        "my_open_keys": [mine.key, mine_too.key],
        "task_key": mine.key,
        "task_title": mine.title,
        "state_before": mine.state.name,
        "other_key": mine_too.key,
        "line_before": line_before,
    }
    report = tmp_path / "report.json"

    result = _run_node(
        node,
        ["--test", "--test-reporter=spec", "test/"],
        {
            "ALIGNMENT_TEST_URL": live_server.url,
            "ALIGNMENT_TEST_TOKEN": raw,
            "ALIGNMENT_TEST_SEED": json.dumps(seed),
            "ALIGNMENT_TEST_REPORT": str(report),
        },
    )

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "# skipped 0" in output or "ℹ skipped 0" in output, output
    assert "fail 0" in output, output
    # What the node tests did, seen from the database.
    mine.refresh_from_db()
    assert mine.state.category == StateCategory.DONE
    mine_too.refresh_from_db()
    assert (
        mine_too.state.category == state_of(world.team).category
    )  # the stale write changed nothing
    bodies = list(TaskComment.objects.filter(task=mine).values_list("body", flat=True))
    assert bodies.count("Once") == 1
    assert sum(body.startswith("Lost answers are fine") for body in bodies) == 1
    # The line the extension showed after `done` is the read model's.
    shown = json.loads(report.read_text())
    rows = _line_rows(world.workspace.pk, item.pk, kr)
    assert {row["title"]: row["figure"] for row in shown["rows"]} == {
        "Fast boards": _figure(rows[("roadmap_item", item.pk)]),
        f"KR {kr.pk}: Board loads in 50 ms": _figure(rows[("key_result", kr.pk)]),
        kr.objective.title: _figure(rows[("objective", kr.objective_id)]),
    }
    assert rows[("key_result", kr.pk)].percent == 25
    assert shown["state"] == Task.objects.get(pk=mine.pk).state.name


BRANCHES_AND_MESSAGES = [
    "eng-123-fix-login",
    "feature/plt-7-cache",
    "ENG-42",
    "main",
    "fix/typo-in-readme",
    "ENG-012 and eng-12 again",
    "ENG-0 xENG-1 ENG-1a ENG-2.1 PLT-3_x",
    "Merge ENG-5, PLT-6; closes eng-5",
    "bump utf-8 and sha-256",
    "eng-1234567890-too-long eng-123456789-ok",
    "a-1 ab-2 abcdefghijk-3 abcdefghij-4",
]


def test_extension_finds_the_same_task_keys_as_the_server():
    """The extension's port of integrations/keys.py answers exactly as the server does."""
    node = _node()
    teams = ["ENG", "PLT", "UTF", "AB", "ABCDEFGHIJ"]
    script = (
        "const { extractTaskKeys } = require('./src/keys');"
        "const [texts, teams] = JSON.parse(process.argv[1]);"
        "console.log(JSON.stringify(texts.map((text) => extractTaskKeys([text], teams))));"
    )
    result = _run_node(node, ["-e", script, json.dumps([BRANCHES_AND_MESSAGES, teams])], {})
    assert result.returncode == 0, result.stderr
    expected = [extract_task_keys([text], teams) for text in BRANCHES_AND_MESSAGES]
    assert json.loads(result.stdout) == expected
    assert expected[0] == ["ENG-123"]  # the cases do exercise matching
