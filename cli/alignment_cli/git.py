"""Git helpers: branch names from task keys, and the commit-message hook."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from alignment_cli.client import EXIT_USAGE, CliError

KEY_RE = re.compile(r"\b([A-Z][A-Z0-9]{1,9}-\d+)\b")
BRANCH_KEY_RE = re.compile(r"(?:^|/)([a-zA-Z][a-zA-Z0-9]{1,9}-\d+)(?:-|$)")

HOOK_MARKER = "# alignment prepare-commit-msg hook"
# sed: strip an optional "prefix/" and keep the leading KEY-123 of the branch name.
SED_KEY = "'s#^\\(.*/\\)\\{0,1\\}\\([A-Za-z][A-Za-z0-9]\\{1,9\\}-[0-9]\\{1,\\}\\).*#\\2#p'"
HOOK_SCRIPT = f"""#!/bin/sh
{HOOK_MARKER}
# Adds the task key of the current branch (e.g. eng-123-fix-login -> ENG-123) to the commit
# message, unless the message already names a task key. Installed by `alignment hook install`.
case "$2" in merge|squash) exit 0 ;; esac
branch=$(git symbolic-ref --short HEAD 2>/dev/null) || exit 0
key=$(printf '%s' "$branch" | sed -n {SED_KEY} | tr '[:lower:]' '[:upper:]')
[ -n "$key" ] || exit 0
grep -qE '[A-Z][A-Z0-9]{{1,9}}-[0-9]+' "$1" && exit 0
first=$(head -n 1 "$1")
rest=$(tail -n +2 "$1")
printf '%s %s\\n%s\\n' "$key" "$first" "$rest" > "$1"
"""


def slugify(text: str, limit: int = 40) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    if len(slug) > limit:
        slug = slug[:limit].rsplit("-", 1)[0] or slug[:limit]
    return slug


def branch_name(key: str, title: str) -> str:
    slug = slugify(title)
    return f"{key.lower()}-{slug}" if slug else key.lower()


def key_from_branch(branch: str) -> str | None:
    match = BRANCH_KEY_RE.search(branch)
    return match.group(1).upper() if match else None


def _git(*args: str, cwd: Path | None = None) -> str:
    try:
        result = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, check=False
        )
    except FileNotFoundError as exc:
        raise CliError("git is not installed or not on PATH.", EXIT_USAGE) from exc
    if result.returncode != 0:
        raise CliError(result.stderr.strip() or f"git {' '.join(args)} failed.", EXIT_USAGE)
    return result.stdout.strip()


def current_branch(cwd: Path | None = None) -> str:
    return _git("symbolic-ref", "--short", "HEAD", cwd=cwd)


def create_branch(name: str, cwd: Path | None = None) -> None:
    _git("switch", "-c", name, cwd=cwd)


def install_hook(cwd: Path | None = None, force: bool = False) -> Path:
    hooks_dir = Path(_git("rev-parse", "--git-path", "hooks", cwd=cwd))
    if not hooks_dir.is_absolute():
        hooks_dir = (cwd or Path.cwd()) / hooks_dir
    hooks_dir.mkdir(parents=True, exist_ok=True)
    hook = hooks_dir / "prepare-commit-msg"
    if hook.exists() and HOOK_MARKER not in hook.read_text() and not force:
        raise CliError(f"{hook} exists and is not ours; use --force to replace it.", EXIT_USAGE)
    hook.write_text(HOOK_SCRIPT)
    hook.chmod(0o755)
    return hook
