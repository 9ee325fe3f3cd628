"""Dry run: replay a rule over stored history and say what it would have done.

History read: task events (created, state, assignee), check-ins, sprints started and closed,
GitHub pull request and GitLab merge request deliveries (opened, review requested, merged),
failed CI from stored GitHub and GitLab CI deliveries (check runs, check suites, workflow
jobs and runs, pipelines, jobs), and key result status changes from the daily snapshots (a
change shows on the first day its new status was recorded). Nothing is written but the dry
run's own history line and audit entry. Conditions are checked against the tasks as they are
now (history keeps changes, not whole past tasks), which the page says.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone

from alignment.audit import audit_by
from alignment.models import Membership
from automation import engine
from automation.models import Rule, RuleRun, RunStatus, Trigger
from dashboards.models import Snapshot
from integrations import handlers_ci as ci
from integrations.handlers import GITLAB_MR_TRIGGERS, github_pr_keys
from integrations.models import ExternalLink, InboundDelivery, LinkKind, Provider
from integrations.task_bridge import PR_MERGED, PR_OPENED, task_ids_for
from integrations.team_keys import task_keys_named, team_key_names
from okrs.models import CheckIn
from tasks.models import Sprint, TaskEvent, TaskEventKind

MAX_EVENTS = 200


@dataclass(frozen=True)
class PastEvent:
    at: datetime
    label: str  # what happened, e.g. "ENG-4 moved"
    data: dict[str, Any]


@dataclass(frozen=True)
class Hit:
    at: datetime
    event: str
    lines: list[str]


def _task_events(rule: Rule, since: datetime, kind: str) -> list[PastEvent]:
    rows = (
        TaskEvent.objects.for_workspace(rule.workspace_id)
        .filter(kind=kind, created_at__gte=since)
        .select_related("task")
        .order_by("-created_at", "-id")[:MAX_EVENTS]
    )
    return [
        PastEvent(row.created_at, f"{row.task.key} {kind}", {"task_ids": [row.task_id]})
        for row in rows
    ]


def _payload(delivery: InboundDelivery) -> dict[str, Any]:
    try:
        payload = json.loads(delivery.body)
    except ValueError:
        return {}
    return payload if isinstance(payload, dict) else {}


def _deliveries(rule: Rule, since: datetime, provider: str, events: list[str]) -> list[Any]:
    return list(
        InboundDelivery.objects.filter(
            workspace_id=rule.workspace_id,
            provider=provider,
            event__in=events,
            received_at__gte=since,
        ).order_by("-received_at", "-id")[: MAX_EVENTS * 2]
    )


def _github_pull_requests(rule: Rule, since: datetime, action: str) -> list[PastEvent]:
    found = []
    for delivery in _deliveries(rule, since, Provider.GITHUB, ["pull_request"]):
        payload = _payload(delivery)
        pr = payload.get("pull_request") or {}
        merged = payload.get("action") == "closed" and bool(pr.get("merged"))
        seen = "merged" if merged else payload.get("action")
        if seen == "reopened":
            seen = "opened"
        if seen != action:
            continue
        ids = task_ids_for(delivery, github_pr_keys(delivery, pr))
        if ids:
            data = {"task_ids": list(ids), "title": pr.get("title", ""), "url": pr.get("html_url")}
            found.append(PastEvent(delivery.received_at, f"PR #{pr.get('number')} {action}", data))
    return found


def _gitlab_action(payload: dict[str, Any]) -> str | None:
    """What a Merge Request Hook meant to rules, as `integrations.handlers` reads it."""
    from integrations.handlers import _gitlab_reviewers_added  # one reading of "reviewer added"

    action = str((payload.get("object_attributes") or {}).get("action") or "")
    if action == "update" and _gitlab_reviewers_added(payload):
        return "review_requested"
    return {PR_OPENED: "opened", PR_MERGED: "merged"}.get(GITLAB_MR_TRIGGERS.get(action, ""))


def _gitlab_merge_requests(rule: Rule, since: datetime, action: str) -> list[PastEvent]:
    found = []
    for delivery in _deliveries(rule, since, Provider.GITLAB, ["Merge Request Hook"]):
        payload = _payload(delivery)
        if _gitlab_action(payload) != action:
            continue
        mr = payload.get("object_attributes") or {}
        title = str(mr.get("title") or "")
        keys = task_keys_named(
            [title, str(mr.get("source_branch") or "")],
            team_key_names(delivery.workspace_id),
            delivery.workspace_id,
        )
        ids = task_ids_for(delivery, keys)
        if ids:
            data = {"task_ids": list(ids), "title": title, "url": mr.get("url")}
            found.append(PastEvent(delivery.received_at, f"MR !{mr.get('iid')} {action}", data))
    return found


def _pull_requests(rule: Rule, since: datetime, action: str) -> list[PastEvent]:
    found = _github_pull_requests(rule, since, action)
    found += _gitlab_merge_requests(rule, since, action)
    return sorted(found, key=lambda e: e.at, reverse=True)[:MAX_EVENTS]


@dataclass(frozen=True)
class CiResult:
    """One CI delivery read the way `integrations.handlers_ci` attaches it to PR/MR links."""

    name: str
    state: str
    url: str
    pr_ids: list[str]
    sha: str
    branch: str


def _joined(*parts: Any) -> str:
    return " / ".join(str(p) for p in parts if p)


def _github_ci_name(event: str, data: dict[str, Any], item: dict[str, Any]) -> str:
    """The check's name as the PR/MR link shows it, by GitHub event."""
    if event == "check_run":
        return str(item.get("name") or "check run")
    if event == "check_suite":
        return str((item.get("app") or {}).get("name") or "check suite")
    if event == "workflow_job":
        return _joined(item.get("workflow_name"), item.get("name")) or "workflow job"
    return str((data.get("workflow") or {}).get("name") or item.get("name") or "workflow")


def _github_ci_result(event: str, data: dict[str, Any]) -> CiResult | None:
    """A check run or suite, or a workflow job or run; None for any other event."""
    if event not in CI_EVENTS[Provider.GITHUB]:
        return None
    item = data.get(event) or {}
    suite = item.get("check_suite") or {}
    return CiResult(
        name=_github_ci_name(event, data, item)[:120],
        state=ci.github_state(item.get("status"), item.get("conclusion")),
        url=str(item.get("html_url") or item.get("details_url") or ""),
        pr_ids=[str(pr.get("id")) for pr in item.get("pull_requests") or [] if pr.get("id")],
        sha=str(item.get("head_sha") or ""),
        branch=str(item.get("head_branch") or suite.get("head_branch") or ""),
    )


def _gitlab_pipeline_result(data: dict[str, Any]) -> CiResult:
    pipeline = data.get("object_attributes") or {}
    mr = data.get("merge_request") or {}
    return CiResult(
        name="pipeline",
        state=ci.GITLAB_STATES.get(str(pipeline.get("status") or ""), ci.QUEUED),
        url=str(pipeline.get("url") or ""),
        pr_ids=[str(mr["id"])] if mr.get("id") else [],
        sha=str(pipeline.get("sha") or ""),
        branch="" if pipeline.get("tag") else str(pipeline.get("ref") or ""),
    )


def _gitlab_job_result(data: dict[str, Any]) -> CiResult:
    pick = data.get
    web_url = str((pick("project") or {}).get("web_url") or "")
    job_id = pick("build_id")
    return CiResult(
        name=_joined(pick("build_stage"), pick("build_name")) or "job",
        state=ci.GITLAB_STATES.get(str(pick("build_status") or ""), ci.QUEUED),
        url=f"{web_url}/-/jobs/{job_id}" if web_url and job_id else "",
        pr_ids=[],
        sha=str(pick("sha") or pick("checkout_sha") or ""),
        branch="" if pick("tag") else str(pick("ref") or ""),
    )


def _ci_result(delivery: InboundDelivery) -> CiResult | None:
    data = _payload(delivery)
    if delivery.provider == Provider.GITHUB:
        return _github_ci_result(delivery.event, data)
    if delivery.event == "Pipeline Hook":
        return _gitlab_pipeline_result(data)
    if delivery.event == "Job Hook":
        return _gitlab_job_result(data)
    return None


CI_EVENTS = {
    Provider.GITHUB: ["check_run", "check_suite", "workflow_job", "workflow_run"],
    Provider.GITLAB: ["Pipeline Hook", "Job Hook"],
}


def _failed_checks(rule: Rule, since: datetime) -> list[PastEvent]:
    """Failed CI on linked pull/merge requests, matched to links as the handler matches them
    (PR id, head commit, or an open PR's branch), with the links as they are now."""
    found = []
    for provider, events in CI_EVENTS.items():
        for delivery in _deliveries(rule, since, provider, events):
            result = _ci_result(delivery)
            if result is None or result.state != ci.FAILING:
                continue
            match = Q(pk=None)
            if result.pr_ids:
                match |= Q(external_id__in=result.pr_ids)
            if result.sha:
                match |= Q(head_sha=result.sha)
            if result.branch:
                match |= Q(branch=result.branch, state__in=ci.OPEN_STATES)
            keys = (
                ExternalLink.objects.for_workspace(rule.workspace_id)
                .filter(
                    match,
                    provider=provider,
                    kind__in=[LinkKind.PULL_REQUEST, LinkKind.MERGE_REQUEST],
                )
                .exclude(task_key="")
                .values_list("task_key", flat=True)
            )
            ids = task_ids_for(delivery, sorted(set(keys)))
            if ids:
                data = {"task_ids": list(ids), "check": result.name, "url": result.url}
                found.append(PastEvent(delivery.received_at, f"check {result.name} failed", data))
    return sorted(found, key=lambda e: e.at, reverse=True)[:MAX_EVENTS]


def _kr_status_changes(rule: Rule, since: datetime) -> list[PastEvent]:
    """Status changes of key results between consecutive daily snapshots (the day before the
    window is read too, so a change on its first day is seen)."""
    first = since.date() - timedelta(days=1)
    rows = (
        Snapshot.objects.for_workspace(rule.workspace_id)
        .filter(kind="key_result", day__gte=first)
        .order_by("node_id", "day")
        .values_list("node_id", "day", "status")
    )
    found = []
    previous: dict[int, str] = {}
    for node_id, day, status in rows:
        before = previous.get(node_id)
        previous[node_id] = status
        if before is None or before == status:
            continue
        at = datetime.combine(day, datetime.min.time(), tzinfo=since.tzinfo)
        data = {"key_result_id": node_id, "status_before": before, "status_after": status}
        found.append(PastEvent(at, f"KR {node_id} {before} → {status}", data))
    return sorted(found, key=lambda e: e.at, reverse=True)[:MAX_EVENTS]


def past_events(rule: Rule, since: datetime) -> list[PastEvent]:
    trigger = rule.trigger
    ws = rule.workspace_id
    if trigger == Trigger.TASK_CREATED:
        return _task_events(rule, since, TaskEventKind.CREATED)
    if trigger == Trigger.TASK_MOVED:
        return _task_events(rule, since, TaskEventKind.STATE)
    if trigger == Trigger.TASK_ASSIGNED:
        return _task_events(rule, since, TaskEventKind.ASSIGNEE)
    if trigger in (Trigger.PR_OPENED, Trigger.PR_REVIEW_REQUESTED, Trigger.PR_MERGED):
        return _pull_requests(rule, since, trigger.split(".", 1)[1])
    if trigger == Trigger.CHECKIN_ADDED:
        checkins = CheckIn.objects.for_workspace(ws).filter(created_at__gte=since)
        return [
            PastEvent(
                c.created_at,
                f"check-in on KR {c.key_result_id}",
                {"key_result_id": c.key_result_id, "check_in_id": c.pk},
            )
            for c in checkins.order_by("-created_at")[:MAX_EVENTS]
        ]
    if trigger in (Trigger.SPRINT_STARTED, Trigger.SPRINT_CLOSED):
        column = "started_at" if trigger == Trigger.SPRINT_STARTED else "closed_at"
        sprints = Sprint.objects.for_workspace(ws).filter(**{f"{column}__gte": since})
        found = []
        for sprint in sprints.order_by(f"-{column}")[:MAX_EVENTS]:
            data: dict[str, Any] = {"sprint_id": sprint.pk}
            if trigger == Trigger.SPRINT_CLOSED:
                # The tasks left open when it closed, as its history records them.
                open_ids = (
                    TaskEvent.objects.for_workspace(ws)
                    .filter(sprint_id=sprint.pk)
                    .exclude(state_category__in=("done", "canceled"))
                )
                data["task_ids"] = sorted(set(open_ids.values_list("task_id", flat=True)))
            found.append(PastEvent(getattr(sprint, column), f"sprint {sprint.name}", data))
        return found
    if trigger == Trigger.CHECK_FAILED:
        return _failed_checks(rule, since)
    if trigger == Trigger.KR_STATUS_CHANGED:
        return _kr_status_changes(rule, since)
    if trigger == Trigger.SCHEDULE:
        return [PastEvent(timezone.now(), "schedule (now)", {})]
    return []


def dry_run(*, actor: Membership, rule: Rule, days: int = 14) -> tuple[RuleRun, list[Hit]]:
    """What the rule would have done over the last `days` days; changes nothing else."""
    engine_now = timezone.now()
    since = engine_now - timedelta(days=max(1, min(days, 90)))
    hits: list[Hit] = []
    for event in past_events(rule, since):
        _, lines = engine.plan(rule, rule.trigger, event.data, None, dry=True)
        if lines:
            hits.append(Hit(event.at, event.label, lines))
    outcome = [f"{h.at:%Y-%m-%d %H:%M} {h.event}: " + "; ".join(h.lines) for h in hits[:100]]
    run = RuleRun.objects.create(
        workspace_id=rule.workspace_id,
        rule=rule,
        event_key=f"dry-run:{uuid.uuid4().hex[:16]}",
        status=RunStatus.DRY_RUN,
        outcome=outcome,
    )
    Rule.objects.filter(pk=rule.pk).update(last_dry_run_at=engine_now)
    audit_by(
        actor,
        verb="automation.rule_dry_run",
        obj=rule,
        after={"days": days, "would_apply": len(hits)},
    )
    return run, hits
