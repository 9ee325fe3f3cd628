"""A workspace's OKR status thresholds: read them in people's units, change them (admins).

The thresholds live in `workspace.settings["okrs"]` in the units `okrs.progress.Thresholds`
reads: the behind-pace gaps as fractions (0.10 = 10 percentage points), confidences on the
0–10 check-in scale, staleness in days. People and API clients speak percentage points, so
this module converts both ways and is the only writer of that key. A `version` stored beside
the values lets two admins editing at once get a 409/412 instead of a lost write.

Saving publishes `OkrThresholdsChanged`: statuses of every objective and key result of the
workspace may change, so the dashboards recompute all of its rollups.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction

from alignment import events
from alignment.audit import audit_by
from alignment.errors import FieldErrors, StaleVersion
from alignment.guards import require_role
from alignment.models import Membership, Role, Workspace
from okrs import progress
from okrs.events import OkrThresholdsChanged
from okrs.services._common import UNSET

VERSION_KEY = "version"
OBJECT_LABEL = "The OKR status thresholds"


def _points(fraction: float) -> float:
    """0.1 → 10.0; rounded so that 0.07 shows as 7, not 7.000000000000001."""
    return round(fraction * 100, 4)


@dataclass(frozen=True)
class ThresholdValues:
    """Thresholds in people's units: percentage points, the 0–10 confidence scale, days."""

    at_risk_points: float
    off_track_points: float
    at_risk_confidence: int
    off_track_confidence: int
    stale_after_days: int

    @classmethod
    def of(cls, thresholds: progress.Thresholds) -> ThresholdValues:
        return cls(
            at_risk_points=_points(thresholds.at_risk_gap),
            off_track_points=_points(thresholds.off_track_gap),
            at_risk_confidence=thresholds.at_risk_confidence,
            off_track_confidence=thresholds.off_track_confidence,
            stale_after_days=thresholds.stale_after_days,
        )

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in FIELDS}

    def stored(self) -> dict[str, Any]:
        """The values in the units `progress.Thresholds.from_settings` reads."""
        return {
            "at_risk_gap": round(self.at_risk_points / 100, 6),
            "off_track_gap": round(self.off_track_points / 100, 6),
            "at_risk_confidence": self.at_risk_confidence,
            "off_track_confidence": self.off_track_confidence,
            "stale_after_days": self.stale_after_days,
        }


FIELDS = [
    "at_risk_points",
    "off_track_points",
    "at_risk_confidence",
    "off_track_confidence",
    "stale_after_days",
]
DEFAULTS = ThresholdValues.of(progress.Thresholds())
POINTS_RANGE = (0, 100)  # exclusive at 0: a zero gap would flag key results exactly on pace
CONFIDENCE_RANGE = (0, 10)
DAYS_RANGE = (1, 365)


@dataclass(frozen=True)
class OkrThresholds:
    """The thresholds a workspace uses now, with the version to send back when changing them."""

    values: ThresholdValues
    version: int  # 0 while the workspace uses the defaults and nobody saved anything

    @property
    def defaults(self) -> ThresholdValues:
        return DEFAULTS

    @property
    def customized(self) -> list[str]:
        """The fields whose value differs from the default."""
        return [n for n in FIELDS if getattr(self.values, n) != getattr(DEFAULTS, n)]


def _stored(workspace: Workspace) -> dict[str, Any]:
    raw = (workspace.settings or {}).get(progress.SETTINGS_KEY)
    return dict(raw) if isinstance(raw, dict) else {}


def _version(raw: dict[str, Any]) -> int:
    value = raw.get(VERSION_KEY)
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def okr_thresholds_of(workspace: Workspace) -> OkrThresholds:
    """The thresholds a workspace's statuses use now (defaults for anything not set)."""
    thresholds = progress.Thresholds.from_settings(workspace.settings)
    return OkrThresholds(ThresholdValues.of(thresholds), _version(_stored(workspace)))


def _number(value: Any, field: str) -> Decimal:
    if isinstance(value, bool):
        raise FieldErrors({field: "Enter a number."})
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise FieldErrors({field: "Enter a number."}) from None
    if not number.is_finite():
        raise FieldErrors({field: "Enter a finite number."})
    return number


def _points_value(value: Any, field: str) -> float:
    number = _number(value, field)
    low, high = POINTS_RANGE
    if number <= low or number > high:
        raise FieldErrors(
            {
                field: f"Use a number of percentage points above {low} and at most {high} "
                "(0 would flag key results that are exactly on pace)."
            }
        )
    result = float(round(number, 2))
    if not math.isfinite(result):  # pragma: no cover - Decimal bounds make this unreachable
        raise FieldErrors({field: "Enter a finite number."})
    return result


def _whole(value: Any, field: str, low: int, high: int, what: str) -> int:
    number = _number(value, field)
    if number != number.to_integral_value():
        raise FieldErrors({field: f"Use a whole number of {what}."})
    if not low <= number <= high:
        raise FieldErrors({field: f"Use a whole number of {what} from {low} to {high}."})
    return int(number)


def _clean(current: ThresholdValues, changes: dict[str, Any]) -> ThresholdValues:
    """The new values, every field checked; all problems reported at once."""
    errors: dict[str, list[str]] = {}
    values = current.as_dict()
    checks = {
        "at_risk_points": lambda v: _points_value(v, "at_risk_points"),
        "off_track_points": lambda v: _points_value(v, "off_track_points"),
        "at_risk_confidence": lambda v: _whole(
            v, "at_risk_confidence", *CONFIDENCE_RANGE, "confidence points"
        ),
        "off_track_confidence": lambda v: _whole(
            v, "off_track_confidence", *CONFIDENCE_RANGE, "confidence points"
        ),
        "stale_after_days": lambda v: _whole(v, "stale_after_days", *DAYS_RANGE, "days"),
    }
    for name, value in changes.items():
        try:
            values[name] = checks[name](value)
        except FieldErrors as exc:
            errors.update(exc.fields)
    if not errors and values["off_track_points"] < values["at_risk_points"]:
        errors["off_track_points"] = [
            f"Off track must be at least as far behind pace as at risk "
            f"({_show(values['at_risk_points'])} points): a key result becomes at risk first, "
            "then off track."
        ]
    if not errors and values["off_track_confidence"] > values["at_risk_confidence"]:
        errors["off_track_confidence"] = [
            f"Off track confidence must be at or below the at-risk confidence "
            f"({values['at_risk_confidence']}): lower confidence is the more serious status."
        ]
    if errors:
        raise FieldErrors(errors, " ".join(m for ms in errors.values() for m in ms))
    return ThresholdValues(**values)


def _show(points: float) -> str:
    return f"{points:g}"


@transaction.atomic
def okr_thresholds_update(
    *,
    actor: Membership,
    expected_version: int | None = None,
    at_risk_points: Any = UNSET,
    off_track_points: Any = UNSET,
    at_risk_confidence: Any = UNSET,
    off_track_confidence: Any = UNSET,
    stale_after_days: Any = UNSET,
) -> OkrThresholds:
    """Change some or all of the workspace's status thresholds (admin).

    Fields not passed keep their value. `expected_version` (when given) must be the version
    the caller read, else StaleVersion. Saving the values already in use changes nothing
    (no audit row, no recompute).
    """
    require_role(actor, Role.ADMIN)
    # Locked: a concurrent save of another settings key must not be overwritten by ours.
    workspace = Workspace.objects.select_for_update().get(pk=actor.workspace_id)
    raw = _stored(workspace)
    version = _version(raw)
    if expected_version is not None and expected_version != version:
        raise StaleVersion(object=OBJECT_LABEL, current=version)
    before = ThresholdValues.of(progress.Thresholds.from_settings(workspace.settings))
    passed = {
        "at_risk_points": at_risk_points,
        "off_track_points": off_track_points,
        "at_risk_confidence": at_risk_confidence,
        "off_track_confidence": off_track_confidence,
        "stale_after_days": stale_after_days,
    }
    after = _clean(before, {k: v for k, v in passed.items() if v is not UNSET})
    if after == before:
        return OkrThresholds(after, version)
    raw.update(after.stored())
    raw[VERSION_KEY] = version + 1
    workspace.settings = {**(workspace.settings or {}), progress.SETTINGS_KEY: raw}
    workspace.save(update_fields=["settings"])
    actor.workspace.settings = workspace.settings  # the caller's copy sees the new values
    changed = [n for n in FIELDS if getattr(before, n) != getattr(after, n)]
    audit_by(
        actor,
        verb="okr_thresholds.updated",
        obj=workspace,
        before={n: getattr(before, n) for n in changed},
        after={n: getattr(after, n) for n in changed},
    )
    events.publish_on_commit(
        OkrThresholdsChanged(workspace_id=workspace.pk, actor_id=actor.user_id)
    )
    return OkrThresholds(after, version + 1)


def okr_thresholds_reset(
    *, actor: Membership, expected_version: int | None = None
) -> OkrThresholds:
    """Go back to the built-in thresholds (admin); audited and recomputed like any change."""
    return okr_thresholds_update(
        actor=actor, expected_version=expected_version, **DEFAULTS.as_dict()
    )
