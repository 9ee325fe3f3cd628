"""The CLI runs in-process (CliRunner) but talks to a live server over real HTTP."""

from __future__ import annotations

import uuid

import pytest
from typer.testing import CliRunner

from alignment.models import TokenScope
from tests.factories import ApiTokenFactory


@pytest.fixture
def cli_env(tmp_path, monkeypatch):
    monkeypatch.setenv("ALIGNMENT_CONFIG", str(tmp_path / "config.json"))
    for name in ("ALIGNMENT_URL", "ALIGNMENT_TOKEN", "ALIGNMENT_WORKSPACE"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path / "config.json"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def member_token(transactional_db, world) -> str:
    raw = f"aln_{uuid.uuid4().hex}"
    ApiTokenFactory(
        raw=raw, workspace=world.workspace, user=world.member.user, scope=TokenScope.WRITE
    )
    return raw


@pytest.fixture
def logged_in(cli_env, runner, live_server, member_token):
    from alignment_cli.main import app

    result = runner.invoke(app, ["login", "--url", live_server.url, "--token", member_token])
    assert result.exit_code == 0, result.output
    return cli_env
