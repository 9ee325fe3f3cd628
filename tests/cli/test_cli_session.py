import json
import stat
import subprocess

import pytest
from alignment_cli.client import EXIT_AUTH, EXIT_NETWORK
from alignment_cli.git import branch_name, key_from_branch
from alignment_cli.main import app


def test_login_saves_url_token_and_workspace_readable_only_by_owner(
    runner, cli_env, live_server, member_token, world
):
    result = runner.invoke(app, ["login", "--url", live_server.url, "--token", member_token])
    assert result.exit_code == 0, result.output
    assert f"in workspace {world.workspace.slug}" in result.output
    saved = json.loads(cli_env.read_text())
    assert saved == {"url": live_server.url, "token": member_token, "workspace": "acme-inc"}
    assert stat.S_IMODE(cli_env.stat().st_mode) == 0o600


def test_login_with_a_wrong_token_says_so_and_saves_nothing(runner, cli_env, live_server, world):
    result = runner.invoke(app, ["login", "--url", live_server.url, "--token", "aln_wrong"])
    assert result.exit_code == EXIT_AUTH
    assert "The API token is not valid." in result.output
    assert not cli_env.exists()


def test_network_down_is_a_sentence_and_exit_code_6(runner, cli_env):
    result = runner.invoke(app, ["login", "--url", "http://127.0.0.1:9", "--token", "aln_x"])
    assert result.exit_code == EXIT_NETWORK
    assert "Cannot reach http://127.0.0.1:9" in result.output


def test_whoami_and_workspaces_read_the_live_server(runner, logged_in, world):
    who = runner.invoke(app, ["whoami"])
    assert who.exit_code == 0, who.output
    assert world.member.user.email in who.output
    assert "scope: write" in who.output
    listed = runner.invoke(app, ["workspaces", "--json"])
    assert json.loads(listed.output) == [
        {"slug": "acme-inc", "name": "Acme Inc", "role": "member", "time_zone": "UTC"}
    ]


def test_commands_without_login_explain_what_to_do(runner, cli_env):
    result = runner.invoke(app, ["whoami"])
    assert result.exit_code == EXIT_AUTH
    assert "Run `alignment login" in result.output


def test_revoked_token_is_refused_at_once(runner, logged_in, world):
    from django.utils import timezone

    from alignment.models import ApiToken

    ApiToken.objects.filter(user=world.member.user).update(revoked_at=timezone.now())
    result = runner.invoke(app, ["whoami"])
    assert result.exit_code == EXIT_AUTH
    assert "revoked" in result.output


@pytest.mark.parametrize(
    ("branch", "key"),
    [
        ("eng-123-fix-login", "ENG-123"),
        ("feature/plt-7-cache", "PLT-7"),
        ("ENG-42", "ENG-42"),
        ("main", None),
        ("fix/typo-in-readme", None),
    ],
)
def test_key_from_branch(branch, key):
    assert key_from_branch(branch) == key


def test_branch_name_is_key_and_short_title():
    title = "Fix the login: lock-out after 5 failures from one address!"
    assert branch_name("ENG-12", title) == "eng-12-fix-the-login-lock-out-after-5-failures"


def _git(repo, *args):
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True
    ).stdout


def test_hook_puts_the_branch_key_into_commit_messages(runner, tmp_path, monkeypatch):
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "config", "user.email", "dev@example.com")
    _git(repo, "config", "user.name", "Dev")
    monkeypatch.chdir(repo)
    result = runner.invoke(app, ["hook", "install"])
    assert result.exit_code == 0, result.output
    _git(repo, "switch", "-q", "-c", "eng-77-speed-up-board")
    (repo / "a.txt").write_text("a")
    _git(repo, "add", "a.txt")
    _git(repo, "commit", "-q", "-m", "Speed up the board")
    (repo / "b.txt").write_text("b")
    _git(repo, "add", "b.txt")
    _git(repo, "commit", "-q", "-m", "PLT-1 already named")
    log = _git(repo, "log", "--format=%s")
    assert log.splitlines() == ["PLT-1 already named", "ENG-77 Speed up the board"]
