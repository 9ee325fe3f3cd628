"""Deployments from GitHub and GitLab → the `Deployment` and `Incident` rows DORA reads.

Events: GitHub `deployment`, `deployment_status`, `workflow_run`; GitLab `Deployment Hook`.
Each payload is first read into a `Report` (one provider deployment, one outcome, one time),
then `record()` applies the same rules to every provider (docs/integrations.md, "Deployments
and DORA"):

- only production environments count (per integration, default "production"/"prod");
- the team: the integration's repository → team mapping, else the teams of the task keys the
  deployed commits and PRs name, else the integration's default team;
- success → a Deployment (deployed_at = the status time) and resolves open incidents of that
  team and environment; failure after an earlier success in the environment → the deployment
  is a failure and an Incident starts; pending → nothing counts yet; canceled → ignored;
- rows are upserted by (source, external_id, team), so redeliveries and repeated statuses
  change nothing; team metrics are refreshed after commit.

Anything not counted finishes the delivery as "ignored" with the reason on the delivery log.
Settings live on `Integration.config["deployments"]` (`integrations.deployment_settings`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from alignment.models import Team
from dashboards import services as dashboard_services
from dashboards.models import Deployment
from dashboards.rollups import queue
from integrations.deployment_settings import DeploymentSettings, deployment_settings
from integrations.models import ExternalLink, InboundDelivery, LinkKind, Provider
from integrations.registry import DeliveryIgnored, handles
from integrations.team_keys import (
    current_task_key,
    old_team_keys,
    task_keys_named,
    team_key_names,
    with_old_spellings,
)

PENDING, SUCCESS, FAILURE = "pending", "success", "failure"
GITHUB_STATES = {
    "success": SUCCESS,
    "failure": FAILURE,
    "error": FAILURE,
    "pending": PENDING,
    "queued": PENDING,
    "in_progress": PENDING,
}
GITHUB_RUN_CONCLUSIONS = {"success": SUCCESS, "failure": FAILURE, "timed_out": FAILURE}
GITLAB_STATUSES = {
    "success": SUCCESS,
    "failed": FAILURE,
    "created": PENDING,
    "running": PENDING,
    "blocked": PENDING,
}


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


@dataclass
class Report:
    """What one delivery says about one provider deployment."""

    external_id: str
    outcome: str  # PENDING / SUCCESS / FAILURE
    at: datetime
    environment: str
    repository: str
    reference: str  # the deployed commit SHA (or ref)
    description: str = ""
    texts: list[str] = field(default_factory=list)  # where task keys may be named
    commit_times: list[datetime] = field(default_factory=list)
    shas: list[str] = field(default_factory=list)
    pull_request_ids: list[str] = field(default_factory=list)


def _time(value: Any, delivery: InboundDelivery) -> datetime:
    """A provider timestamp (ISO 8601, or GitLab's "2025-05-02 12:30:19 +0000"); without a
    readable one, when we received the delivery."""
    try:
        parsed = parse_datetime(str(value)) if value else None
    except ValueError:  # well formed but impossible, e.g. month 13
        parsed = None
    if parsed is None:
        return delivery.received_at
    return parsed if timezone.is_aware(parsed) else parsed.replace(tzinfo=UTC)


# ---- reading the payloads -----------------------------------------------------------------


def github_report(delivery: InboundDelivery, payload: dict[str, Any], outcome: str) -> Report:
    deployment = _dict(payload.get("deployment"))
    status = _dict(payload.get("deployment_status"))
    when = status.get("created_at") if status else deployment.get("created_at")
    sha = str(deployment.get("sha") or "")
    return Report(
        external_id=f"deployment:{deployment.get('id')}",
        outcome=outcome,
        at=_time(when, delivery),
        environment=str(status.get("environment") or deployment.get("environment") or ""),
        repository=str(_dict(payload.get("repository")).get("full_name") or ""),
        reference=sha or str(deployment.get("ref") or ""),
        description=str(deployment.get("description") or ""),
        texts=[str(deployment.get("ref") or ""), str(deployment.get("description") or "")],
        shas=[sha] if sha else [],
    )


@handles(Provider.GITHUB, "deployment")
def github_deployment(delivery: InboundDelivery, payload: Any) -> None:
    """A deployment was requested: nothing counts until a status says it succeeded, but the
    environment and team are checked now so a misconfiguration shows on the log at once."""
    data = _dict(payload)
    if not _dict(data.get("deployment")).get("id"):
        raise DeliveryIgnored("The payload has no deployment id.")
    record(delivery, github_report(delivery, data, PENDING))


@handles(Provider.GITHUB, "deployment_status")
def github_deployment_status(delivery: InboundDelivery, payload: Any) -> None:
    data = _dict(payload)
    if not _dict(data.get("deployment")).get("id"):
        raise DeliveryIgnored("The payload has no deployment id.")
    state = str(_dict(data.get("deployment_status")).get("state") or "")
    outcome = GITHUB_STATES.get(state)
    if outcome is None:
        raise DeliveryIgnored(f"Deployment state {state!r} does not change DORA numbers.")
    record(delivery, github_report(delivery, data, outcome))


@handles(Provider.GITHUB, "workflow_run")
def github_workflow_run(delivery: InboundDelivery, payload: Any) -> None:
    """A completed deploy workflow on the default branch counts as a production deployment."""
    data = _dict(payload)
    run = _dict(data.get("workflow_run"))
    if not run.get("id"):
        # Rows are keyed by the run id: without one every such run would be "run:None".
        raise DeliveryIgnored("The workflow run has no id.")
    settings = deployment_settings(delivery.integration)
    name = str(_dict(data.get("workflow")).get("name") or run.get("name") or "")
    _check_deploy_run(data, run, name, settings)
    conclusion = str(run.get("conclusion") or "")
    outcome = GITHUB_RUN_CONCLUSIONS.get(conclusion)
    if outcome is None:
        raise DeliveryIgnored(f"A run that ended {conclusion!r} deployed nothing.")
    record(delivery, _workflow_run_report(delivery, data, run, name, outcome, settings))


def _check_deploy_run(
    data: dict[str, Any], run: dict[str, Any], name: str, settings: DeploymentSettings
) -> None:
    """Ignored unless completed, a deploy workflow by name, and run on the default branch."""
    if data.get("action") != "completed":
        raise DeliveryIgnored("Only completed workflow runs count.")
    if not settings.is_deploy_workflow(name):
        words = ", ".join(settings.workflows)
        raise DeliveryIgnored(f"Workflow {name!r} is not a deploy workflow (names with: {words}).")
    default_branch = str(_dict(data.get("repository")).get("default_branch") or "")
    branch = str(run.get("head_branch") or "")
    if not default_branch or branch != default_branch:
        raise DeliveryIgnored(f"Branch {branch!r} is not the default branch {default_branch!r}.")


def _workflow_run_report(
    delivery: InboundDelivery,
    data: dict[str, Any],
    run: dict[str, Any],
    name: str,
    outcome: str,
    settings: DeploymentSettings,
) -> Report:
    head = _dict(run.get("head_commit"))
    sha = str(run.get("head_sha") or head.get("id") or "")
    return Report(
        external_id=f"run:{run.get('id')}",
        outcome=outcome,
        at=_time(run.get("updated_at"), delivery),
        # A run names no environment: a deploy workflow deploys to production.
        environment=settings.environments[0],
        repository=str(_dict(data.get("repository")).get("full_name") or ""),
        reference=sha,
        description=name,
        texts=[str(head.get("message") or ""), str(run.get("display_title") or "")],
        commit_times=[_time(head["timestamp"], delivery)] if head.get("timestamp") else [],
        shas=[sha] if sha else [],
        pull_request_ids=[str(_dict(pr).get("id")) for pr in run.get("pull_requests") or [] if pr],
    )


@handles(Provider.GITLAB, "Deployment Hook")
def gitlab_deployment(delivery: InboundDelivery, payload: Any) -> None:
    data = _dict(payload)
    status = str(data.get("status") or "")
    if not data.get("deployment_id"):
        raise DeliveryIgnored("The payload has no deployment_id.")
    outcome = GITLAB_STATUSES.get(status)
    if outcome is None:
        raise DeliveryIgnored(f"A deployment that is {status!r} deployed nothing.")
    commit_url = str(data.get("commit_url") or "")
    sha = commit_url.rsplit("/-/commit/", 1)[-1] if "/-/commit/" in commit_url else ""
    sha = sha or str(data.get("short_sha") or "")
    title = str(data.get("commit_title") or "")
    record(
        delivery,
        Report(
            external_id=f"deployment:{data.get('deployment_id')}",
            outcome=outcome,
            at=_time(data.get("status_changed_at"), delivery),
            environment=str(data.get("environment") or ""),
            repository=str(_dict(data.get("project")).get("path_with_namespace") or ""),
            reference=sha,
            description=title,
            texts=[title, str(data.get("ref") or "")],
            shas=[sha] if sha else [],
        ),
    )


# ---- the rules ----------------------------------------------------------------------------


def _linked(delivery: InboundDelivery, report: Report) -> Any:
    """The stored PR/commit links of the deployed commits and pull requests themselves."""
    ids = [*report.shas, *report.pull_request_ids]
    links = ExternalLink.objects.for_workspace(delivery.workspace_id).filter(
        provider=delivery.provider
    )
    return links.filter(external_id__in=ids) if ids else links.none()


def task_keys_of(delivery: InboundDelivery, report: Report, names: dict[str, str]) -> list[str]:
    """Keys named by the payload's texts, then by links of the deployed commits and PRs, each
    under its team's current key (links stored before a team's key changed say the old one)."""
    named = task_keys_named(report.texts, names, delivery.workspace_id)
    linked = _linked(delivery, report).values_list("task_key", flat=True)
    return list(dict.fromkeys([*named, *(current_task_key(key, names) for key in linked)]))


def resolve_teams(
    delivery: InboundDelivery, report: Report, settings: DeploymentSettings
) -> tuple[list[Team], list[str]]:
    """The teams a deployment counts for (with the task keys it ships), or a reason why none.

    Settings and links may name a team by a key it had before (ENG after ENG became PLAT)."""
    teams = {t.key: t for t in Team.objects.for_workspace(delivery.workspace_id)}
    names = team_key_names(delivery.workspace_id, teams)
    keys = task_keys_of(delivery, report, names)
    mapped = settings.repositories.get(report.repository.lower())
    if mapped:
        if names.get(mapped) not in teams:
            raise DeliveryIgnored(
                f"Repository {report.repository!r} is mapped to team {mapped!r}, "
                "which does not exist in this workspace."
            )
        return [teams[names[mapped]]], keys
    by_keys = [teams[k] for k in dict.fromkeys(key.split("-", 1)[0] for key in keys) if k in teams]
    if by_keys:
        return by_keys, keys
    default_team = names.get(settings.default_team)
    if default_team in teams:
        return [teams[default_team]], keys
    raise DeliveryIgnored(
        f"No team for this deployment of {report.repository or 'an unnamed repository'}: map "
        "the repository to a team, name a task key in its commits or PRs, or set a default team."
    )


def first_commit_at(
    delivery: InboundDelivery, report: Report, team: Team, keys: list[str]
) -> datetime | None:
    """When the oldest change in the deployment began, never after it was deployed: commit
    times in the payload, else when we first saw the deployed commits and PRs (their links),
    or the PRs/commits of the shipped tasks since the team's previous deployment."""
    candidates = list(report.commit_times)
    candidates += _linked(delivery, report).values_list("created_at", flat=True)
    if keys:
        previous = (
            Deployment.objects.for_workspace(delivery.workspace_id)
            .filter(team=team, deployed_at__lt=report.at)
            .exclude(source=delivery.provider, external_id=report.external_id)
            .order_by("-deployed_at")
            .values_list("deployed_at", flat=True)
            .first()
        )
        links = ExternalLink.objects.for_workspace(delivery.workspace_id).filter(
            provider=delivery.provider,
            task_key__in=with_old_spellings(keys, old_team_keys(delivery.workspace_id)),
            kind__in=[LinkKind.PULL_REQUEST, LinkKind.MERGE_REQUEST, LinkKind.COMMIT],
        )
        if previous is not None:
            links = links.filter(created_at__gt=previous)
        candidates += links.values_list("created_at", flat=True)
    before = [moment for moment in candidates if moment <= report.at]
    return min(before) if before else None


def record(delivery: InboundDelivery, report: Report) -> None:
    """Apply one report to the DORA rows of each team it counts for."""
    settings = deployment_settings(delivery.integration)
    if not settings.counts_environment(report.environment):
        raise DeliveryIgnored(
            f"Environment {report.environment!r} is not production for this integration "
            f"(counted: {', '.join(settings.environments)})."
        )
    teams, keys = resolve_teams(delivery, report, settings)
    if report.outcome == PENDING:
        return  # the intent is the stored delivery; a later status decides
    changed = 0
    skipped: list[str] = []
    for team in teams:
        if report.outcome == SUCCESS:
            _record_success(delivery, report, team, keys)
            changed += 1
        elif _record_failure(delivery, report, team, keys):
            changed += 1
        else:
            skipped.append(team.key)
    if not changed:
        raise DeliveryIgnored(
            f"No earlier successful deployment to {report.environment} for team "
            f"{', '.join(skipped)}: a failure then changed nothing that was running."
        )
    queue.schedule_metrics(delivery.workspace_id)


def _create_deployment(
    delivery: InboundDelivery, report: Report, team: Team, keys: list[str], *, is_failure: bool
) -> tuple[Deployment, bool]:
    return dashboard_services.deployment_report(
        team=team,
        source=delivery.provider,
        external_id=report.external_id,
        deployed_at=report.at,
        committed_at=first_commit_at(delivery, report, team, keys),
        environment=report.environment,
        reference=report.reference,
        description=report.description,
        is_failure=is_failure,
    )


def _record_success(delivery: InboundDelivery, report: Report, team: Team, keys: list[str]) -> None:
    """A Deployment (the first success time stays), and production is restored: the team's
    open incidents in this environment that started before it are resolved."""
    _create_deployment(delivery, report, team, keys, is_failure=False)
    dashboard_services.incidents_report_restored(
        team=team, source=delivery.provider, environment=report.environment, at=report.at
    )


def _record_failure(delivery: InboundDelivery, report: Report, team: Team, keys: list[str]) -> bool:
    """After an earlier success in the environment: the deployment is a failure and an
    Incident starts (once per deployment). False when nothing succeeded before."""
    earlier_success = (
        Deployment.objects.for_workspace(delivery.workspace_id)
        .filter(
            team=team,
            environment__iexact=report.environment,
            is_failure=False,
            deployed_at__lte=report.at,
        )
        .exists()
    )
    if not earlier_success:
        return False
    deployment, created = _create_deployment(delivery, report, team, keys, is_failure=True)
    if not created and not deployment.is_failure:
        dashboard_services.deployment_report_failure(
            team=team, source=delivery.provider, external_id=report.external_id
        )
    reference = report.reference[:12] or report.external_id
    dashboard_services.incident_report(
        team=team,
        source=delivery.provider,
        external_id=report.external_id,
        deployment=deployment,
        title=f"Deployment {reference} to {report.environment} failed",
        started_at=max(report.at, deployment.deployed_at),
    )
    return True
