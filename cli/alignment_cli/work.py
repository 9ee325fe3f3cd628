"""Task and key-result commands: `alignment tasks`, `alignment task …`, `comment`, `checkin`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from alignment_cli import git
from alignment_cli.client import EXIT_USAGE, Client, CliError
from alignment_cli.main import JsonOption, app, emit, fail, key_or_branch, session

task_app = typer.Typer(
    help="Show and change one task. Without a KEY, the current branch's key is used; "
    "`alignment task` alone shows the current branch's task.",
    invoke_without_command=True,
)
app.add_typer(task_app, name="task")


@task_app.callback()
def task_default(ctx: typer.Context) -> None:
    """With no subcommand, show the task named by the current git branch."""
    if ctx.invoked_subcommand is None:
        task_show(key=None, as_json=False)


TASK_COLUMNS = [
    ("key", "key"),
    ("state_name", "state"),
    ("estimate", "pts"),
    ("priority", "priority"),
    ("title", "title"),
]
PRIORITY_NAMES = {0: "", 1: "urgent", 2: "high", 3: "medium", 4: "low"}


def _flat(task: dict[str, Any]) -> dict[str, Any]:
    return {
        **task,
        "state_name": (task.get("state") or {}).get("name", ""),
        "priority": PRIORITY_NAMES.get(task.get("priority") or 0, task.get("priority")),
        "assignee_email": (task.get("assignee") or {}).get("email", ""),
    }


def _number(value: Any) -> str:
    """99.1000 → 99.1; 3.0 → 3."""
    text = str(value)
    return text.rstrip("0").rstrip(".") if "." in text else text


def _me(client: Client) -> dict[str, Any]:
    return client.get("/api/v1/me/")  # type: ignore[no-any-return]


@app.command("tasks")
def list_tasks(
    everyone: Annotated[
        bool, typer.Option("--all", help="Everyone's tasks, not just mine.")
    ] = False,
    team: Annotated[str | None, typer.Option(help="Team key, e.g. ENG.")] = None,
    state: Annotated[
        str | None, typer.Option(help="State category: backlog, unstarted, started, done.")
    ] = None,
    include_done: Annotated[bool, typer.Option("--done", help="Include finished tasks.")] = False,
    limit: Annotated[int, typer.Option(min=1, max=200)] = 50,
    as_json: JsonOption = False,
) -> None:
    """My open tasks (or --all), newest first."""
    config, client = session()
    try:
        params: dict[str, Any] = {"page_size": limit}
        if not everyone:
            params["assignee"] = _me(client)["id"]
        if team:
            params["team"] = _team_id(client, config.workspace_api, team)
        if state:
            params["state_category"] = state
        page = client.get(f"{config.workspace_api}/tasks/", **params)
    except CliError as error:
        fail(error)
        return
    rows = [_flat(t) for t in page["results"]]
    if not include_done and not state:
        rows = [
            r for r in rows if (r.get("state") or {}).get("category") not in ("done", "canceled")
        ]
    emit(rows if not as_json else page["results"], as_json, TASK_COLUMNS)


def _team_id(client: Client, base: str, key: str) -> int:
    for team in client.get(f"{base}/teams/"):
        if team["key"].upper() == key.upper():
            return int(team["id"])
    raise CliError(f"No team with key {key.upper()} in this workspace.", EXIT_USAGE)


def _task(client: Client, base: str, key: str) -> dict[str, Any]:
    return client.get(f"{base}/tasks/{key}/")  # type: ignore[no-any-return]


def _bar(step: dict[str, Any]) -> str:
    """A step's progress as the server's read model states it: its `percent`, not a
    recomputation (servers before `percent` existed send only `progress`), then its health."""
    percent = step.get("percent")
    if percent is None and step.get("progress") is not None:
        percent = round(step["progress"] * 100)
    if percent is None:
        return "   ?"
    filled = round(percent / 10)
    health = (step.get("status") or "").replace("_", " ")
    return f"{'█' * filled}{'░' * (10 - filled)} {percent:>3}%  {health}".rstrip()


@task_app.command("show")
def task_show(
    key: Annotated[str | None, typer.Argument(help="Task key, e.g. ENG-12.")] = None,
    as_json: JsonOption = False,
) -> None:
    """A task with its line up to the objectives it serves."""
    config, client = session()
    key = key_or_branch(key)
    try:
        task = _task(client, config.workspace_api, key)
        line = client.get(f"{config.workspace_api}/tasks/{task['key']}/alignment/")
    except CliError as error:
        fail(error)
        return
    if as_json:
        typer.echo(json.dumps({"task": task, "alignment": line}, indent=2))
        return
    typer.secho(f"{task['key']}  {task['title']}", bold=True)
    assignee = (task.get("assignee") or {}).get("email") or "unassigned"
    typer.echo(
        f"{task['state']['name']} · {assignee} · {task.get('estimate') or '–'} pts"
        + (
            f" · {PRIORITY_NAMES.get(task['priority'], '')} priority"
            if task.get("priority")
            else ""
        )
    )
    if task.get("description"):
        typer.echo("")
        typer.echo(task["description"])
    typer.echo("")
    if not line.get("aligned"):
        typer.secho("Unaligned: this task does not serve a key result yet.", fg=typer.colors.YELLOW)
        return
    typer.secho("Why it matters:", bold=True)
    item = line["roadmap_item"]
    item_bar = f"  {_bar(item)}" if "progress" in item else ""
    typer.echo(f"  ↳ {item['title']}  (roadmap item){item_bar}")
    for kr in line["key_results"]:
        typer.echo(f"      ↳ KR {kr['id']}: {kr['title']}  {_bar(kr)}")
        indent = "          "
        for objective in kr.get("objectives", []):
            typer.echo(f"{indent}↳ {objective['title']}  {_bar(objective)}")
            indent += "    "


@task_app.command("new")
def task_new(
    title: Annotated[str, typer.Argument(help="What needs doing.")],
    team: Annotated[str, typer.Option(help="Team key, e.g. ENG.")],
    estimate: Annotated[float | None, typer.Option(help="Points.")] = None,
    mine: Annotated[bool, typer.Option("--mine", help="Assign it to me.")] = False,
    field: Annotated[
        list[str] | None,
        typer.Option(
            "--field",
            help='A custom field\'s value, NAME=VALUE (repeat it): --field "Customer=Acme" '
            '--field "Regions=EU,US". Options by label, people by e-mail.',
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Create a task; warns about similar open tasks first."""
    config, client = session()
    try:
        custom_fields = _field_values(field or [])
        team_id = _team_id(client, config.workspace_api, team)
        similar = client.get(f"{config.workspace_api}/tasks/similar/", title=title)
        body: dict[str, Any] = {"team": team_id, "title": title}
        if estimate is not None:
            body["estimate"] = estimate
        if mine:
            body["assignee"] = _me(client)["id"]
        if custom_fields:
            body["custom_fields"] = custom_fields
        created = client.post(f"{config.workspace_api}/tasks/", json=body)
    except CliError as error:
        fail(error)
        return
    if as_json:
        typer.echo(json.dumps(created, indent=2))
        return
    typer.secho(f"Created {created['key']}: {created['title']}", fg=typer.colors.GREEN)
    matches = similar if isinstance(similar, list) else similar.get("results", [])
    for match in matches[:3]:
        typer.secho(f"  similar: {match['key']} {match['title']}", fg=typer.colors.YELLOW)


def _field_values(pairs: list[str]) -> dict[str, str]:
    """`--field NAME=VALUE` pairs as the API's `custom_fields` (the server checks each)."""
    values: dict[str, str] = {}
    for pair in pairs:
        name, equals, value = pair.partition("=")
        if not equals or not name.strip():
            raise CliError(f"--field {pair!r}: write it as NAME=VALUE.", EXIT_USAGE)
        values[name.strip()] = value.strip()
    return values


def _states(client: Client, base: str, team_id: int) -> list[dict[str, Any]]:
    return client.get(f"{base}/workflow-states/", team=team_id)  # type: ignore[no-any-return]


def _transition(key: str | None, *, category: str | None = None, name: str | None = None) -> None:
    config, client = session()
    key = key_or_branch(key)
    try:
        task = _task(client, config.workspace_api, key)
        states = _states(client, config.workspace_api, task["team"]["id"])
        if name is not None:
            target = next((s for s in states if s["name"].lower() == name.lower()), None)
            if target is None:
                names = ", ".join(s["name"] for s in states)
                raise CliError(
                    f"{task['team']['key']} has no state “{name}”. States: {names}.", EXIT_USAGE
                )
        else:
            target = next((s for s in states if s["category"] == category), None)
            if target is None:
                raise CliError(f"{task['team']['key']} has no {category} state.", EXIT_USAGE)
        moved = client.post(
            f"{config.workspace_api}/tasks/{task['key']}/transition/",
            json={"state": target["id"], "version": task["version"]},
        )
    except CliError as error:
        fail(error)
        return
    typer.secho(f"{moved['key']} → {moved['state']['name']}", fg=typer.colors.GREEN)


@task_app.command("start")
def task_start(key: Annotated[str | None, typer.Argument()] = None) -> None:
    """Move the task to its team's first 'started' state."""
    _transition(key, category="started")


@task_app.command("done")
def task_done(key: Annotated[str | None, typer.Argument()] = None) -> None:
    """Move the task to its team's 'done' state."""
    _transition(key, category="done")


@task_app.command("move")
def task_move(
    key: Annotated[str, typer.Argument(help="Task key.")],
    state: Annotated[str, typer.Argument(help="State name, e.g. 'In review'.")],
) -> None:
    """Move the task to a named state of its team's workflow."""
    _transition(key, name=state)


@task_app.command("assign")
def task_assign(
    key: Annotated[str, typer.Argument(help="Task key.")],
    email: Annotated[str, typer.Argument(help="Member's e-mail, or 'me', or 'nobody'.")],
) -> None:
    """Assign the task to a member (by e-mail), to me, or to nobody."""
    config, client = session()
    try:
        task = _task(client, config.workspace_api, key.upper())
        if email == "nobody":
            assignee: int | None = None
        elif email == "me":
            assignee = _me(client)["id"]
        else:
            members = client.get(f"{config.workspace_api}/members/", page_size=200)["results"]
            found = next((m for m in members if m["user"]["email"].lower() == email.lower()), None)
            if found is None:
                raise CliError(f"{email} is not a member of this workspace.", EXIT_USAGE)
            assignee = found["user"]["id"]
        updated = client.patch(
            f"{config.workspace_api}/tasks/{task['key']}/",
            json={"assignee": assignee},
            etag=f'"v{task["version"]}"',
        )
    except CliError as error:
        fail(error)
        return
    who = (updated.get("assignee") or {}).get("email") or "nobody"
    typer.secho(f"{updated['key']} assigned to {who}", fg=typer.colors.GREEN)


@app.command()
def comment(
    key: Annotated[str, typer.Argument(help="Task key.")],
    text: Annotated[str, typer.Argument(help="The comment; @mention people by e-mail name.")],
) -> None:
    """Comment on a task."""
    config, client = session()
    try:
        client.post(f"{config.workspace_api}/tasks/{key.upper()}/comments/", json={"body": text})
    except CliError as error:
        fail(error)
        return
    typer.secho(f"Commented on {key.upper()}", fg=typer.colors.GREEN)


@app.command()
def checkin(
    key_result: Annotated[int, typer.Argument(help="Key result id (see the OKR pages or API).")],
    value: Annotated[float, typer.Argument(help="The new value (1/0 for done/not done).")],
    confidence: Annotated[int, typer.Option(min=0, max=10, help="0–10: will we hit it?")] = 5,
    note: Annotated[str, typer.Option(help="What changed, in a sentence.")] = "",
) -> None:
    """Check in on a key result."""
    config, client = session()
    try:
        result = client.post(
            f"{config.workspace_api}/key-results/{key_result}/check-ins/",
            json={"value": value, "confidence": confidence, "note": note},
        )
    except CliError as error:
        fail(error)
        return
    typer.secho(
        f"Checked in {_number(result['value'])} on KR {key_result} "
        f"(confidence {result['confidence']}/10)",
        fg=typer.colors.GREEN,
    )


@app.command()
def branch(key: Annotated[str, typer.Argument(help="Task key, e.g. ENG-12.")]) -> None:
    """Create and switch to a `key-short-title` git branch for the task."""
    config, client = session()
    try:
        task = _task(client, config.workspace_api, key.upper())
        name = git.branch_name(task["key"], task["title"])
        git.create_branch(name, Path.cwd())
    except CliError as error:
        fail(error)
        return
    typer.secho(f"Switched to a new branch '{name}'", fg=typer.colors.GREEN)
