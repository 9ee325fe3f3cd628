"""The packaged extension (.vsix) inside a real VS Code: code-server, driven by Playwright.

code-server is VS Code's workbench served to a browser; the extension runs in its extension host
exactly as in the desktop app. The test installs the `.vsix` that `make vsix` builds, opens a
git repository on a task's branch, signs in through the command palette and uses the commands
as a person would, against the live server. It needs `code-server` (CODE_SERVER, or on PATH;
editors/vscode/scripts/install-code-server.sh installs it), the built .vsix and Chromium: it
skips locally without them and fails under CI=true.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tasks.models import StateCategory, Task, TaskComment
from tests.browser.screenshots import DOCS_IMG, SCRATCH_IMG
from tests.editors.seed import seed_editor_work
from tests.services import require

ROOT = Path(__file__).resolve().parents[2]
VSIX = ROOT / "editors" / "vscode" / "alignment-vscode.vsix"
ARTIFACTS = ROOT / "test-artifacts"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.xdist_group("browser"),
    pytest.mark.django_db(transaction=True),
]


def _code_server() -> str:
    found = os.environ.get("CODE_SERVER") or shutil.which("code-server") or ""
    require(bool(found) and os.access(found, os.X_OK), "code-server (CODE_SERVER or on PATH)")
    require(VSIX.exists(), f"the packaged extension {VSIX.relative_to(ROOT)} (make vsix)")
    sources = [*(VSIX.parent / "src").glob("*.js"), VSIX.parent / "package.json"]
    newer = [path.name for path in sources if path.stat().st_mtime > VSIX.stat().st_mtime]
    # Testing an old package would pass or fail for code that is no longer there.
    assert not newer, f"{', '.join(newer)} changed after {VSIX.name} was built: run make vsix"
    return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _git(repo: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


@pytest.fixture
def code_server(tmp_path, live_server) -> Iterator[tuple[str, Path]]:
    """code-server with the .vsix installed, settings pointing at the live server."""
    binary = _code_server()
    data, extensions = tmp_path / "data", tmp_path / "extensions"
    (data / "User").mkdir(parents=True)
    (data / "User" / "settings.json").write_text(
        json.dumps(
            {
                "alignment.serverUrl": live_server.url,
                "alignment.refreshSeconds": 0,
                "workbench.startupEditor": "none",
                "workbench.tips.enabled": False,
                "security.workspace.trust.enabled": False,
                "telemetry.telemetryLevel": "off",
                "extensions.autoCheckUpdates": False,
                "extensions.autoUpdate": False,
                "git.openRepositoryInParentFolders": "always",
                "workbench.colorTheme": "Default Light Modern",
            }
        )
    )
    common = ["--user-data-dir", str(data), "--extensions-dir", str(extensions)]
    # Its own HOME: code-server writes a config file there on every start.
    env = {**os.environ, "HOME": str(tmp_path)}
    installed = subprocess.run(
        [binary, *common, "--install-extension", str(VSIX)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    port = _free_port()
    log = (tmp_path / "code-server.log").open("w")
    process = subprocess.Popen(
        [
            binary,
            *common,
            "--auth",
            "none",
            "--bind-addr",
            f"127.0.0.1:{port}",
            "--disable-telemetry",
            "--disable-update-check",
            "--disable-workspace-trust",
            "--disable-getting-started-override",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), 1):
                    break
            except OSError:
                time.sleep(0.3)
        else:
            pytest.fail("code-server did not start: " + (tmp_path / "code-server.log").read_text())
        yield f"http://127.0.0.1:{port}", tmp_path
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


def _palette(page: Page, command: str) -> None:
    page.keyboard.press("F1")
    box = page.locator(".quick-input-widget input")
    expect(box).to_be_visible()
    box.fill(f">{command}")
    page.locator(".quick-input-list .monaco-list-row", has_text=command).first.click()


def _answer(page: Page, text: str | None = None) -> None:
    """Type into the open input box (None keeps the offered value) and press Enter."""
    box = page.locator(".quick-input-widget input")
    expect(box).to_be_visible()
    if text is not None:
        box.fill(text)
    box.press("Enter")


def _widen_side_bar(page: Page) -> None:
    """Drag the side bar's edge so the line's titles and figures fit (for the docs' pictures)."""
    box = page.locator(".part.sidebar").bounding_box()
    assert box is not None
    edge_x, middle_y = box["x"] + box["width"], box["y"] + box["height"] / 2
    page.mouse.move(edge_x, middle_y)
    page.mouse.down()
    page.mouse.move(edge_x + 260, middle_y, steps=5)
    page.mouse.up()


def _shot(page: Page, name: str) -> None:
    folder = DOCS_IMG if os.environ.get("DOCS_SCREENSHOTS") == "1" else SCRATCH_IMG
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), animations="disabled")


def test_the_extension_works_inside_vs_code(code_server, world, browser: Browser):
    base_url, home = code_server
    seeded = seed_editor_work(world)
    kr, mine, other, raw = seeded.key_result, seeded.mine, seeded.other, seeded.token
    me = world.member.user

    repo = home / "repo"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "config", "user.email", me.email)
    _git(repo, "config", "user.name", "Test")
    (repo / "board.py").write_text("SPEED = 1\n")
    _git(repo, "add", "board.py")
    _git(repo, "commit", "-q", "-m", "Start")
    _git(repo, "switch", "-q", "-c", f"{mine.key.lower()}-speed-up-the-board")

    page = browser.new_page(viewport={"width": 1400, "height": 860})
    try:
        page.goto(f"{base_url}/?folder={repo}")
        expect(page.locator(".monaco-workbench")).to_be_visible(timeout=60_000)
        expect(page.get_by_role("tab", name="Alignment")).to_be_visible(timeout=60_000)

        # Sign in: the address comes from the setting, the token is typed once.
        _palette(page, "Alignment: Sign in")
        _answer(page)
        _answer(page, raw)
        status = page.locator(".statusbar-item", has_text=f"{mine.key} · ")
        expect(status).to_contain_text(f"{mine.key} · {mine.state.name}", timeout=60_000)

        # The branch's task and its line, with the read model's numbers.
        page.get_by_role("tab", name="Alignment").click()
        tree = page.locator(".monaco-list-row")
        expect(tree.filter(has_text=f"{mine.key} Speed up the board").first).to_be_visible()
        expect(tree.filter(has_text="Fast boards").first).to_contain_text("0%")
        expect(tree.filter(has_text=f"KR {kr.pk}: Board loads in 50 ms").first).to_be_visible()
        expect(tree.filter(has_text=kr.objective.title).first).to_be_visible()
        expect(tree.filter(has_text=f"{other.key} Write the runbook").first).to_be_visible()
        _widen_side_bar(page)
        _palette(page, "Notifications: Clear All Notifications")
        _shot(page, "editor-branch-task")
        status.hover()
        hover = page.locator(".monaco-hover", has_text="Fast boards")
        expect(hover).to_contain_text(f"{mine.key} Speed up the board")
        expect(hover).to_contain_text(f"KR {kr.pk}: Board loads in 50 ms")
        _shot(page, "editor-status-bar")
        page.mouse.move(700, 300)

        # Start the branch's task from the status bar's actions.
        status.click()
        page.locator(".quick-input-list .monaco-list-row", has_text="Start").first.click()
        expect(status).to_contain_text(f"{mine.key} · In Progress", timeout=60_000)
        assert Task.objects.get(pk=mine.pk).state.category == StateCategory.STARTED

        _palette(page, "Alignment: Move task to a state")
        page.locator(".quick-input-list .monaco-list-row", has_text="In Review").first.click()
        expect(status).to_contain_text(f"{mine.key} · In Review", timeout=60_000)
        assert Task.objects.get(pk=mine.pk).state.name == "In Review"

        _palette(page, "Alignment: Comment on task")
        _answer(page, "Written from VS Code")
        expect(page.locator(".statusbar-item", has_text="Commented on")).to_be_visible()
        assert TaskComment.objects.get(task=mine).body == "Written from VS Code"

        # The key goes in front of the commit message in the Source Control view.
        page.get_by_role("tab", name="Source Control").first.click()
        page.get_by_role("textbox", name="Message").first.focus()
        page.keyboard.type("Speed it up")
        _palette(page, "Alignment: Insert task key into commit message")
        expect(page.locator(".scm-editor .view-lines").first).to_have_text(
            f"{mine.key} Speed it up"
        )
        _shot(page, "editor-commit-key")

        # A branch for the other task, through the built-in git extension.
        _palette(page, "Alignment: Create branch from task")
        page.locator(".quick-input-list .monaco-list-row", has_text=other.key).first.click()
        expect(page.locator(".statusbar-item", has_text=f"{other.key} · ")).to_be_visible(
            timeout=60_000
        )
        assert _git(repo, "branch", "--show-current") == f"{other.key.lower()}-write-the-runbook"
    except Exception:
        # Like the browser tests: what VS Code showed when it failed, in test-artifacts/.
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "code-server-failure.png"))
        raise
    finally:
        page.close()
