"""CI on pull/merge requests: check runs, check suites, workflow jobs and runs (GitHub),
pipelines and jobs (GitLab) attach their state to the PR/MR links of the tasks they name.

A CI event rarely names a task: it names a head commit, a branch and (sometimes) pull request
ids. We find the PR/MR links recorded from `pull_request` / `Merge Request Hook` deliveries by
those, and keep on each link the latest state per check name, `ExternalLink.checks`:

    {"CI / lint": {"state": "failing", "url": "https://…", "at": "2026-12-07T01:02:03+00:00"}}

"Latest" is by the event's own timestamps (completed/started/created), never by arrival, so a
late "queued" never hides the "failing" it preceded; a duplicate delivery writes the same
value again (idempotent). A CI event with no linked PR/MR is "ignored", with the reason.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.db import transaction
from django.db.models import Q

from alignment.events import publish_on_commit
from integrations.events import CheckRunFailed
from integrations.handlers_deployments import github_workflow_run as deployments_workflow_run
from integrations.models import ExternalLink, InboundDelivery, LinkKind, Provider
from integrations.registry import DeliveryIgnored, handles

QUEUED, RUNNING, PASSING, FAILING = "queued", "running", "passing", "failing"
# Ties on the timestamp (GitHub often sends started_at == completed_at): a finished state wins.
RANK = {QUEUED: 0, RUNNING: 1, PASSING: 2, FAILING: 2}
OPEN_STATES = ("open", "draft")

GITHUB_RUNNING = {"in_progress"}
GITHUB_QUEUED = {"queued", "requested", "waiting", "pending"}
GITHUB_PASSING = {"success", "neutral", "skipped"}
GITLAB_STATES = {
    "created": QUEUED,
    "waiting_for_resource": QUEUED,
    "preparing": QUEUED,
    "pending": QUEUED,
    "scheduled": QUEUED,
    "manual": QUEUED,
    "running": RUNNING,
    "success": PASSING,
    "skipped": PASSING,
    "failed": FAILING,
    "canceled": FAILING,
}


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def event_time(*values: Any) -> str:
    """The first parseable timestamp as ISO UTC ('' when none): GitHub's `2019-05-15T15:21:12Z`
    and GitLab's `2016-08-12 15:23:28 UTC` compare in one format."""
    for value in values:
        if not value:
            continue
        text = str(value).strip()
        parsed: datetime | None = None
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            try:
                parsed = datetime.strptime(text, "%Y-%m-%d %H:%M:%S %Z").replace(tzinfo=UTC)
            except ValueError:
                continue
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC).isoformat()
    return ""


def github_state(status: Any, conclusion: Any) -> str:
    if status == "completed":
        return PASSING if conclusion in GITHUB_PASSING else FAILING
    if status in GITHUB_RUNNING:
        return RUNNING
    return QUEUED


def pr_links(
    delivery: InboundDelivery, *, pr_ids: list[str], sha: str, branch: str
) -> list[ExternalLink]:
    """The PR/MR links a CI event is about: by PR id, else head commit, else open PR branch."""
    match = Q()
    if pr_ids:
        match |= Q(external_id__in=pr_ids)
    if sha:
        match |= Q(head_sha=sha)
    if branch:
        match |= Q(branch=branch, state__in=OPEN_STATES)
    if not match:
        return []
    return list(
        ExternalLink.objects.for_workspace(delivery.workspace_id)
        .select_for_update()
        .filter(
            match,
            provider=delivery.provider,
            kind__in=[LinkKind.PULL_REQUEST, LinkKind.MERGE_REQUEST],
        )
        .order_by("pk")
    )


def attach(
    delivery: InboundDelivery,
    *,
    name: str,
    state: str,
    url: str,
    at: str,
    pr_ids: list[str],
    sha: str,
    branch: str,
) -> int:
    """Record one check's state on every matching link; returns how many links changed."""
    links = pr_links(delivery, pr_ids=pr_ids, sha=sha, branch=branch)
    if not links:
        raise DeliveryIgnored(
            f"No linked pull/merge request for {name!r} (commit {sha[:12] or '?'}, "
            f"branch {branch or '?'})."
        )
    name = (name or delivery.event)[:120]
    changed = 0
    failed_keys: list[str] = []
    for link in links:
        current = _dict((link.checks or {}).get(name))
        if current and (str(current.get("at") or ""), RANK.get(str(current.get("state")), 0)) > (
            at,
            RANK[state],
        ):
            continue  # an older event arriving late
        entry = {"state": state, "url": url[:500], "at": at, "event": delivery.event}
        if current == entry:
            continue
        link.checks = {**(link.checks or {}), name: entry}
        link.save(update_fields=["checks", "updated_at"])
        changed += 1
        if state == FAILING and link.task_key:
            failed_keys.append(link.task_key)
    publish_check_failed(delivery, keys=failed_keys, name=name, url=url)
    return changed


def publish_check_failed(
    delivery: InboundDelivery, *, keys: list[str], name: str, url: str
) -> None:
    """Tell subscribers (automation rules) a check on a task's pull request failed."""
    from integrations.task_bridge import task_ids_for  # task_bridge imports the tasks app

    task_ids = task_ids_for(delivery, keys) if keys else ()
    if task_ids:
        publish_on_commit(
            CheckRunFailed(
                workspace_id=delivery.workspace_id,
                task_ids=task_ids,
                name=name,
                url=url[:500],
                delivery_id=delivery.pk,
            )
        )


def _pr_ids(items: Any) -> list[str]:
    return [str(_dict(pr).get("id")) for pr in items or [] if _dict(pr).get("id")]


@handles(Provider.GITHUB, "check_run")
def github_check_run(delivery: InboundDelivery, payload: Any) -> None:
    run = _dict(_dict(payload).get("check_run"))
    suite = _dict(run.get("check_suite"))
    attach(
        delivery,
        name=str(run.get("name") or "check run"),
        state=github_state(run.get("status"), run.get("conclusion")),
        url=str(run.get("html_url") or run.get("details_url") or ""),
        at=event_time(run.get("completed_at"), run.get("started_at")),
        pr_ids=_pr_ids(run.get("pull_requests")),
        sha=str(run.get("head_sha") or ""),
        branch=str(suite.get("head_branch") or ""),
    )


@handles(Provider.GITHUB, "check_suite")
def github_check_suite(delivery: InboundDelivery, payload: Any) -> None:
    suite = _dict(_dict(payload).get("check_suite"))
    app = _dict(suite.get("app"))
    attach(
        delivery,
        name=str(app.get("name") or "check suite"),
        state=github_state(suite.get("status"), suite.get("conclusion")),
        url=str(_dict(_dict(payload).get("repository")).get("html_url") or ""),
        at=event_time(suite.get("updated_at"), suite.get("created_at")),
        pr_ids=_pr_ids(suite.get("pull_requests")),
        sha=str(suite.get("head_sha") or ""),
        branch=str(suite.get("head_branch") or ""),
    )


@handles(Provider.GITHUB, "workflow_job")
def github_workflow_job(delivery: InboundDelivery, payload: Any) -> None:
    job = _dict(_dict(payload).get("workflow_job"))
    name = " / ".join(str(p) for p in (job.get("workflow_name"), job.get("name")) if p)
    attach(
        delivery,
        name=name or "workflow job",
        state=github_state(job.get("status"), job.get("conclusion")),
        url=str(job.get("html_url") or ""),
        at=event_time(job.get("completed_at"), job.get("started_at"), job.get("created_at")),
        pr_ids=[],
        sha=str(job.get("head_sha") or ""),
        branch=str(job.get("head_branch") or ""),
    )


@handles(Provider.GITHUB, "workflow_run")
def github_workflow_run(delivery: InboundDelivery, payload: Any) -> None:
    """Both a deployment (DORA, handlers_deployments) and CI on the run's pull requests."""
    reasons = []
    try:
        with transaction.atomic():
            deployments_workflow_run(delivery, payload)
    except DeliveryIgnored as exc:
        reasons.append(str(exc))
    else:
        reasons.append("")
    data = _dict(payload)
    run = _dict(data.get("workflow_run"))
    name = str(_dict(data.get("workflow")).get("name") or run.get("name") or "workflow")
    try:
        with transaction.atomic():
            attach(
                delivery,
                name=name,
                state=github_state(run.get("status"), run.get("conclusion")),
                url=str(run.get("html_url") or ""),
                at=event_time(run.get("updated_at"), run.get("run_started_at")),
                pr_ids=_pr_ids(run.get("pull_requests")),
                sha=str(run.get("head_sha") or ""),
                branch=str(run.get("head_branch") or ""),
            )
    except DeliveryIgnored as exc:
        if reasons[0]:
            # Neither a deployment nor CI on a linked PR: the deployment's reason is the one
            # people look for on the delivery log.
            raise DeliveryIgnored(reasons[0]) from exc


@handles(Provider.GITLAB, "Pipeline Hook")
def gitlab_pipeline(delivery: InboundDelivery, payload: Any) -> None:
    data = _dict(payload)
    pipeline = _dict(data.get("object_attributes"))
    mr = _dict(data.get("merge_request"))
    url = str(pipeline.get("url") or "")
    if not url and pipeline.get("id"):
        url = f"{_dict(data.get('project')).get('web_url') or ''}/-/pipelines/{pipeline['id']}"
    attach(
        delivery,
        # One entry per MR: a pipeline's name ("Pipeline for branch: x") changes per push.
        name="pipeline",
        state=GITLAB_STATES.get(str(pipeline.get("status") or ""), QUEUED),
        url=url,
        at=event_time(
            pipeline.get("finished_at"), pipeline.get("updated_at"), pipeline.get("created_at")
        ),
        pr_ids=[str(mr["id"])] if mr.get("id") else [],
        sha=str(pipeline.get("sha") or ""),
        branch=str(pipeline.get("ref") or "") if not pipeline.get("tag") else "",
    )


@handles(Provider.GITLAB, "Job Hook")
def gitlab_job(delivery: InboundDelivery, payload: Any) -> None:
    data = _dict(payload)
    project = _dict(data.get("project"))
    web_url = str(project.get("web_url") or data.get("repository", {}).get("homepage") or "")
    job_id = data.get("build_id")
    attach(
        delivery,
        name=" / ".join(str(p) for p in (data.get("build_stage"), data.get("build_name")) if p)
        or "job",
        state=GITLAB_STATES.get(str(data.get("build_status") or ""), QUEUED),
        url=f"{web_url}/-/jobs/{job_id}" if web_url and job_id else "",
        at=event_time(
            data.get("build_finished_at"),
            data.get("build_started_at"),
            data.get("build_created_at"),
        ),
        pr_ids=[],
        sha=str(data.get("sha") or data.get("checkout_sha") or ""),
        branch=str(data.get("ref") or "") if not data.get("tag") else "",
    )
