"""Dismissing, snoozing and restoring findings: writes with rules, each audited.

A dismissal hides a finding's *cause* (code + subject), so a refresh that finds the same cause
again keeps it hidden; the drift refresh forgets it once the cause is gone. A snooze hides it
until a day. Both need a reason, which the dismissed list shows with who and when.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from alignment.audit import audit_by, audited_delete, snapshot
from alignment.errors import DomainError, FieldErrors
from alignment.models import Membership
from dashboards.models import Finding, FindingDismissal

REASON_MAX = 500
SNOOZE_MAX_DAYS = 366
AUDITED = ["code", "subject_kind", "subject_id", "until", "reason"]


class FindingNotDismissed(DomainError):
    status, code = 409, "finding_not_dismissed"
    message = "This finding is neither dismissed nor snoozed: there is nothing to restore."


def clean_reason(raw: Any) -> str:
    """The reason, trimmed; refused with a message that says what to write when missing."""
    reason = " ".join(str(raw or "").split())
    if not reason:
        raise FieldErrors(
            {"reason": "Say why, so others know (e.g. “planned for next quarter”)."},
            "A reason is required to dismiss or snooze a finding.",
        )
    if len(reason) > REASON_MAX:
        raise FieldErrors({"reason": f"Use at most {REASON_MAX} characters."})
    return reason


def clean_until(raw: Any, *, today: date) -> date:
    """The day a snooze ends: after today and within a year."""
    if isinstance(raw, date):
        until = raw
    else:
        try:
            until = date.fromisoformat(str(raw or "").strip())
        except ValueError as exc:
            raise FieldErrors(
                {"until": "Pick the day the finding should come back, as YYYY-MM-DD."},
                "A snooze needs the day it ends.",
            ) from exc
    if until <= today:
        raise FieldErrors({"until": "Pick a day after today."}, "A snooze must end in the future.")
    if until > today + timedelta(days=SNOOZE_MAX_DAYS):
        raise FieldErrors(
            {"until": "Snooze for a year at most; dismiss it if it should not come back."}
        )
    return until


def dismissal_of(finding: Finding) -> FindingDismissal | None:
    return FindingDismissal.objects.filter(
        workspace_id=finding.workspace_id,
        code=finding.code,
        subject_kind=finding.subject_kind,
        subject_id=finding.subject_id,
    ).first()


def finding_dismiss(*, actor: Membership, finding: Finding, reason: Any) -> FindingDismissal:
    """Hide a finding while its cause persists; a reason is required."""
    return _hide(actor=actor, finding=finding, text=clean_reason(reason), end=None)


def finding_snooze(
    *, actor: Membership, finding: Finding, reason: Any, until: Any, today: date
) -> FindingDismissal:
    """Hide a finding until a day (after `today`, within a year); a reason is required."""
    text = clean_reason(reason)
    return _hide(actor=actor, finding=finding, text=text, end=clean_until(until, today=today))


@transaction.atomic
def _hide(*, actor: Membership, finding: Finding, text: str, end: date | None) -> FindingDismissal:
    cause = {
        "workspace_id": finding.workspace_id,
        "code": finding.code,
        "subject_kind": finding.subject_kind,
        "subject_id": finding.subject_id,
    }
    existing = FindingDismissal.objects.select_for_update().filter(**cause).first()
    before = snapshot(existing, AUDITED) if existing else None
    values = {"until": end, "reason": text, "created_by": actor.user, "created_at": timezone.now()}
    if existing is None:
        try:
            with transaction.atomic():  # a savepoint: two people hiding it at once
                dismissal = FindingDismissal.objects.create(**cause, **values)
        except IntegrityError:
            dismissal = FindingDismissal.objects.select_for_update().get(**cause)
            before = snapshot(dismissal, AUDITED)
            existing = dismissal
    if existing is not None:
        dismissal = existing
        for name, value in values.items():
            setattr(dismissal, name, value)
        dismissal.save()
    audit_by(
        actor,
        verb="finding.snoozed" if end else "finding.dismissed",
        obj=dismissal,
        before=before,
        after=snapshot(dismissal, AUDITED),
    )
    return dismissal


@transaction.atomic
def finding_restore(*, actor: Membership, finding: Finding) -> None:
    """Show a dismissed or snoozed finding again (the undo)."""
    dismissal = dismissal_of(finding)
    if dismissal is None:
        raise FindingNotDismissed()
    audited_delete(actor, verb="finding.restored", obj=dismissal, fields=AUDITED)
