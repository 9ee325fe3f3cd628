"""Docs screenshots: capture pages of a running server into docs/img/ with the system Chromium.

    python -m tests.browser.screenshots --base-url http://127.0.0.1:8765 \\
        --login priya@acme.example:demo-password /accounts/login/=login /w/acme/=workspace-home

Each `PATH=NAME` becomes docs/img/NAME.png at a fixed 1280x800 viewport. Pages listed before
the first one that needs a session are taken signed out: `--login` signs in after the
signed-out pages named by `--public` (default: the log-in page). Browser tests can call
`capture(page, name)` directly.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

from playwright.sync_api import Page, sync_playwright

from tests.browser.helpers import VIEWPORT, launch_chromium, log_in

ROOT = Path(__file__).resolve().parents[2]
DOCS_IMG = ROOT / "docs" / "img"
# Test runs write their captures here (ignored by git); DOCS_SCREENSHOTS=1 (make screenshots)
# refreshes the committed docs images instead, so `make test` never dirties the tree.
SCRATCH_IMG = ROOT / "test-artifacts" / "screens"


def capture(page: Page, name: str, *, full_page: bool = False) -> Path:
    """Save what the page shows now as <name>.png (docs/img/ when DOCS_SCREENSHOTS=1)."""
    folder = DOCS_IMG if os.environ.get("DOCS_SCREENSHOTS") == "1" else SCRATCH_IMG
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(path), full_page=full_page, animations="disabled")
    return path


def wait_for_server(base_url: str, timeout: float) -> None:
    parsed = urlparse(base_url)
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((parsed.hostname, parsed.port or 80), 1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise SystemExit(f"screenshots: nothing answers at {base_url}") from None
            time.sleep(0.25)


def parse_shot(value: str) -> tuple[str, str]:
    path, separator, name = value.rpartition("=")
    if not separator or not path.startswith("/") or not name:
        raise argparse.ArgumentTypeError(f"{value!r} is not PATH=NAME, e.g. /accounts/login/=login")
    return path, name


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("shots", nargs="+", type=parse_shot, metavar="PATH=NAME")
    parser.add_argument("--base-url", default="http://127.0.0.1:8765")
    parser.add_argument("--login", metavar="EMAIL:PASSWORD", help="sign in before private pages")
    parser.add_argument(
        "--public",
        nargs="*",
        default=["/accounts/login/"],
        metavar="PATH",
        help="pages taken signed out (default: the log-in page)",
    )
    parser.add_argument("--wait", type=float, default=30, help="seconds to wait for the server")
    parser.add_argument("--full-page", action="store_true")
    args = parser.parse_args(argv)

    wait_for_server(args.base_url, args.wait)
    public = [shot for shot in args.shots if shot[0] in args.public]
    private = [shot for shot in args.shots if shot[0] not in args.public]
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        context = browser.new_context(base_url=args.base_url, viewport=VIEWPORT)
        page = context.new_page()
        for path, name in public:
            page.goto(path)
            saved = capture(page, name, full_page=args.full_page)
            sys.stdout.write(f"docs/img/{saved.name}  <- {path}\n")
        if private and args.login:
            email, _, password = args.login.partition(":")
            log_in(page, email=email, password=password)
            page.wait_for_load_state("networkidle")
        for path, name in private:
            page.goto(path)
            saved = capture(page, name, full_page=args.full_page)
            sys.stdout.write(f"docs/img/{saved.name}  <- {path}\n")
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
