"""Writes to rules (admins only): create, from a template, change, enable/disable, delete.

Every write is audited and drops the workspace's cached set of listened triggers."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from alignment.audit import audit_by
from alignment.errors import FieldErrors, StaleVersion
from alignment.guards import require_admin
from alignment.models import Membership, Team
from automation import catalog
from automation.intake import forget_active_triggers
from automation.models import Rule, Trigger

EDITABLE = ("name", "team", "trigger", "conditions", "actions", "every_minutes")


def _snapshot(rule: Rule) -> dict[str, Any]:
    return {
        "name": rule.name,
        "team": rule.team_id,
        "trigger": rule.trigger,
        "conditions": rule.conditions,
        "actions": rule.actions,
        "every_minutes": rule.every_minutes,
        "enabled": rule.enabled,
    }


def _clean(actor: Membership, data: dict[str, Any]) -> dict[str, Any]:
    name = str(data.get("name") or "").strip()
    if not name:
        raise FieldErrors({"name": "A rule needs a name."})
    trigger = data.get("trigger")
    if trigger not in Trigger.values:
        raise FieldErrors({"trigger": f"Pick one of {', '.join(Trigger.values)}."})
    team = data.get("team")
    if team is not None and (not isinstance(team, Team) or team.workspace_id != actor.workspace_id):
        raise FieldErrors({"team": "No such team here."})
    return {
        "name": name[:120],
        "team": team,
        "trigger": trigger,
        "conditions": catalog.clean_conditions(data.get("conditions")),
        "actions": catalog.clean_actions(data.get("actions")),
        "every_minutes": catalog.clean_every_minutes(trigger, data.get("every_minutes")),
    }


@transaction.atomic
def rule_create(*, actor: Membership, template: str = "", **data: Any) -> Rule:
    """A new rule, disabled: dry-run it, then enable it."""
    require_admin(actor)
    cleaned = _clean(actor, data)
    rule = Rule.objects.create(
        workspace_id=actor.workspace_id, created_by=actor.user, template=template[:40], **cleaned
    )
    audit_by(actor, verb="automation.rule_created", obj=rule, after=_snapshot(rule))
    return rule


def rule_from_template(*, actor: Membership, template: str, team: Team | None = None) -> Rule:
    found = catalog.TEMPLATES.get(template)
    if found is None:
        raise FieldErrors({"template": f"Pick one of {', '.join(catalog.TEMPLATES)}."})
    return rule_create(actor=actor, template=template, team=team, **found)


@transaction.atomic
def rule_update(
    *, actor: Membership, rule: Rule, expected_version: int | None = None, **changes: Any
) -> Rule:
    require_admin(actor)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise FieldErrors(dict.fromkeys(unknown, "This field cannot be changed here."))
    rule = Rule.objects.select_for_update().get(pk=rule.pk, workspace_id=actor.workspace_id)
    if expected_version is not None and expected_version != rule.version:
        raise StaleVersion(object="This rule", current=rule.version)
    before = _snapshot(rule)
    merged = {**before, "team": rule.team, **changes}
    cleaned = _clean(actor, merged)
    for name, value in cleaned.items():
        setattr(rule, name, value)
    rule.updated_at = timezone.now()
    rule.version = F("version") + 1
    rule.save()
    rule.refresh_from_db()
    audit_by(actor, verb="automation.rule_updated", obj=rule, before=before, after=_snapshot(rule))
    forget_active_triggers(rule.workspace_id)
    return rule


@transaction.atomic
def rule_set_enabled(*, actor: Membership, rule: Rule, enabled: bool) -> Rule:
    require_admin(actor)
    if rule.enabled != enabled:
        Rule.objects.filter(pk=rule.pk).update(
            enabled=enabled, version=F("version") + 1, updated_at=timezone.now()
        )
        rule.refresh_from_db()
        verb = "automation.rule_enabled" if enabled else "automation.rule_disabled"
        audit_by(actor, verb=verb, obj=rule)
        forget_active_triggers(rule.workspace_id)
    return rule


@transaction.atomic
def rule_delete(*, actor: Membership, rule: Rule) -> None:
    require_admin(actor)
    audit_by(actor, verb="automation.rule_deleted", obj=rule, before=_snapshot(rule))
    workspace_id = rule.workspace_id
    rule.delete()
    forget_active_triggers(workspace_id)
