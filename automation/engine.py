"""Running rules: which rules an event wakes, which tasks their conditions pick, and one
recorded run per rule and event, with loop protection.

Loop protection, in three layers:
- a rule never runs on an event its own actions caused (the event's `chain` names it);
- a chain of rules triggering rules stops at MAX_DEPTH;
- a rule applies at most RATE_PER_MINUTE times a minute.
And idempotency: `RuleRun` is unique per (rule, event key), so an event processed twice (a
retried task, a sweep after a crash) is applied once.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from alignment import timezones
from alignment.audit import audit_record
from alignment.errors import DomainError
from automation import actions
from automation.intake import acting_as_rule
from automation.models import AutomationEvent, Rule, RuleRun, RunStatus, Trigger
from customfields.models import CustomField
from customfields.selectors import Condition, condition_q, split_condition
from tasks.models import OPEN_CATEGORIES, Sprint, Task

logger = logging.getLogger(__name__)

MAX_DEPTH = 3
RATE_PER_MINUTE = 60
SCHEDULE_TASK_LIMIT = 50
TASK_TRIGGERS = {
    Trigger.TASK_CREATED,
    Trigger.TASK_MOVED,
    Trigger.TASK_ASSIGNED,
    Trigger.PR_OPENED,
    Trigger.PR_REVIEW_REQUESTED,
    Trigger.PR_MERGED,
    Trigger.CHECK_FAILED,
    Trigger.SPRINT_STARTED,
    Trigger.SPRINT_CLOSED,
    Trigger.SCHEDULE,
}


def _field_q(cond: dict[str, Any]) -> Q:
    name, op, value = cond["field"], cond["op"], cond["value"]
    column = {
        "state": "state__name",
        "assignee": "assignee__email",
        "sprint": "sprint__name",
    }.get(name, name)
    if op in ("empty", "not_empty"):
        q = Q(**{f"{column}__isnull": True})
        if name == "title":
            q = Q(title="")
        return q if op == "empty" else ~q
    if op == "contains":
        return Q(**{f"{column}__icontains": value})
    if name in ("priority", "estimate"):
        try:
            number: Any = int(value) if name == "priority" else Decimal(value)
        except (ValueError, InvalidOperation):
            return Q(pk__in=[])  # a non-number never matches
        q = Q(**{column: number})
    else:
        q = Q(**{f"{column}__iexact": value})
    return ~q if op == "!=" else q


def task_q(rule: Rule, conditions: list[dict[str, Any]]) -> Q:
    """The conditions about tasks as one filter (ANDed)."""
    q = Q()
    if rule.team_id:
        q &= Q(team_id=rule.team_id)
    for cond in conditions:
        kind = cond["kind"]
        if kind == "field":
            q &= _field_q(cond)
        elif kind == "label":
            has = Q(pk__in=Task.all_objects.filter(labels__name__iexact=cond["value"]).values("pk"))
            q &= has if cond["op"] == "has" else ~has
        elif kind == "team":
            q &= Q(team__key__iexact=cond["value"])
        elif kind == "kr":
            q &= Q(
                pk__in=Task.all_objects.filter(
                    roadmap_item__kr_links__key_result_id=int(cond["value"])
                ).values("pk")
            )
        elif kind == "custom_field":
            q &= _custom_field_q(rule, cond["value"])
    return q


def _custom_field_q(rule: Rule, text: str) -> Q:
    parts = split_condition(text)
    field = (
        CustomField.objects.for_workspace(rule.workspace_id).filter(name__iexact=parts[0]).first()
        if parts
        else None
    )
    if parts is None or field is None:
        return Q(pk__in=[])  # a field since renamed or deleted matches nothing
    try:
        return condition_q(Condition(field, parts[1], parts[2]), workspace_id=rule.workspace_id)
    except DomainError:
        return Q(pk__in=[])


def event_matches(rule: Rule, data: dict[str, Any]) -> bool:
    """The conditions about the event itself (key result, its status, a team rule's sprint)."""
    for cond in rule.conditions:
        if cond["kind"] == "kr_status" and str(data.get("status_after")) != cond["value"]:
            return False
        if (
            cond["kind"] == "kr"
            and "key_result_id" in data
            and str(data["key_result_id"]) != cond["value"]
        ):
            return False
    return True


def subject_tasks(rule: Rule, trigger: str, data: dict[str, Any]) -> QuerySet[Task] | None:
    """The tasks the rule acts on for this event (None: the event has no tasks)."""
    tasks = Task.objects.for_workspace(rule.workspace_id)
    conditions = [c for c in rule.conditions if c["kind"] not in ("kr_status",)]
    if trigger in (Trigger.CHECKIN_ADDED, Trigger.KR_STATUS_CHANGED):
        return None
    if trigger == Trigger.SPRINT_STARTED:
        sprint = Sprint.objects.for_workspace(rule.workspace_id).filter(
            pk=int(data.get("sprint_id") or 0)
        )
        tasks = tasks.filter(sprint__in=sprint.values("pk"))
    elif trigger == Trigger.SCHEDULE:
        tasks = tasks.filter(state_category__in=OPEN_CATEGORIES)
    else:
        tasks = tasks.filter(pk__in=data.get("task_ids") or [])
    return tasks.filter(task_q(rule, conditions)).order_by("pk")[:SCHEDULE_TASK_LIMIT]


def rules_for(workspace_id: int, trigger: str) -> QuerySet[Rule]:
    return (
        Rule.objects.for_workspace(workspace_id)
        .enabled()
        .filter(trigger=trigger)
        .select_related("workspace", "team")
        .order_by("pk")
    )


def _blocked(rule: Rule, chain: list[int], now: datetime) -> str | None:
    if rule.pk in chain:
        return RunStatus.LOOP_BLOCKED
    if len(chain) >= MAX_DEPTH:
        return RunStatus.DEPTH_LIMIT
    recent = RuleRun.objects.filter(
        rule=rule, status=RunStatus.APPLIED, created_at__gte=now - timedelta(minutes=1)
    )
    if recent.count() >= RATE_PER_MINUTE:
        return RunStatus.RATE_LIMITED
    return None


def _record(rule: Rule, event_key: str, **fields: Any) -> RuleRun:
    run, _ = RuleRun.objects.get_or_create(
        rule=rule, event_key=event_key, defaults={"workspace_id": rule.workspace_id, **fields}
    )
    return run


def plan(
    rule: Rule, trigger: str, data: dict[str, Any], ctx: actions.Context | None, *, dry: bool
) -> tuple[list[int], list[str]]:
    """Apply (or with `dry`, describe) the rule's actions on its subject; ([task ids], lines).
    Returns ([], []) when the conditions pick nothing."""
    if not event_matches(rule, data):
        return [], []
    tasks = subject_tasks(rule, trigger, data)
    targets: list[Task | None]
    if tasks is None:
        targets = [None]
    else:
        targets = list(tasks.select_related("state", "team"))
        if not targets:
            return [], []
    context = ctx or actions.Context(
        rule=rule,
        actor=None,  # type: ignore[arg-type]
        trigger=trigger,
        event_key="dry",
        data=data,
    )
    lines = []
    for task in targets:
        for action in rule.actions:
            try:
                lines.append(actions.apply(context, action, task, dry=dry))
            except actions.ActionSkipped as exc:
                lines.append(f"skipped: {exc}")
            if task is not None and not dry:
                task.refresh_from_db()  # the next action sees the new version
    return [t.pk for t in targets if t is not None], lines


def run_rule(
    rule: Rule, *, trigger: str, data: dict[str, Any], chain: list[int], event_key: str
) -> RuleRun | None:
    """One rule on one event: blocked, applied, failed, or nothing (conditions unmet)."""
    if RuleRun.objects.filter(rule=rule, event_key=event_key).exists():
        return None  # already handled: idempotent per event
    now = timezone.now()
    blocked = _blocked(rule, chain, now)
    if blocked is not None:
        return _record(rule, event_key, status=blocked, depth=len(chain))
    actor = actions.rule_actor(rule)
    if actor is None:
        return _record(
            rule, event_key, status=RunStatus.FAILED, error="Nobody to act as.", depth=len(chain)
        )
    ctx = actions.Context(rule=rule, actor=actor, trigger=trigger, event_key=event_key, data=data)
    try:
        # The chain is set until the atomic block commits: events the actions publish (and
        # their after-commit work) carry this rule as their cause.
        with acting_as_rule((*chain, rule.pk)), transaction.atomic():
            run, created = RuleRun.objects.get_or_create(
                rule=rule,
                event_key=event_key,
                defaults={
                    "workspace_id": rule.workspace_id,
                    "status": RunStatus.APPLIED,
                    "depth": len(chain),
                },
            )
            if not created:
                return None
            task_ids, lines = plan(rule, trigger, data, ctx, dry=False)
            if not lines:
                run.status = RunStatus.NOT_MATCHED
                run.save(update_fields=["status"])
                return run
            run.task_ids, run.outcome = task_ids, lines
            run.save(update_fields=["task_ids", "outcome"])
            audit_record(
                workspace=rule.workspace,
                actor=actor.user,
                verb="automation.rule_run",
                obj=rule,
                after={"event": event_key, "trigger": trigger, "outcome": lines[:20]},
            )
            return run
    except Exception as exc:  # a rule's failure is recorded, never the event publisher's
        logger.warning("automation rule %s failed on %s: %s", rule.pk, event_key, exc)
        message = getattr(exc, "text", None) or str(exc) or type(exc).__name__
        run = _record(
            rule, event_key, status=RunStatus.FAILED, error=message[:500], depth=len(chain)
        )
        audit_record(
            workspace=rule.workspace,
            actor=actor.user,
            verb="automation.rule_failed",
            obj=rule,
            after={"event": event_key, "error": message[:500]},
        )
        return run


def process_event(event_pk: int) -> int:
    """Run every enabled rule of the event's trigger on it; returns how many applied."""
    event = AutomationEvent.objects.filter(pk=event_pk).first()
    if event is None or event.processed_at is not None:
        return 0
    applied = 0
    for rule in rules_for(event.workspace_id, event.trigger):
        run = run_rule(
            rule,
            trigger=event.trigger,
            data=event.data,
            chain=list(event.chain),
            event_key=f"event:{event.pk}",
        )
        applied += bool(run and run.status == RunStatus.APPLIED)
    AutomationEvent.objects.filter(pk=event.pk).update(processed_at=timezone.now())
    return applied


def sweep(*, now: datetime | None = None, limit: int = 200) -> int:
    """Process events whose processing was lost (a crash after commit, a broker outage)."""
    now = now or timezone.now()
    stale = AutomationEvent.objects.filter(
        processed_at__isnull=True, created_at__lte=now - timedelta(minutes=1)
    ).order_by("pk")[:limit]
    return sum(process_event(pk) for pk in stale.values_list("pk", flat=True))


def schedule_slot(now: datetime, every_minutes: int, zone: tzinfo) -> int:
    """The number of the `every_minutes` slot `now` falls in, counted on the workspace's wall
    clock: a daily rule's slot starts at local midnight, an hourly one on the local hour (in
    UTC+05:30 too). When clocks go back an hour, the repeated local hour has the same slot
    numbers as the first time through, so those slots do not run again."""
    local = now.astimezone(zone)
    wall = local.replace(tzinfo=UTC).timestamp()  # the local reading, counted from the epoch
    return int(wall // (every_minutes * 60))


def run_scheduled(*, now: datetime | None = None) -> int:
    """Run every due schedule rule once per slot (`every_minutes`, on the workspace's clock).

    Exactly once per slot: the slot is the run's event key and runs are unique per (rule,
    event key), so a retried or overlapping beat tick finds the slot taken and does nothing.
    Returns how many runs applied."""
    now = now or timezone.now()
    applied = 0
    for rule in (
        Rule.objects.enabled().filter(trigger=Trigger.SCHEDULE).select_related("workspace", "team")
    ):
        every = rule.every_minutes or 60
        zone = timezones.workspace_zone(rule.workspace)
        slot = schedule_slot(now, every, zone)
        if rule.last_scheduled_at and schedule_slot(rule.last_scheduled_at, every, zone) >= slot:
            continue  # this slot (or a later one, clocks going back) already ran
        run = run_rule(
            rule, trigger=Trigger.SCHEDULE, data={}, chain=[], event_key=f"schedule:{slot}"
        )
        Rule.objects.filter(pk=rule.pk).update(last_scheduled_at=now)
        applied += bool(run and run.status == RunStatus.APPLIED)
    return applied
