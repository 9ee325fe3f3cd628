"""bench-load's bookkeeping (bench/load.py): what is timed, what is verified, what is written."""

from __future__ import annotations

import json

import pytest

from bench import load


def test_only_requests_inside_the_window_are_timed_but_every_ack_is_verified():
    run = load.Run(measure_from=10.0, measure_until=20.0)
    created = {"kind": "task_create", "id": 1, "title": "a"}
    run.record("task_create", 9.0, 11.0, None, created)  # started in the warm-up
    run.record("task_create", 12.0, 13.0, None, {**created, "id": 2})
    run.record("board", 19.0, 21.0, None, None)  # ended after the window
    run.record("board", 14.0, 15.0, "500 boom", None)

    assert run.latencies["task_create"] == [1000.0]
    assert run.latencies["board"] == [1000.0]
    assert run.errors == {**dict.fromkeys(run.errors, 0), "board": 1}
    assert [a["id"] for a in run.acknowledged()["created"]] == [1, 2]


def test_a_moved_task_is_verified_against_its_last_acknowledged_move():
    run = load.Run(measure_from=0.0, measure_until=100.0)
    run.record("task_move", 1.0, 2.0, None, {"kind": "task_move", "id": 7, "version": 2})
    run.record("task_move", 3.0, 4.0, None, {"kind": "task_move", "id": 7, "version": 3})

    assert run.acknowledged()["moved"] == [{"kind": "task_move", "id": 7, "version": 3}]


def test_percentiles_are_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    assert load.percentile(values, 50) == 50.0
    assert load.percentile(values, 95) == 95.0
    assert load.percentile(values, 99) == 99.0
    assert load.percentile([5.0], 99) == 5.0


def summary(label: str) -> dict:
    kinds = {
        kind: {"requests": 1, "errors": 0, "p50_ms": 1.0, "p95_ms": 2.0, "p99_ms": 3.0}
        for kind, _ in load.MIX
    }
    verified = {"created": 1, "moved_tasks": 1, "check_ins": 1, "missing_or_changed": 0}
    return {
        "label": label,
        "req_per_s": 10.0,
        "p50_ms": 1.0,
        "p95_ms": 2.0,
        "p99_ms": 3.0,
        "errors": 0,
        "kinds": kinds,
        "verified": verified,
        "load_average": [1.0, 1.0],
    }


def test_results_are_merged_beside_the_rollup_figures(tmp_path, monkeypatch):
    monkeypatch.setattr(load, "HERE", tmp_path)
    (tmp_path / "results.json").write_text(json.dumps({"sizes": [1]}))
    (tmp_path / "RESULTS.md").write_text("# Benchmark results\n\nrollups table\n")

    load.write_results([summary("old")], ["first"])
    load.write_results([summary("new")], ["second"])

    results = json.loads((tmp_path / "results.json").read_text())
    assert results["sizes"] == [1]
    assert [r["label"] for r in results["load"]["runs"]] == ["new"]
    text = (tmp_path / "RESULTS.md").read_text()
    assert text.startswith("# Benchmark results\n\nrollups table\n")
    assert text.count("## Mixed load") == 1
    assert "| new | 10.0 |" in text
    assert "second" in text
    assert "first" not in text


@pytest.mark.django_db
def test_postgres_cpu_time_counts_the_work_a_query_made_the_server_do():
    from django.db import connection

    from bench.load_stack import Stack
    from tests.services import require, require_postgres

    require_postgres()
    before = Stack.postgres_cpu_seconds()
    require(before > 0, "PostgreSQL running on this machine")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM generate_series(1, 3000000)")

    assert Stack.postgres_cpu_seconds() - before >= 0.05
