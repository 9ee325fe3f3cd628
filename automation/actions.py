"""Each action kind, applied through the owning app's service (so versions, history, audit and
events apply) or, with `dry=True`, only described. Returns one line for the run history."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from alignment.models import Membership, Role, Team, User
from automation.catalog import TASK_ACTIONS
from automation.models import Rule
from customfields.services import custom_values_set
from integrations.models import Channel, WebhookSubscription
from integrations.notifications import notify
from integrations.notifications.services import About
from integrations.outbox import outbox_enqueue
from okrs.models import KeyResult
from tasks import services as task_services
from tasks.models import Label, Task, WorkflowState


@dataclass
class Context:
    """What an action may refer to: the rule, who acts, the event and its data."""

    rule: Rule
    actor: Membership
    trigger: str
    event_key: str
    data: dict[str, Any] = field(default_factory=dict)

    def fill(self, text: str, task: Task | None) -> str:
        values = {
            "task": task.key if task is not None else "",
            "trigger": self.trigger,
            "title": str(self.data.get("title") or self.data.get("check") or ""),
            "url": str(self.data.get("url") or ""),
            "rule": self.rule.name,
        }
        for name, value in values.items():
            text = text.replace("{" + name + "}", value)
        return text


class ActionSkipped(Exception):
    """The action does not apply here (e.g. the team has no such state): nothing written."""


def rule_actor(rule: Rule) -> Membership | None:
    """Who the rule acts as: its author while a member who may write, else the first owner."""
    members = Membership.objects.for_workspace(rule.workspace_id).select_related(
        "workspace", "user"
    )
    if rule.created_by_id:
        author = members.filter(user_id=rule.created_by_id).first()
        if author is not None and author.has_role(Role.MEMBER):
            return author
    return members.filter(role=Role.OWNER).order_by("created_at", "pk").first()


def _state(task: Task, wanted: str) -> WorkflowState:
    states = WorkflowState.objects.for_workspace(task.workspace_id).filter(team_id=task.team_id)
    found = states.filter(name__iexact=wanted).first() or (
        states.filter(category=wanted.lower()).order_by("position", "pk").first()
    )
    if found is None:
        raise ActionSkipped(f"{task.key}: its team has no state “{wanted}”")
    return found


def _user(ctx: Context, task: Task | None, who: str) -> User | None:
    who = who.strip()
    if who == "none":
        return None
    if who == "actor":
        user_id = ctx.data.get("actor_id")
    elif who == "assignee":
        user_id = task.assignee_id if task is not None else None
    elif who == "creator":
        user_id = task.created_by_id if task is not None else None
    elif who == "kr_owner":
        kr = KeyResult.objects.for_workspace(ctx.rule.workspace_id).filter(
            pk=ctx.data.get("key_result_id") or 0
        )
        user_id = kr.values_list("owner_id", flat=True).first()
    else:
        member = Membership.objects.for_workspace(ctx.rule.workspace_id).filter(
            user__email__iexact=who
        )
        user_id = member.values_list("user_id", flat=True).first()
    user = User.objects.filter(pk=user_id).first() if user_id else None
    if user is None:
        raise ActionSkipped(f"nobody to pick for “{who}”")
    return user


def _label(ctx: Context, name: str, *, create: bool) -> Label | None:
    label = Label.objects.for_workspace(ctx.rule.workspace_id).filter(name__iexact=name).first()
    if label is None and create:
        return task_services.label_create(actor=ctx.actor, name=name[:40])
    return label


def apply(ctx: Context, action: dict[str, Any], task: Task | None, *, dry: bool) -> str:
    """Apply (or describe) one action; raises ActionSkipped when it does not apply."""
    kind = action["kind"]
    if kind in TASK_ACTIONS and task is None:
        raise ActionSkipped(f"{kind} needs a task; this event has none")
    handler = HANDLERS[kind]
    return handler(ctx, action, task, dry)


def _set_state(ctx: Context, action: dict[str, Any], task: Any, dry: bool) -> str:
    state = _state(task, action["state"])
    if task.state_id == state.pk:
        raise ActionSkipped(f"{task.key} is already in {state.name}")
    if not dry:
        task_services.task_transition(
            actor=ctx.actor, task=task, to_state=state, via=f"automation: {ctx.rule.name}"
        )
    return f"{task.key}: state → {state.name}"


def _set_assignee(ctx: Context, action: dict[str, Any], task: Any, dry: bool) -> str:
    user = _user(ctx, task, action["user"])
    if task.assignee_id == (user.pk if user else None):
        raise ActionSkipped(f"{task.key} is already assigned so")
    if not dry:
        task_services.task_assign(actor=ctx.actor, task=task, assignee=user)
    return f"{task.key}: assignee → {user.email if user else 'nobody'}"


def _labels(ctx: Context, action: dict[str, Any], task: Any, dry: bool) -> str:
    adding = action["kind"] == "add_label"
    current = list(task.labels.all())
    names = {label.name.lower() for label in current}
    wanted = action["label"]
    if adding == (wanted.lower() in names):
        raise ActionSkipped(f"{task.key} {'has' if adding else 'lacks'} “{wanted}” already")
    if not dry:
        label = _label(ctx, wanted, create=adding)
        labels = (
            [*current, label]
            if adding
            else [x for x in current if x.name.lower() != wanted.lower()]
        )
        task_services.task_update(actor=ctx.actor, task=task, labels=labels)
    return f"{task.key}: label {'+' if adding else '-'}{wanted}"


def _set_field(ctx: Context, action: dict[str, Any], task: Any, dry: bool) -> str:
    if not dry:
        custom_values_set(actor=ctx.actor, task=task, values={action["field"]: action["value"]})
    return f"{task.key}: {action['field']} → {action['value']}"


def _remove_from_sprint(ctx: Context, action: dict[str, Any], task: Any, dry: bool) -> str:
    if task.sprint_id is None:
        raise ActionSkipped(f"{task.key} is in no sprint")
    if not dry:
        task_services.task_update(actor=ctx.actor, task=task, sprint=None)
    return f"{task.key}: out of its sprint"


def _comment(ctx: Context, action: dict[str, Any], task: Any, dry: bool) -> str:
    body = ctx.fill(action["text"], task)
    if not dry:
        task_services.task_comment_add(actor=ctx.actor, task=task, body=body)
    return f"{task.key}: comment “{body[:80]}”"


def _create_task(ctx: Context, action: dict[str, Any], task: Any, dry: bool) -> str:
    teams = Team.objects.for_workspace(ctx.rule.workspace_id)
    team = (
        teams.filter(key__iexact=action["team"]).first()
        if action.get("team")
        else (ctx.rule.team or (task.team if task is not None else None))
    )
    if team is None:
        raise ActionSkipped("create_task needs a team (set one on the rule or the action)")
    title = ctx.fill(action["title"], task)[:255]
    if dry:
        return f"new task in {team.key}: “{title}”"
    created = task_services.task_create(actor=ctx.actor, team=team, title=title)
    return f"created {created.key}: “{title}”"


def _notify(ctx: Context, action: dict[str, Any], task: Any, dry: bool) -> str:
    user = _user(ctx, task, action["who"])
    if user is None:
        raise ActionSkipped("nobody to notify")
    sentence = ctx.fill(action["text"], task)
    if not dry:
        ws = ctx.rule.workspace
        if task is not None:
            about = About("task", task.pk, f"/w/{ws.slug}/tasks/{task.key}/")
        else:
            kr_id = int(ctx.data.get("key_result_id") or 0)
            about = About("key_result", kr_id, f"/w/{ws.slug}/okrs/")
        notify(
            workspace=ws,
            recipient=user,
            kind="status_changed",
            sentence=sentence,
            about=about,
            actor=None,
            key=f"automation:{ctx.rule.pk}:{ctx.event_key}:{task.pk if task else 0}",
        )
    return f"notify {user.email}: “{sentence[:80]}”"


def _slack(ctx: Context, action: dict[str, Any], task: Any, dry: bool) -> str:
    text = ctx.fill(action["text"], task)
    if not dry:
        outbox_enqueue(
            workspace=ctx.rule.workspace,
            channel=Channel.SLACK,
            destination=action["channel"],
            payload={"text": text},
            dedupe_key=f"automation:{ctx.rule.pk}:{ctx.event_key}:slack:{task.pk if task else 0}",
            event_type="automation.rule",
        )
    return f"slack {action['channel']}: “{text[:80]}”"


def _webhook(ctx: Context, action: dict[str, Any], task: Any, dry: bool) -> str:
    subscription = WebhookSubscription.objects.filter(
        workspace_id=ctx.rule.workspace_id, pk=int(action["subscription"])
    ).first()
    if subscription is None:
        raise ActionSkipped(f"no webhook subscription #{action['subscription']}")
    if not dry:
        event_id = f"automation-{ctx.rule.pk}-{ctx.event_key}-{task.pk if task else 0}"
        outbox_enqueue(
            workspace=ctx.rule.workspace,
            channel=Channel.WEBHOOK,
            destination=subscription.url,
            payload={
                "id": event_id,
                "type": "automation.rule",
                "workspace": ctx.rule.workspace.slug,
                "data": {
                    "rule": ctx.rule.pk,
                    "trigger": ctx.trigger,
                    "task": task.key if task is not None else None,
                    "event": {k: v for k, v in ctx.data.items() if k != "actor_id"},
                },
            },
            dedupe_key=f"webhook:{event_id}:{subscription.pk}",
            event_type="automation.rule",
            subscription_id=subscription.pk,
        )
    return f"webhook → {subscription.url}"


HANDLERS = {
    "set_state": _set_state,
    "set_assignee": _set_assignee,
    "add_label": _labels,
    "remove_label": _labels,
    "set_field": _set_field,
    "remove_from_sprint": _remove_from_sprint,
    "comment": _comment,
    "create_task": _create_task,
    "notify": _notify,
    "slack": _slack,
    "webhook": _webhook,
}
