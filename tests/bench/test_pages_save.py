"""bench.pages writes its own section of RESULTS.md (pages_report) and keeps the others."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import pages_report as pages


def test_save_replaces_only_the_pages_section(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(pages, "HERE", tmp_path)
    (tmp_path / "RESULTS.md").write_text(
        "# Benchmark results\n\nrollups\n\n## Pages and API (old)\n\nold run\n\n"
        "## Forecast calibration\n\nforecast\n\n## Live pages\n\nsockets\n"
    )

    pages.save({"run_at": "now"}, "## Pages and API (new)\n\nnew run\n")

    assert (tmp_path / "RESULTS.md").read_text() == (
        "# Benchmark results\n\nrollups\n\n## Pages and API (new)\n\nnew run\n\n"
        "## Forecast calibration\n\nforecast\n\n## Live pages\n\nsockets\n"
    )


def test_save_appends_the_section_when_there_is_none(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(pages, "HERE", tmp_path)
    (tmp_path / "RESULTS.md").write_text("# Benchmark results\n\nrollups\n")

    pages.save({}, "## Pages and API\n\nrun\n")

    assert (tmp_path / "RESULTS.md").read_text() == (
        "# Benchmark results\n\nrollups\n\n## Pages and API\n\nrun\n"
    )


def test_another_runs_section_is_written_beside_the_pages_section(tmp_path: Path, monkeypatch):
    import json

    monkeypatch.setattr(pages, "HERE", tmp_path)
    (tmp_path / "results.json").write_text(json.dumps({"pages_and_api": {"kept": 1}}))
    (tmp_path / "RESULTS.md").write_text("# Benchmark results\n\n## Pages and API\n\npages\n")
    heading = "## Prepared statements, on vs off"

    pages.save_section("prepared_statements_ab", {"ratio": 1.3}, heading, f"{heading}\n\n1.3×\n")
    pages.save_section("prepared_statements_ab", {"ratio": 1.4}, heading, f"{heading}\n\n1.4×\n")

    assert (tmp_path / "RESULTS.md").read_text() == (
        "# Benchmark results\n\n## Pages and API\n\npages\n\n"
        "## Prepared statements, on vs off\n\n1.4×\n"
    )
    assert json.loads((tmp_path / "results.json").read_text()) == {
        "pages_and_api": {"kept": 1},
        "prepared_statements_ab": {"ratio": 1.4},
    }


def test_a_rollup_run_keeps_the_pages_section_and_the_sections_after_the_load() -> None:
    from bench.load import LOAD_MARK
    from bench.run import merged

    old = (
        "# Benchmark results\n\nold rollups\n\n## Pages and API\n\npages\n\n"
        f"{LOAD_MARK}\n## Mixed load\n\nold load\n{LOAD_MARK}\n\n## Prepared statements\n\nab\n"
    )
    new_load = f"{LOAD_MARK}\n## Mixed load\n\nnew load\n{LOAD_MARK}\n"

    assert merged("# Benchmark results\n\nnew rollups\n", old, new_load) == (
        "# Benchmark results\n\nnew rollups\n\n## Pages and API\n\npages\n\n"
        f"{LOAD_MARK}\n## Mixed load\n\nnew load\n{LOAD_MARK}\n\n## Prepared statements\n\nab\n"
    )
    assert merged("# Benchmark results\n\nnew rollups\n", "", None) == (
        "# Benchmark results\n\nnew rollups\n"
    )
