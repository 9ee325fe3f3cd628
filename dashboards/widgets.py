"""The widgets a dashboard can show: the registry layouts are validated against.

Each widget names its template and the `parts` of the dashboard data it reads. A page loads
only the parts of the widgets it shows (`selectors.LeaderDashboard.load`), so a person who
removes the charts also removes their queries. Keys are stable: they are stored in
`DashboardLayout.widgets` and sent by API clients; rename one only with a data migration.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from alignment.errors import FieldErrors
from dashboards.models import Dashboard

LEADER, TEAM = Dashboard.LEADER.value, Dashboard.TEAM.value


@dataclass(frozen=True)
class Widget:
    key: str
    title: str
    description: str  # one line, shown in the "Add widget" menu
    parts: tuple[str, ...]  # the dashboard data it reads (see selectors)
    wide: bool = False  # spans the whole row of the grid (tables, long lists)
    dashboard: str = ""  # set by _registry
    template_name: str = ""  # a widget registered by another app brings its own template

    @property
    def template(self) -> str:
        return self.template_name or f"dashboards/widgets/{self.dashboard}/_{self.key}.html"


def _registry(dashboard: str, *widgets: Widget) -> dict[str, Widget]:
    return {w.key: replace(w, dashboard=dashboard) for w in widgets}


REGISTRY: dict[str, dict[str, Widget]] = {
    LEADER: _registry(
        LEADER,
        Widget(
            "progress",
            "Company progress",
            "Progress of the period's objectives against the pace they should have.",
            ("progress",),
            wide=True,
        ),
        Widget(
            "trend", "Trend", "Company progress per day against the pace.", ("trend",), wide=True
        ),
        Widget(
            "at_risk",
            "At risk",
            "Objectives and key results behind pace, and why.",
            ("at_risk",),
            wide=True,
        ),
        Widget(
            "drifting",
            "Drifting",
            "Unaligned work, stale key results, overdue items and other drift.",
            ("findings",),
            wide=True,
        ),
        Widget(
            "teams",
            "Teams compared",
            "Sprint progress, alignment, velocity, cycle time and DORA tiers per team.",
            ("teams",),
            wide=True,
        ),
        Widget(
            "dora",
            "Delivery (DORA)",
            "Each team's four DORA measures next to the published tiers.",
            ("teams",),
            wide=True,
        ),
    ),
    TEAM: _registry(
        TEAM,
        Widget(
            "objectives",
            "Team objectives",
            "The team's objectives in the chosen period: progress against pace.",
            ("objectives",),
            wide=True,
        ),
        Widget(
            "sprint",
            "Active sprint",
            "The sprint's progress against its calendar, and why.",
            ("sprint",),
        ),
        Widget(
            "alignment",
            "Alignment",
            "Share of the sprint's points that trace to an active key result, per day.",
            ("sprint", "history"),
        ),
        Widget("burndown", "Burndown", "Points remaining each day of the sprint.", ("metrics",)),
        Widget("burnup", "Burnup", "Scope and points done each day of the sprint.", ("metrics",)),
        Widget(
            "cumulative_flow",
            "Cumulative flow",
            "Tasks of the sprint per workflow state, stacked, each day.",
            ("sprint", "history"),
        ),
        Widget("velocity", "Velocity", "Points completed per closed sprint.", ("metrics",)),
        Widget("throughput", "Throughput", "Tasks finished per week.", ("metrics",)),
        Widget(
            "flow",
            "Sprints and flow",
            "Committed, completed, added and carried points; cycle and lead time; WIP.",
            ("metrics",),
            wide=True,
        ),
        Widget(
            "delivery",
            "Delivery (DORA)",
            "Deployment frequency, lead time, failure rate and restore time, with tiers.",
            ("rollup", "metrics", "benchmark"),
            wide=True,
        ),
        Widget(
            "at_risk", "At risk", "This team's drift and risk findings.", ("findings",), wide=True
        ),
    ),
}

# What a person sees before anyone arranged anything.
DEFAULTS: dict[str, list[str]] = {
    LEADER: ["progress", "trend", "at_risk", "drifting", "teams"],
    TEAM: [
        "objectives",
        "sprint",
        "alignment",
        "burndown",
        "burnup",
        "cumulative_flow",
        "velocity",
        "throughput",
        "flow",
        "delivery",
        "at_risk",
    ],
}


# Widgets of apps above dashboards (which it may not import): their part's loader, called
# with (workspace=, viewer=, today=) only when a shown widget reads that part.
Loader = Callable[..., Any]
EXTENSION_LOADERS: dict[str, Loader] = {}


def register(dashboard: str, widget: Widget, loader: Loader) -> None:
    """Add another app's widget (idempotent; from its AppConfig.ready). Its one part is its
    key; the data lands in `dash.extensions[<key>]` for its template. Not in DEFAULTS: a
    person adds it from the "Add widget" menu."""
    REGISTRY[dashboard][widget.key] = replace(widget, dashboard=dashboard, parts=(widget.key,))
    EXTENSION_LOADERS[widget.key] = loader


def refused(fields: dict[str, str]) -> FieldErrors:
    """A 422 whose message is the field's own sentence, so a page's flash says what is wrong."""
    return FieldErrors(fields, " ".join(fields.values()))


def registry(dashboard: str) -> dict[str, Widget]:
    return REGISTRY[dashboard]


def widgets_of(dashboard: str, keys: Iterable[str]) -> list[Widget]:
    """The widgets of stored keys, in order; a key the registry no longer has is skipped."""
    known = REGISTRY[dashboard]
    return [known[k] for k in keys if k in known]


def missing(dashboard: str, keys: Iterable[str]) -> list[Widget]:
    """The widgets not shown, in registry order: what "Add widget" offers."""
    shown = set(keys)
    return [w for k, w in REGISTRY[dashboard].items() if k not in shown]


def parts_of(widgets: Iterable[Widget]) -> set[str]:
    return {part for w in widgets for part in w.parts}


def validate(dashboard: str, keys: object) -> list[str]:
    """The keys as a clean list, or FieldErrors (422) naming what is wrong with them."""
    known = REGISTRY[dashboard]
    if not isinstance(keys, list | tuple) or not all(isinstance(k, str) for k in keys):
        raise refused({"widgets": "Send the widgets as a list of widget keys (strings)."})
    unknown = [k for k in keys if k not in known]
    if unknown:
        raise refused(
            {
                "widgets": f"Unknown widget {', '.join(map(repr, unknown))} for the {dashboard} "
                f"dashboard; choose from: {', '.join(known)}."
            }
        )
    repeated = sorted({k for k in keys if list(keys).count(k) > 1})
    if repeated:
        raise refused(
            {"widgets": f"Each widget can be shown once; repeated: {', '.join(repeated)}."}
        )
    return list(keys)


def move(keys: Sequence[str], key: str, offset: int) -> list[str]:
    """`keys` with `key` moved `offset` places (clamped at the ends)."""
    order = list(keys)
    index = order.index(key)
    target = max(0, min(len(order) - 1, index + offset))
    order.insert(target, order.pop(index))
    return order
