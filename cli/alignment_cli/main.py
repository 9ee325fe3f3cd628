"""`alignment`: the terminal beside the editor. Run `alignment --help`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from alignment_cli import config as cfg
from alignment_cli import git
from alignment_cli.client import EXIT_AUTH, EXIT_USAGE, Client, CliError

app = typer.Typer(
    name="alignment",
    help="Your tasks and key results from the terminal. Start with `alignment login`.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
hook_app = typer.Typer(
    help="Git hooks that put task keys into commit messages.", no_args_is_help=True
)
app.add_typer(hook_app, name="hook")

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def fail(error: CliError) -> None:
    typer.secho(f"Error: {error.message}", err=True, fg=typer.colors.RED)
    raise typer.Exit(error.exit_code)


def session() -> tuple[cfg.Config, Client]:
    config = cfg.load()
    if config is None:
        fail(CliError("Not logged in. Run `alignment login --url URL` first.", EXIT_AUTH))
        raise AssertionError  # unreachable: fail() exits
    return config, Client(config.url, config.token)


def print_table(rows: list[dict[str, Any]], columns: list[tuple[str, str]]) -> None:
    if not rows:
        typer.echo("Nothing to show.")
        return
    widths = [
        max(len(title), *(len(str(row.get(key, "") or "")) for row in rows))
        for key, title in columns
    ]
    widths = [min(w, 60) for w in widths]
    header = "  ".join(
        title.upper().ljust(w) for (_, title), w in zip(columns, widths, strict=True)
    )
    typer.secho(header, bold=True)
    for row in rows:
        cells = [
            str(row.get(key, "") or "")[:w].ljust(w)
            for (key, _), w in zip(columns, widths, strict=True)
        ]
        typer.echo("  ".join(cells).rstrip())


def emit(data: Any, as_json: bool, columns: list[tuple[str, str]]) -> None:
    if as_json:
        typer.echo(json.dumps(data, indent=2, default=str))
    else:
        print_table(data if isinstance(data, list) else [data], columns)


@app.command()
def login(
    url: Annotated[str, typer.Option(help="Server address, e.g. http://127.0.0.1:8000")],
    token: Annotated[
        str,
        typer.Option(
            prompt="API token (from the API tokens page)",
            hide_input=True,
            help="A workspace API token; prompted for when omitted.",
        ),
    ],
) -> None:
    """Check a token against the server and save it (readable only by you)."""
    try:
        me = Client(url, token).get("/api/v1/me/") if url else None
    except CliError as error:
        fail(error)
        return
    if not me or not me.get("token"):
        fail(CliError("That is not a workspace API token; create one on the API tokens page."))
        return
    workspace = me["token"]["workspace"]
    path = cfg.save(cfg.Config(url=url.rstrip("/"), token=token, workspace=workspace))
    typer.secho(
        f"Logged in as {me['email']} in workspace {workspace} ({me['token']['scope']} scope).",
        fg=typer.colors.GREEN,
    )
    typer.echo(f"Saved to {path}")


@app.command()
def logout() -> None:
    """Forget the saved server and token."""
    typer.echo("Logged out." if cfg.forget() else "You were not logged in.")


@app.command()
def whoami(as_json: JsonOption = False) -> None:
    """Who the saved token belongs to, and where."""
    config, client = session()
    try:
        me = client.get("/api/v1/me/")
    except CliError as error:
        fail(error)
        return
    if as_json:
        typer.echo(json.dumps(me, indent=2))
        return
    typer.echo(f"{me.get('full_name') or me['email']} <{me['email']}>")
    typer.echo(f"Workspace: {config.workspace} · scope: {me['token']['scope']} · {config.url}")


@app.command()
def workspaces(as_json: JsonOption = False) -> None:
    """Workspaces this token can reach."""
    _config, client = session()
    try:
        data = client.get("/api/v1/workspaces/")
    except CliError as error:
        fail(error)
        return
    emit(data, as_json, [("slug", "slug"), ("name", "name"), ("role", "role")])


@hook_app.command("install")
def hook_install(
    force: Annotated[bool, typer.Option(help="Replace an existing hook that is not ours.")] = False,
) -> None:
    """Add a prepare-commit-msg hook that puts the branch's task key in commit messages."""
    try:
        path = git.install_hook(Path.cwd(), force=force)
    except CliError as error:
        fail(error)
        return
    typer.echo(f"Installed {path}")


def key_or_branch(key: str | None) -> str:
    """The given task key, or the one in the current branch's name."""
    if key:
        return key.upper()
    try:
        branch = git.current_branch(Path.cwd())
    except CliError:
        branch = ""
    found = git.key_from_branch(branch) if branch else None
    if not found:
        fail(CliError("Give a task key, e.g. ENG-123, or run this on a task branch.", EXIT_USAGE))
        raise AssertionError
    return found


# The task and key-result commands register themselves on `app` when imported.
from alignment_cli import work  # noqa: E402, F401


def main() -> None:  # pragma: no cover - console entry point
    app()
