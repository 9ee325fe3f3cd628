"""An integration's deployment settings (`Integration.config["deployments"]`): which
environments count as production, which workflows deploy, repository → team, default team.

    {"environments": ["production", "live"], "workflows": ["deploy", "release"],
     "repositories": {"acme/api": "API"}, "default_team": "OPS"}

Read by `integrations.handlers_deployments`; written from the integration's page through
`integrations.services.integration_update` (the form sends text, `config_from_form` checks it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from alignment.errors import FieldErrors
from integrations.models import Integration
from integrations.team_keys import team_key_names

CONFIG_KEY = "deployments"
DEFAULT_ENVIRONMENTS = ("production", "prod")
DEFAULT_WORKFLOW_WORDS = ("deploy",)
# The form's field names, in the order the page shows them.
FORM_FIELDS = ("deploy_environments", "deploy_workflows", "deploy_repositories", "deploy_team")


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _words(value: Any, default: tuple[str, ...]) -> tuple[str, ...]:
    """A list (or comma-separated text) of names, lower-cased; the default when empty."""
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        return default
    words = tuple(str(item).strip().lower() for item in items if str(item).strip())
    return words or default


@dataclass(frozen=True)
class DeploymentSettings:
    environments: tuple[str, ...] = DEFAULT_ENVIRONMENTS
    workflows: tuple[str, ...] = DEFAULT_WORKFLOW_WORDS
    repositories: dict[str, str] = field(default_factory=dict)  # "owner/repo" (lower) → key
    default_team: str = ""

    def counts_environment(self, name: str) -> bool:
        return name.strip().lower() in self.environments

    def is_deploy_workflow(self, name: str) -> bool:
        lowered = name.lower()
        return any(word in lowered for word in self.workflows)


def deployment_settings(integration: Integration) -> DeploymentSettings:
    raw = _dict(_dict(integration.config).get(CONFIG_KEY))
    repositories = {
        str(repo).strip().lower(): str(team).strip().upper()
        for repo, team in _dict(raw.get("repositories")).items()
        if str(repo).strip() and str(team).strip()
    }
    return DeploymentSettings(
        environments=_words(raw.get("environments"), DEFAULT_ENVIRONMENTS),
        workflows=_words(raw.get("workflows"), DEFAULT_WORKFLOW_WORDS),
        repositories=repositories,
        default_team=str(raw.get("default_team") or "").strip().upper(),
    )


def form_initial(integration: Integration) -> dict[str, str]:
    """The stored settings as the page's text fields (empty where the default applies); keys
    stored before a team's key changed show as the team's key now."""
    raw = _dict(_dict(integration.config).get(CONFIG_KEY))
    names = team_key_names(integration.workspace_id)

    def key_now(team: Any) -> str:
        text = str(team or "")
        return names.get(text.strip().upper(), text)

    listed = {
        name: ", ".join(str(v) for v in raw.get(name) or [] if isinstance(v, str))
        for name in ("environments", "workflows")
    }
    return {
        "deploy_environments": listed["environments"],
        "deploy_workflows": listed["workflows"],
        "deploy_repositories": "\n".join(
            f"{repo} = {key_now(team)}" for repo, team in _dict(raw.get("repositories")).items()
        ),
        "deploy_team": key_now(raw.get("default_team")),
    }


def _names(text: str, field_name: str) -> list[str]:
    names = [part.strip() for part in text.split(",") if part.strip()]
    if any(len(name) > 100 for name in names):
        raise FieldErrors({field_name: "Keep each name under 100 characters."})
    return names


def config_from_form(workspace_id: int, values: dict[str, str]) -> dict[str, Any]:
    """Check the page's text fields against this workspace's teams; the config to store
    (empty fields are left out, so the defaults apply). A team named by a key it had before
    (the page showed ENG before ENG became PLAT) is stored under its key now."""
    keys = team_key_names(workspace_id)
    config: dict[str, Any] = {}
    environments = _names(values.get("deploy_environments", ""), "deploy_environments")
    workflows = _names(values.get("deploy_workflows", ""), "deploy_workflows")
    if environments:
        config["environments"] = environments
    if workflows:
        config["workflows"] = workflows
    repositories: dict[str, str] = {}
    for number, line in enumerate(values.get("deploy_repositories", "").splitlines(), start=1):
        if not line.strip():
            continue
        repo, sep, team = line.partition("=")
        repo, team = repo.strip(), team.strip().upper()
        if not sep or not repo or not team:
            raise FieldErrors({"deploy_repositories": f"Line {number}: write owner/repo = TEAM."})
        if team not in keys:
            raise FieldErrors({"deploy_repositories": f"Line {number}: no team {team}."})
        repositories[repo] = keys[team]
    if repositories:
        config["repositories"] = repositories
    default_team = values.get("deploy_team", "").strip().upper()
    if default_team and default_team not in keys:
        raise FieldErrors({"deploy_team": f"There is no team {default_team}."})
    if default_team:
        config["default_team"] = keys[default_team]
    return config
