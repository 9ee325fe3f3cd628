"""The project's licence is stated where people and tools look, and vendored files are listed."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_licence_file_is_the_apache_2_0_text_with_our_notice():
    text = (ROOT / "LICENSE").read_text()

    assert text.lstrip().startswith("Apache License\n                           Version 2.0")
    assert "END OF TERMS AND CONDITIONS" in text
    assert "Copyright 2026 The Alignment authors" in text


def test_pyproject_declares_the_same_licence_and_ships_the_notices():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]

    assert project["license"] == "Apache-2.0"
    assert set(project["license-files"]) == {"LICENSE", "THIRD_PARTY_NOTICES.md"}
    assert all((ROOT / name).is_file() for name in project["license-files"])


def test_every_vendored_file_is_listed_with_its_licence():
    notices = (ROOT / "THIRD_PARTY_NOTICES.md").read_text()
    # static/vendor/README.md is ours: the index of what is vendored and how to update it.
    ours = {"static/vendor/README.md"}
    vendored = sorted(
        path
        for path in (p.relative_to(ROOT).as_posix() for p in (ROOT / "static/vendor").rglob("*"))
        if path not in ours
    )

    assert vendored, "static/vendor/ is empty: update this test and the notices"
    assert [path for path in vendored if f"`{path}`" not in notices] == []


def test_readme_points_at_the_licence_and_the_security_policy():
    readme = (ROOT / "README.md").read_text()

    assert "(LICENSE)" in readme
    assert "(SECURITY.md)" in readme
    assert "Report a vulnerability" in (ROOT / "SECURITY.md").read_text()
