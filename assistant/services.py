"""The assistant's writes: accepting a draft (an objective and its key results, created
through the OKR services) and the workspace's model switch (admins)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction

from alignment.audit import audit_record
from alignment.errors import FieldErrors, StaleVersion
from alignment.models import Membership, Role, Team
from alignment.tenancy import require_role
from assistant.generator import KINDS, DraftKeyResult, passes_review
from assistant.models import AssistantSettings
from okrs import services as okr_services
from okrs.models import Objective, ObjectiveLevel, Period

MAX_ACCEPTED = 5


def _key_result(index: int, data: Mapping[str, Any]) -> DraftKeyResult:
    prefix = f"key_results[{index}]"
    try:
        baseline, target = float(data.get("baseline")), float(data.get("target"))  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise FieldErrors({prefix: "Give a baseline and a target as numbers."}) from exc
    kind = str(data.get("kind") or "number")
    if kind not in KINDS:
        raise FieldErrors({prefix: f"Kind is one of {', '.join(KINDS)}."})
    return DraftKeyResult(
        title=str(data.get("title") or "").strip(),
        kind=kind,
        baseline=baseline,
        target=target,
        unit=str(data.get("unit") or "").strip(),
    )


def review_edits(key_results: Sequence[Mapping[str, Any]]) -> list[DraftKeyResult]:
    """The edited key results, each passing the SMART review again, or FieldErrors."""
    if not key_results:
        raise FieldErrors({"key_results": "Keep at least one key result."})
    if len(key_results) > MAX_ACCEPTED:
        raise FieldErrors({"key_results": f"Keep at most {MAX_ACCEPTED} key results."})
    cleaned = [_key_result(i, data) for i, data in enumerate(key_results)]
    problems = {}
    for i, kr in enumerate(cleaned):
        codes = passes_review(kr)
        if codes:
            problems[f"key_results[{i}]"] = (
                f"“{kr.title}” does not pass the SMART review ({', '.join(codes)})."
            )
    if problems:
        raise FieldErrors(problems)
    return cleaned


@transaction.atomic
def accept_draft(
    *,
    actor: Membership,
    period: Period,
    title: str,
    key_results: Sequence[Mapping[str, Any]],
    description: str = "",
    team: Team | None = None,
    parent: Objective | None = None,
) -> Objective:
    """Create the objective and its key results, owned by the person who accepts."""
    require_role(actor, Role.MEMBER)
    cleaned = review_edits(key_results)
    objective = okr_services.objective_create(
        actor=actor,
        period=period,
        title=title,
        description=description,
        # Without a team it is a company objective (the OKR rules: admins only).
        level=ObjectiveLevel.TEAM if team is not None else ObjectiveLevel.COMPANY,
        team=team,
        parent=parent,
        owner=actor.user,
    )
    for kr in cleaned:
        okr_services.key_result_create(
            actor=actor,
            objective=objective,
            title=kr.title,
            kind=kr.kind,
            unit=kr.unit,
            baseline=kr.baseline,
            target=kr.target,
            owner=actor.user,
        )
    return objective


@transaction.atomic
def set_model_enabled(
    *, actor: Membership, enabled: bool, expected_version: int | None = None
) -> AssistantSettings:
    """Turn the model on or off for the workspace (admins). Off: nothing leaves the server."""
    require_role(actor, Role.ADMIN)
    row, _ = AssistantSettings.objects.select_for_update().get_or_create(workspace=actor.workspace)
    if expected_version is not None and expected_version != row.version:
        raise StaleVersion()
    if row.model_enabled != enabled:
        row.model_enabled = enabled
        row.version += 1
        row.save(update_fields=["model_enabled", "version", "updated_at"])
        audit_record(
            workspace=actor.workspace,
            actor=actor.user,
            verb="assistant.model_enabled" if enabled else "assistant.model_disabled",
            obj=row,
        )
    return row


def settings_of(workspace_id: int) -> AssistantSettings:
    row = AssistantSettings.objects.filter(workspace_id=workspace_id).first()
    return row or AssistantSettings(workspace_id=workspace_id)
