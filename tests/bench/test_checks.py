"""The benchmark's pass/fail checks (bench/run.py) against the issue's targets."""

from __future__ import annotations

from bench.run import checks


def size(tasks: int, *, ratio: float, incremental: float = 20.0, leader: float = 90.0) -> dict:
    pages = {
        "leader_dashboard": {"ms": leader, "queries": 24},
        "team_dashboard": {"ms": 40.0, "queries": 18},
        "sprint_board": {"ms": 50.0, "queries": 17},
    }
    return {
        "tasks": tasks,
        "recompute_to_floor_ratio": ratio,
        "incremental_ms_median": incremental,
        "incremental_queries": [15, 16, 17],
        "pages": pages,
    }


def test_the_recompute_ratio_is_checked_at_the_largest_size_only():
    assert checks([size(10_000, ratio=5.2), size(1_000_000, ratio=1.9)])[
        "recompute_within_2x_floor_at_largest_size"
    ]
    assert not checks([size(10_000, ratio=1.5), size(1_000_000, ratio=2.1)])[
        "recompute_within_2x_floor_at_largest_size"
    ]


def test_every_other_target_can_fail():
    found = checks(
        [size(10_000, ratio=2.0), size(1_000_000, ratio=2.0, incremental=25.5, leader=100.5)]
    )
    assert found == {
        "page_queries_identical": True,
        "incremental_queries_identical": True,
        "recompute_within_2x_floor_at_largest_size": True,
        "incremental_within_25ms": False,
        "leader_within_100ms_at_largest_size": False,
    }
    grown = size(1_000_000, ratio=2.0)
    grown["pages"]["sprint_board"]["queries"] = 18
    grown["incremental_queries"] = [15, 16, 18]
    found = checks([size(10_000, ratio=2.0), grown])
    assert not found["page_queries_identical"]
    assert not found["incremental_queries_identical"]


def test_peer_ratios_multiply_the_recorded_ratio_by_the_measured_speedup():
    from bench.pages import peer_ratios

    measured = {"trivial_get": {"small": {"main_ms": 4.0, "ours_ms": 2.0, "speedup": 2.0}}}

    assert peer_ratios(measured) == {"trivial_get [small]": {"Taiga": 3.8, "Plane": 4.4}}
