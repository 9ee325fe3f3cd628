"""Demo OKRs for Acme Robotics: last quarter (closed) and this quarter, with check-in history.

Idempotent: objectives are keyed on (period, title); an objective that exists is left alone
with everything under it, so a second run changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from alignment.models import Team, User, Workspace
from okrs import selectors
from okrs.models import CheckIn, KeyResult, Objective, ObjectiveStatus, Period

# How a KR's history goes: share of the expected pace reached, latest confidence.
PACES = {"ahead": (1.15, 8), "on": (1.0, 7), "risk": (0.72, 5), "off": (0.35, 3), "done": (9, 9)}
NOTES = {
    "ahead": ["Ahead of plan.", "The new flow is paying off.", "Steady gains this week."],
    "on": ["On plan.", "Moving as expected.", "Small but steady step."],
    "risk": ["Slower than hoped.", "Blocked on a dependency for part of the week.", "Watching."],
    "off": ["Stalled; needs a decision.", "Lost two weeks to incidents.", "Re-planning."],
    "done": ["Done.", "Shipped and verified.", "Closed out."],
}


@dataclass
class KR:
    title: str
    baseline: float = 0
    target: float = 1
    pace: str = "on"
    kind: str = "number"
    unit: str = ""
    source: str = "manual"
    weight: float = 1
    steps: list[tuple[str, float]] = field(default_factory=list)
    stale: bool = False  # stopped checking in three weeks ago


@dataclass
class O:  # noqa: E742 - short name for a table of specs
    title: str
    level: str
    team: str | None
    owner: str
    krs: list[KR]
    parent: str | None = None
    parent_kr: str | None = None  # title of the parent's `children` KR it rolls up into
    description: str = ""


CURRENT = [
    O(
        "Become the most reliable robot fleet platform",
        "company",
        None,
        "ceo",
        [
            KR("Teams hit their reliability objectives", source="children", kind="percentage"),
            KR("Fleet uptime from 99.2% to 99.9%", 99.2, 99.9, "risk", "percentage", "%"),
            KR("Sev-1 incidents per month from 6 to 1", 6, 1, "on", unit="incidents"),
        ],
        description="Customers pick us because robots keep working; every team owns a part.",
    ),
    O(
        "Win the mid-market warehouse segment",
        "company",
        None,
        "ceo",
        [
            KR("Growth work lands its activation goals", source="children", kind="percentage"),
            KR("New ARR from €1.2M to €2.0M", 1.2, 2.0, "risk", "currency", "€M"),
            KR("Signed mid-market logos from 4 to 12", 4, 12, "on", unit="logos"),
        ],
    ),
    O(
        "Make our data trustworthy for every decision",
        "company",
        None,
        "admin",
        [
            KR("Dashboards with certified sources from 20% to 80%", 20, 80, "off", "percentage"),
            KR("Launch the metrics catalogue", kind="boolean", pace="done"),
        ],
    ),
    O(
        "Cut fleet API latency for every customer",
        "team",
        "PLT",
        "priya",
        [
            KR("p95 API latency from 480 ms to 200 ms", 480, 200, "on", unit="ms", weight=2),
            KR("Error rate from 1.5% to 0.3%", 1.5, 0.3, "ahead", "percentage", "%"),
            KR(
                "Multi-region failover",
                kind="milestone",
                pace="on",
                steps=[("Design review", 1), ("Replica in eu-west", 2), ("Game day", 1)],
            ),
        ],
        parent="Become the most reliable robot fleet platform",
        parent_kr="Teams hit their reliability objectives",
    ),
    O(
        "Make deploys boring",
        "team",
        "PLT",
        "marco",
        [
            KR("Deploys per week from 5 to 20", 5, 20, "risk", unit="deploys"),
            KR("Change failure rate from 18% to 8%", 18, 8, "off", "percentage", "%", stale=True),
        ],
        parent="Become the most reliable robot fleet platform",
        parent_kr="Teams hit their reliability objectives",
    ),
    O(
        "Keep the mobile app crash-free in the field",
        "team",
        "MOB",
        "lena",
        [
            KR("Crash-free sessions from 97% to 99.5%", 97, 99.5, "on", "percentage", "%"),
            KR("Offline mode for the scanner", kind="boolean", pace="risk"),
            KR("App store rating from 3.9 to 4.5", 3.9, 4.5, "ahead", unit="stars"),
        ],
        parent="Become the most reliable robot fleet platform",
        parent_kr="Teams hit their reliability objectives",
    ),
    O(
        "Make the operator app a joy for floor managers",
        "team",
        "MOB",
        "kenji",
        [
            KR("Weekly active floor managers from 300 to 900", 300, 900, "off", unit="users"),
            KR("Task completion time from 90 s to 45 s", 90, 45, "risk", unit="s"),
        ],
        parent="Win the mid-market warehouse segment",
    ),
    O(
        "Turn trials into paying warehouses",
        "team",
        "GRO",
        "ana",
        [
            KR("Trial to paid from 12% to 25%", 12, 25, "on", "percentage", "%", weight=2),
            KR("Time to first robot online from 9 to 3 days", 9, 3, "ahead", unit="days"),
            KR("Self-serve pricing page", kind="boolean", pace="done"),
        ],
        parent="Win the mid-market warehouse segment",
        parent_kr="Growth work lands its activation goals",
    ),
    O(
        "Grow qualified pipeline from partners",
        "team",
        "GRO",
        "tom",
        [
            KR("Partner-sourced leads from 15 to 60 a month", 15, 60, "risk", unit="leads"),
            KR("Active reseller partners from 3 to 10", 3, 10, "off", unit="partners"),
            KR("Demo-to-proposal rate from 30% to 45%", 30, 45, "on", "percentage", "%"),
        ],
        parent="Win the mid-market warehouse segment",
        parent_kr="Growth work lands its activation goals",
    ),
    O(
        "Certify the core business metrics",
        "team",
        "DAT",
        "amira",
        [
            KR("Certified core metrics from 4 to 20", 4, 20, "risk", unit="metrics"),
            KR(
                "Warehouse migration",
                kind="milestone",
                pace="off",
                steps=[("Schema freeze", 1), ("Backfill", 3), ("Cut-over", 2), ("Decommission", 1)],
            ),
        ],
        parent="Make our data trustworthy for every decision",
    ),
    O(
        "Give every team self-serve fleet analytics",
        "team",
        "DAT",
        "tom",
        [
            KR("Teams using self-serve dashboards from 2 to 8", 2, 8, "on", unit="teams"),
            KR("Median query time from 40 s to 5 s", 40, 5, "ahead", unit="s"),
            KR("Data freshness SLA met from 70% to 95%", 70, 95, "on", "percentage", "%"),
        ],
        parent="Make our data trustworthy for every decision",
    ),
    O(
        "Grow as an on-call lead",
        "individual",
        None,
        "priya",
        [
            KR("Run 3 incident reviews", 0, 3, "on", unit="reviews"),
            KR("Mentor 2 engineers through their first on-call", 0, 2, "ahead", unit="people"),
        ],
        parent="Cut fleet API latency for every customer",
    ),
]

LAST = [
    O(
        "Stabilise the fleet after the v3 launch",
        "company",
        None,
        "ceo",
        [
            KR("Fleet uptime from 98.5% to 99.2%", 98.5, 99.2, "on", "percentage", "%"),
            KR("Support tickets per robot from 0.8 to 0.4", 0.8, 0.4, "risk", unit="tickets"),
        ],
    ),
    O(
        "Ship the v3 scanner app",
        "team",
        "MOB",
        "lena",
        [
            KR("v3 in the app stores", kind="boolean", pace="done"),
            KR("Crash-free sessions from 94% to 97%", 94, 97, "on", "percentage", "%"),
        ],
        parent="Stabilise the fleet after the v3 launch",
    ),
    O(
        "Open the trial funnel",
        "team",
        "GRO",
        "ana",
        [
            KR("Trials started from 20 to 80 a month", 20, 80, "off", unit="trials"),
            KR("Trial to paid from 8% to 12%", 8, 12, "on", "percentage", "%"),
        ],
    ),
]


def quarter_of(day: date) -> tuple[date, date]:
    start = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    following = date(start.year + (start.month + 3 > 12), (start.month + 2) % 12 + 1, 1)
    return start, following - timedelta(days=1)


def _at(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def _period(workspace: Workspace, start: date, end: date) -> Period:
    name = f"Q{(start.month - 1) // 3 + 1} {start.year}"
    period, _ = Period.objects.get_or_create(
        workspace=workspace, name=name, defaults={"start": start, "end": end}
    )
    return period


def _share(spec: KR, elapsed: float) -> float:
    factor, _ = PACES[spec.pace]
    return min(1.0, factor * elapsed)


def _value(spec: KR, share: float) -> Decimal:
    if spec.kind in ("boolean", "milestone"):
        return Decimal(1) if share >= 1 else Decimal(0)
    raw = spec.baseline + share * (spec.target - spec.baseline)
    places = 1 if abs(spec.target - spec.baseline) < 20 else 0
    return Decimal(str(round(raw, places)))


def _steps(spec: KR, share: float) -> list[dict]:
    total = sum(weight for _, weight in spec.steps)
    done_weight, steps = 0.0, []
    for title, weight in spec.steps:
        done = done_weight + weight <= share * total + 1e-9
        done_weight += weight if done else 0
        steps.append({"title": title, "weight": float(weight), "done": done})
    return steps


def _key_result(
    spec: KR, objective: Objective, period: Period, owner: User, today: date, position: int
) -> None:
    last_day = min(today, period.end)
    span = max(1, (period.end - period.start).days)
    if spec.stale:
        last_day = max(period.start, last_day - timedelta(days=21))
    days = list(range(7, (last_day - period.start).days + 1, 7))
    kr = KeyResult.objects.create(
        workspace=objective.workspace,
        objective=objective,
        title=spec.title,
        owner=owner,
        kind=spec.kind,
        unit=spec.unit,
        baseline=Decimal(str(spec.baseline)),
        target=Decimal(str(spec.target)),
        current=Decimal(str(spec.baseline)),
        source=spec.source,
        weight=Decimal(str(spec.weight)),
        milestones=_steps(spec, 0) if spec.steps else [],
        position=position,
    )
    if spec.source == "children" or not days:
        return
    _, confidence = PACES[spec.pace]
    notes = NOTES[spec.pace]
    rows, value, steps = [], kr.current, kr.milestones
    for number, offset in enumerate(days):
        share = _share(spec, offset / span)
        steps = _steps(spec, share) if spec.steps else []
        value = (
            Decimal(
                str(
                    round(
                        sum(s["weight"] for s in steps if s["done"])
                        / sum(s["weight"] for s in steps),
                        4,
                    )
                )
            )
            if steps
            else _value(spec, share)
        )
        rows.append(
            CheckIn(
                workspace=objective.workspace,
                key_result=kr,
                value=value,
                confidence=min(10, confidence + (1 if number < 2 else 0)),
                note=notes[number % len(notes)],
                steps_done=[i for i, s in enumerate(steps) if s["done"]],
                author=owner,
                created_at=_at(period.start + timedelta(days=offset)),
            )
        )
    CheckIn.objects.bulk_create(rows)
    KeyResult.objects.filter(pk=kr.pk).update(
        current=value,
        confidence=rows[-1].confidence,
        milestones=steps,
        last_check_in_at=rows[-1].created_at,
    )


def _objectives(
    specs: list[O],
    *,
    workspace: Workspace,
    period: Period,
    teams: dict[str, Team],
    people: dict[str, User],
    today: date,
) -> list[Objective]:
    created: list[Objective] = []
    by_title = {
        o.title: o for o in Objective.objects.for_workspace(workspace).filter(period=period)
    }
    for spec in specs:
        if spec.title in by_title:
            continue
        parent = by_title.get(spec.parent or "")
        parent_kr = (
            KeyResult.objects.filter(objective=parent, title=spec.parent_kr).first()
            if parent is not None and spec.parent_kr
            else None
        )
        objective = Objective.objects.create(
            workspace=workspace,
            period=period,
            title=spec.title,
            description=spec.description,
            level=spec.level,
            team=teams.get(spec.team) if spec.team else None,
            owner=people.get(spec.owner),
            parent=parent,
            parent_key_result=parent_kr,
        )
        by_title[spec.title] = objective
        created.append(objective)
        for position, kr in enumerate(spec.krs):
            owner = people.get(spec.owner)
            assert owner is not None
            _key_result(kr, objective, period, owner, today, position)
    return created


@transaction.atomic
def seed_okrs(
    *, workspace: Workspace, teams: dict[str, Team], people: dict[str, User], today: date
) -> None:
    """Build the demo OKRs; a second run changes nothing."""
    start, end = quarter_of(today)
    last_start, last_end = quarter_of(start - timedelta(days=1))
    current = _period(workspace, start, end)
    last = _period(workspace, last_start, last_end)
    _objectives(
        CURRENT, workspace=workspace, period=current, teams=teams, people=people, today=today
    )
    created = _objectives(
        LAST, workspace=workspace, period=last, teams=teams, people=people, today=today
    )
    if created:
        nodes = selectors.progress_for_objectives(workspace, created, today=last_end)
        for objective in created:
            score = Decimal(str(round(nodes[objective.pk].progress, 4)))
            Objective.objects.filter(pk=objective.pk).update(
                status=ObjectiveStatus.CLOSED, score=score
            )
    if last.closed_at is None:
        Period.objects.filter(pk=last.pk).update(closed_at=_at(last_end + timedelta(days=1), 9))
    # The OKRs were written as their quarter began, so trend charts and the snapshot backfill
    # have the whole quarter to draw (rows are created today; auto_now_add ignores a value).
    for period in (current, last):
        planned = _at(period.start, 9)
        Objective.objects.filter(period=period, created_at__gt=planned).update(created_at=planned)
        KeyResult.objects.filter(objective__period=period, created_at__gt=planned).update(
            created_at=planned
        )
