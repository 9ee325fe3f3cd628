"""Where the CLI keeps the server URL and token: the user's config dir, readable only by them."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import typer

APP_NAME = "alignment"


@dataclass
class Config:
    url: str
    token: str
    workspace: str

    @property
    def api(self) -> str:
        return f"{self.url.rstrip('/')}/api/v1"

    @property
    def workspace_api(self) -> str:
        return f"{self.api}/workspaces/{self.workspace}"


def config_path() -> Path:
    override = os.environ.get("ALIGNMENT_CONFIG")
    if override:
        return Path(override)
    return Path(typer.get_app_dir(APP_NAME)) / "config.json"


def load() -> Config | None:
    """The saved config, with ALIGNMENT_URL / ALIGNMENT_TOKEN / ALIGNMENT_WORKSPACE overriding."""
    data: dict[str, str] = {}
    path = config_path()
    if path.exists():
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            data = {}
    for key in ("url", "token", "workspace"):
        value = os.environ.get(f"ALIGNMENT_{key.upper()}")
        if value:
            data[key] = value
    if not all(data.get(k) for k in ("url", "token", "workspace")):
        return None
    return Config(url=data["url"], token=data["token"], workspace=data["workspace"])


def save(config: Config) -> Path:
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    # Create with 0600 from the start, so the token is never readable by others, even briefly.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(asdict(config), handle, indent=2)
    os.chmod(path, 0o600)
    return path


def forget() -> bool:
    path = config_path()
    if path.exists():
        path.unlink()
        return True
    return False
