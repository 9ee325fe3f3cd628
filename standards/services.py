"""Writes with rules: standards (admins), adoption and waivers per team (audited)."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from alignment.audit import audit_by
from alignment.errors import Conflict, FieldErrors
from alignment.guards import ensure_same_workspace, require_admin
from alignment.models import Membership, Team
from alignment.versioning import save_versioned
from readmodel.models import ComplianceDay
from standards.checks import clean_checks
from standards.compliance_rows import forget_key_result_day
from standards.models import GATE_CATEGORIES, Adoption, Mode, Standard, Subject
from standards.templates_seed import TEMPLATES

UNSET: Any = object()


def _clean(*, name: str, subject: str, gate: str, mode: str, checks: Any) -> dict[str, Any]:
    name = " ".join((name or "").split())
    if not name or len(name) > 80:
        raise FieldErrors({"name": "Give the standard a name of at most 80 characters."})
    if subject not in Subject.values:
        raise FieldErrors({"subject": f"Use one of: {', '.join(Subject.values)}."})
    if gate and (subject != Subject.TASK or gate not in GATE_CATEGORIES):
        raise FieldErrors(
            {"gate": f"Only task standards gate; use one of: {', '.join(GATE_CATEGORIES)}."}
        )
    if mode not in Mode.values:
        raise FieldErrors({"mode": "Use block or warn."})
    return {
        "name": name,
        "subject": subject,
        "gate": gate,
        "mode": mode,
        "checks": clean_checks(subject, checks),
    }


def _free_key(actor: Membership, wanted: str) -> str:
    base = slugify(wanted)[:34] or "standard"
    key, n = base, 1
    taken = set(
        Standard.objects.for_workspace(actor.workspace_id)
        .filter(key__startswith=base)
        .values_list("key", flat=True)
    )
    while key in taken:
        n += 1
        key = f"{base}-{n}"
    return key


@transaction.atomic
def standard_create(
    *,
    actor: Membership,
    name: str,
    checks: Any,
    subject: str = Subject.TASK,
    gate: str = "",
    mode: str = Mode.BLOCK,
    description: str = "",
    team: Team | None = None,
    template: str = "",
) -> Standard:
    """A shared standard, or a team's own one (adopted by that team at once)."""
    require_admin(actor)
    ensure_same_workspace(actor, team, what="That team")
    clean = _clean(name=name, subject=subject, gate=gate, mode=mode, checks=checks)
    standard = Standard.objects.create(
        workspace_id=actor.workspace_id,
        team=team,
        key=_free_key(actor, template or clean["name"]),
        description=(description or "").strip(),
        template=template,
        created_by=actor.user,
        **clean,
    )
    audit_by(actor, verb="standard.created", obj=standard, after={"key": standard.key, **clean})
    if team is not None:
        standard_adopt(actor=actor, standard=standard, team=team)
    return standard


def standard_create_from_template(
    *, actor: Membership, template: str, team: Team | None = None
) -> Standard:
    """One of the four seeded standards (standards.templates_seed), ready to adopt."""
    if template not in TEMPLATES:
        raise FieldErrors({"template": f"Choose one of: {', '.join(TEMPLATES)}."})
    return standard_create(actor=actor, team=team, template=template, **TEMPLATES[template])


@transaction.atomic
def standard_update(
    *,
    actor: Membership,
    standard: Standard,
    expected_version: int | None = None,
    name: str = UNSET,
    description: str = UNSET,
    gate: str = UNSET,
    mode: str = UNSET,
    checks: Any = UNSET,
) -> Standard:
    """Change a standard; `mode=warn` lets failing moves through and records them instead."""
    require_admin(actor)
    ensure_same_workspace(actor, standard)
    before = {"name": standard.name, "gate": standard.gate, "mode": standard.mode}
    clean = _clean(
        name=standard.name if name is UNSET else name,
        subject=standard.subject,
        gate=standard.gate if gate is UNSET else gate,
        mode=standard.mode if mode is UNSET else mode,
        checks=standard.checks if checks is UNSET else checks,
    )
    for field, value in clean.items():
        setattr(standard, field, value)
    if description is not UNSET:
        standard.description = (description or "").strip()
    save_versioned(
        standard,
        expected_version=expected_version,
        fields=["name", "gate", "mode", "checks", "description"],
        label=f"Standard {standard.name}",
    )
    audit_by(actor, verb="standard.updated", obj=standard, before=before, after=clean)
    if standard.subject == Subject.KEY_RESULT:
        forget_key_result_day(actor.workspace_id)  # its checks may have changed: measure again
    return standard


@transaction.atomic
def standard_delete(*, actor: Membership, standard: Standard) -> None:
    require_admin(actor)
    ensure_same_workspace(actor, standard)
    audit_by(actor, verb="standard.deleted", obj=standard, before={"key": standard.key})
    ComplianceDay.objects.for_workspace(actor.workspace_id).filter(standard_id=standard.pk).delete()
    standard.delete()


def _adoption(actor: Membership, standard: Standard, team: Team) -> Adoption:
    ensure_same_workspace(actor, standard, team)
    adoption = Adoption.objects.filter(team=team, standard=standard).first()
    if adoption is None:
        raise FieldErrors({"team": f"{team.name} has not adopted {standard.name}."})
    return adoption


@transaction.atomic
def standard_adopt(*, actor: Membership, standard: Standard, team: Team) -> Adoption:
    """The team follows the standard from now on (idempotent)."""
    require_admin(actor)
    ensure_same_workspace(actor, standard, team)
    if standard.team_id is not None and standard.team_id != team.pk:
        raise Conflict(f"{standard.name} is another team's own standard; share it first.")
    existing = Adoption.objects.filter(team=team, standard=standard).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            adoption = Adoption.objects.create(
                workspace_id=actor.workspace_id, team=team, standard=standard, adopted_by=actor.user
            )
    except IntegrityError:  # a concurrent adopt won: same outcome
        return Adoption.objects.get(team=team, standard=standard)
    if standard.subject == Subject.KEY_RESULT:
        forget_key_result_day(actor.workspace_id)
    audit_by(
        actor,
        verb="standard.adopted",
        obj=adoption,
        after={"team": team.key, "standard": standard.key},
    )
    return adoption


@transaction.atomic
def standard_drop(*, actor: Membership, standard: Standard, team: Team) -> None:
    require_admin(actor)
    adoption = _adoption(actor, standard, team)
    audit_by(
        actor,
        verb="standard.dropped",
        obj=adoption,
        before={"team": team.key, "standard": standard.key},
    )
    adoption.delete()


@transaction.atomic
def standard_waive(*, actor: Membership, standard: Standard, team: Team, reason: str) -> Adoption:
    """Suspend an adopted standard for one team, with a written reason leaders can read."""
    require_admin(actor)
    adoption = _adoption(actor, standard, team)
    reason = (reason or "").strip()
    if len(reason) < 10:
        raise FieldErrors({"reason": "Write why the team waives it (at least 10 characters)."})
    if len(reason) > 1000:
        raise FieldErrors({"reason": "Use at most 1000 characters."})
    adoption.waiver_reason = reason
    adoption.waived_by = actor.user
    adoption.waived_at = timezone.now()
    adoption.save(update_fields=["waiver_reason", "waived_by", "waived_at"])
    audit_by(
        actor,
        verb="standard.waived",
        obj=adoption,
        after={"team": team.key, "standard": standard.key, "reason": reason},
    )
    return adoption


@transaction.atomic
def standard_unwaive(*, actor: Membership, standard: Standard, team: Team) -> Adoption:
    require_admin(actor)
    adoption = _adoption(actor, standard, team)
    before = {"team": team.key, "standard": standard.key, "reason": adoption.waiver_reason}
    adoption.waiver_reason = ""
    adoption.waived_by = None
    adoption.waived_at = None
    adoption.save(update_fields=["waiver_reason", "waived_by", "waived_at"])
    audit_by(actor, verb="standard.unwaived", obj=adoption, before=before)
    return adoption
