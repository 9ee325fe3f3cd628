"""What a workspace archive holds: every model is exported, rebuilt, or left out with a reason.

The classification is explicit so a new model cannot slip out of (or into) an export
unnoticed: `unclassified_models()` lists any model none of the three tables names, and a test
fails on it. Rows are keyed by their old primary key in the archive; the importer gives them
new keys and rewrites every reference, including the few held outside foreign keys
(`SOFT_REFERENCES`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.apps import apps
from django.db import models

# Exported, with the workspace's rows only (each has a `workspace` foreign key).
EXPORTED: tuple[str, ...] = (
    "alignment.membership",
    "alignment.team",
    "alignment.teamkeyalias",
    "alignment.teammember",
    "alignment.auditevent",
    "okrs.period",
    "okrs.objective",
    "okrs.keyresult",
    "okrs.checkin",
    "okrs.objectivecomment",
    "roadmaps.roadmap",
    "roadmaps.roadmapitem",
    "roadmaps.keyresultlink",
    "roadmaps.roadmapitemdependency",
    "tasks.workflowstate",
    "tasks.taskcounter",
    "tasks.sprint",
    "tasks.sprintcapacity",
    "tasks.label",
    "tasks.task",
    "tasks.tasklabel",
    "tasks.taskalias",
    "tasks.taskkeyalias",
    "tasks.taskdependency",
    "tasks.taskcomment",
    "tasks.taskevent",
    "tasks.sprintcarryover",
    "tasks.duplicatedismissal",
    "tasks.savedview",
    "dashboards.deployment",
    "dashboards.incident",
    "dashboards.findingdismissal",
    "dashboards.snapshot",
    "dashboards.dashboardlayout",
    "integrations.externallink",
    "integrations.importedissue",  # its import job stays behind: the link is left empty
    "integrations.notification",
    "integrations.notificationpreference",
    "integrations.checkinreminder",
    "twofactor.twofactorpolicy",
    "attachments.attachment",  # its bytes travel in files/ (FILE_FIELDS)
    "customfields.customfield",
    "customfields.customfieldoption",
    "customfields.customfieldvalue",
    "standards.standard",
    "standards.adoption",
    "standards.gaterecord",  # compliance history: the record of each gated entry
    "automation.rule",  # key results named in conditions are remapped; webhooks stay behind
    "automation.rulerun",  # run history: task ids remapped, event keys kept apart
    "documents.document",  # its Yjs snapshot travels as a binary field
    "documents.documentupdate",  # updates not yet compacted into the snapshot
    "documents.documentversion",
    "documents.documentcomment",  # its anchors are Yjs positions, not row references
    "assistant.assistantsettings",  # the workspace's model switch
)

# Rows whose bytes live in a storage: label -> (storage alias, field holding the key). The
# archive carries the bytes as files/<label>/<old id>; an import stores them under new keys.
FILE_FIELDS: dict[str, tuple[str, str]] = {
    "attachments.attachment": ("attachments", "storage_key"),
}

# Derived from the exported rows: not in the archive, recomputed after an import.
DERIVED: dict[str, str] = {
    "readmodel.rollup": "the read model, recomputed from the imported rows",
    "readmodel.forecast": "forecasts, recomputed from the read model and its snapshots",
    "readmodel.complianceday": "compliance per team, standard and day, recounted from the "
    "standards' gate records (key result measures start again on the import's day)",
    "dashboards.rolluppending": "a queue of the read model's stale nodes",
    "dashboards.refreshpending": "a queue of the read model's stale nodes",
    "dashboards.refreshclock": "when the read model was last refreshed",
    "dashboards.teammetrics": "team metrics, recomputed from task history",
    "dashboards.finding": "drift findings, recomputed from the read model",
    "documents.documentmention": "backlinks, read again from the imported documents' text",
}

# Left out on purpose.
EXCLUDED: dict[str, str] = {
    "alignment.user": "people are global: the archive lists who is referenced, matched by e-mail",
    "alignment.workspace": "the archive's root: written from its own section",
    "alignment.invitation": "pending invitations carry sign-up tokens: invite again",
    "alignment.invitationteam": "the teams of a guest's invitation, left out with it",
    "alignment.apitoken": "secrets: people create new tokens on the new instance",
    "alignment.loginfailure": "security state of this instance",
    "alignment.idempotencyrecord": "retry records of this instance's API",
    "alignment.scheduledrun": "which local days this instance's scheduled jobs ran for",
    "dashboards.dorabenchmark": "reference data shipped with every instance",
    "integrations.integration": "holds secrets and webhook addresses: connect again",
    "integrations.inbounddelivery": "raw deliveries of the integrations left out",
    "integrations.outboxmessage": "messages already sent (or due) from this instance",
    "integrations.webhooksubscription": "holds signing secrets and target addresses",
    "integrations.webhookdeliverylog": "delivery attempts of this instance",
    "integrations.importjob": "uploads being imported on this instance",
    "integrations.importjobfile": "files of uploads being imported on this instance",
    "integrations.slackuserlink": "belongs to a Slack connection, which is left out: link again",
    "sso.ssoconnection": "holds the identity provider's client secret: connect again",
    "sso.ssoidentity": "belongs to the SSO connection, which is left out: linked on next sign-in",
    "sso.samlrequest": "SAML sign-ins in flight on this instance, answerable for minutes",
    "automation.automationevent": "this instance's queue of events for rules",
    "assistant.assistantlog": "prompts sent to this instance's model: an audit of this instance",
    "admin.logentry": "Django admin history of this instance",
    "auth.permission": "framework tables",
    "auth.group": "framework tables",
    "contenttypes.contenttype": "framework tables",
    "sessions.session": "sign-ins of this instance",
    "scim.scimtoken": "secrets: create a new SCIM token for the identity provider",
    "scim.scimuser": "the identity provider's link to this instance: it re-links by userName",
    "scim.scimgroup": "the identity provider's link to this instance: groups re-link by name",
    "otp_totp.totpdevice": "a person's authenticator secret: set two-factor up again",
    "twofactor.recoverycode": "a person's one-time codes: made anew with two-factor",
    "twofactor.passkey": "bound to this instance's host name: register passkeys again",
}

# References held outside foreign keys, by the kind names the domain uses for them.
KIND_MODELS: dict[str, str] = {
    "workspace": "alignment.workspace",
    "team": "alignment.team",
    "objective": "okrs.objective",
    "key_result": "okrs.keyresult",
    "keyresult": "okrs.keyresult",
    "checkin": "okrs.checkin",
    "period": "okrs.period",
    "roadmap": "roadmaps.roadmap",
    "roadmap_item": "roadmaps.roadmapitem",
    "roadmapitem": "roadmaps.roadmapitem",
    "sprint": "tasks.sprint",
    "task": "tasks.task",
    "label": "tasks.label",
    "taskcomment": "tasks.taskcomment",
    "workflowstate": "tasks.workflowstate",
    "membership": "alignment.membership",
    "user": "alignment.user",
}


class Remap:
    """Old primary keys to new ones, per model label; what soft references resolve through."""

    def __init__(self, *, old_slug: str = "", new_slug: str = "") -> None:
        self.ids: dict[str, dict[int, int]] = {}
        self.old_slug = old_slug
        self.new_slug = new_slug

    def add(self, label: str, old: Any, new: int) -> None:
        self.ids.setdefault(label, {})[int(old)] = new

    def get(self, label: str, old: Any) -> int | None:
        try:
            return self.ids.get(label, {}).get(int(old))
        except (TypeError, ValueError):
            return None

    def kind(self, kind: str, old: Any) -> int | None:
        label = KIND_MODELS.get(kind)
        return self.get(label, old) if label else None


Drop = None  # a soft remapper returns None to drop a row whose subject did not travel


def _remap_subject(kind_field: str, id_field: str) -> Callable[[dict[str, Any], Remap], Any]:
    def remap(fields: dict[str, Any], ids: Remap) -> dict[str, Any] | None:
        new = ids.kind(fields[kind_field], fields[id_field])
        if new is None:
            return Drop
        return {**fields, id_field: new}

    return remap


def _remap_audit_object(fields: dict[str, Any], ids: Remap) -> dict[str, Any]:
    # An audit row outlives its subject: keep the row, forget an id that did not travel.
    new = ids.kind(fields["object_type"], fields["object_id"])
    return {**fields, "object_id": "" if new is None else str(new)}


# TaskEvent.before/after hold {"state": {"id": …} | id, "sprint": id, "assignee": id, "team": id}.
_EVENT_VALUE_KINDS = {
    "state": "workflowstate",
    "sprint": "sprint",
    "assignee": "user",
    "team": "team",
}


def _remap_event_value(value: Any, ids: Remap) -> Any:
    if not isinstance(value, dict):
        return value
    out = dict(value)
    for key, kind in _EVENT_VALUE_KINDS.items():
        inner = out.get(key)
        if isinstance(inner, dict) and "id" in inner:
            out[key] = {**inner, "id": ids.kind(kind, inner["id"])}
        elif inner is not None and not isinstance(inner, dict):
            out[key] = ids.kind(kind, inner)
    return out


def _remap_task_event(fields: dict[str, Any], ids: Remap) -> dict[str, Any]:
    return {
        **fields,
        "before": _remap_event_value(fields.get("before"), ids),
        "after": _remap_event_value(fields.get("after"), ids),
    }


def _remap_notification(fields: dict[str, Any], ids: Remap) -> dict[str, Any] | None:
    moved = _remap_subject("object_type", "object_id")(fields, ids)
    if moved is None:
        return Drop
    # The link was written when it happened, with the workspace's address in it.
    old, new = f"/w/{ids.old_slug}/", f"/w/{ids.new_slug}/"
    url = moved.get("url") or ""
    return {**moved, "url": new + url[len(old) :] if url.startswith(old) else url}


def _remap_rule(fields: dict[str, Any], ids: Remap) -> dict[str, Any] | None:
    """A rule names key results by id in its conditions, and webhook subscriptions (left out:
    they hold secrets) in its actions. Key results are remapped; a condition naming one that
    did not travel would match nothing, so the rule is dropped rather than widened. Webhook
    actions are removed and the rule comes in disabled, for an admin to point it at the new
    subscription; a rule with no action left is dropped."""
    conditions = []
    for condition in fields.get("conditions") or []:
        if isinstance(condition, dict) and condition.get("kind") == "kr":
            new = ids.kind("key_result", condition.get("value"))
            if new is None:
                return Drop
            condition = {**condition, "value": str(new)}
        conditions.append(condition)
    actions = [
        a
        for a in fields.get("actions") or []
        if not (isinstance(a, dict) and a.get("kind") == "webhook")
    ]
    if not actions:
        return Drop
    enabled = bool(fields.get("enabled")) and len(actions) == len(fields.get("actions") or [])
    return {**fields, "conditions": conditions, "actions": actions, "enabled": enabled}


def _remap_rule_run(fields: dict[str, Any], ids: Remap) -> dict[str, Any] | None:
    if ids.get("automation.rule", fields.get("rule")) is None:
        return Drop  # its rule stayed behind (above)
    # Event keys name this instance's event ids ("event:<id>"): the new instance numbers its
    # own events from 1 again, and an imported "event:7" must not make a rule skip a new
    # event 7 as already handled. Schedule slots ("schedule:<n>") are the same clock on both
    # sides and keep a slot that ran from running again.
    key = str(fields.get("event_key") or "")
    if key.startswith("event:"):
        key = f"imported:{key}"[:80]
    task_ids = [new for old in fields.get("task_ids") or [] if (new := ids.kind("task", old))]
    return {**fields, "event_key": key, "task_ids": task_ids}


SOFT_REFERENCES: dict[str, Callable[[dict[str, Any], Remap], dict[str, Any] | None]] = {
    "alignment.auditevent": _remap_audit_object,
    "integrations.notification": _remap_notification,
    "dashboards.findingdismissal": _remap_subject("subject_kind", "subject_id"),
    "dashboards.snapshot": _remap_subject("kind", "node_id"),
    "tasks.taskevent": _remap_task_event,
    "automation.rule": _remap_rule,
    "automation.rulerun": _remap_rule_run,
}


def label_of(model: Any) -> str:
    """`app.model` of a model class (or a field's `related_model`)."""
    return str(model._meta.label_lower)


def exported_models() -> list[type[models.Model]]:
    return [apps.get_model(label) for label in EXPORTED]


def unclassified_models() -> list[str]:
    """Models none of EXPORTED, DERIVED and EXCLUDED names: each must be classified."""
    known = {*EXPORTED, *DERIVED, *EXCLUDED}
    return sorted(label_of(m) for m in apps.get_models() if label_of(m) not in known)
