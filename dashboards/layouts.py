"""Dashboard layouts: which widgets a person sees, where they come from, and how they change.

A person's layout falls back to the default an admin saved (the team's for a team dashboard,
the workspace's for the leader dashboard), then to the built-in one of `dashboards.widgets`.
Writes validate against the widget registry; the versioned ones (API PUT, saving a default)
compare `version` inside a conditional UPDATE, so two writers get 409/412, not a lost write.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, JSONField, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from alignment.audit import audit_by
from alignment.errors import StaleVersion
from alignment.models import Membership, Role, Team, Workspace
from alignment.tenancy import require_role
from dashboards import widgets as registry
from dashboards.models import DashboardLayout
from dashboards.widgets import Widget, refused

PERSONAL, TEAM_DEFAULT, WORKSPACE_DEFAULT, BUILT_IN = (
    "personal",
    "team_default",
    "workspace_default",
    "built_in",
)
ACTIONS = ("up", "down", "remove", "add")


@dataclass
class Layout:
    """What a person sees on one dashboard, and what they could add."""

    dashboard: str
    team: Team | None
    keys: list[str]
    source: str  # PERSONAL, TEAM_DEFAULT, WORKSPACE_DEFAULT or BUILT_IN
    version: int  # of the person's own row; 0 when they have none
    default_keys: list[str]
    default_version: int  # of the saved default; 0 when there is none

    @property
    def widgets(self) -> list[Widget]:
        return registry.widgets_of(self.dashboard, self.keys)

    @property
    def available(self) -> list[Widget]:
        return registry.missing(self.dashboard, self.keys)

    @property
    def is_personal(self) -> bool:
        return self.source == PERSONAL

    @property
    def default_source(self) -> str:
        if self.default_version:
            return TEAM_DEFAULT if self.team is not None else WORKSPACE_DEFAULT
        return BUILT_IN


def _rows(workspace: Workspace, dashboard: str, team: Team | None) -> Q:
    scope = Q(team=team) if team is not None else Q(team__isnull=True)
    return scope & Q(workspace=workspace, dashboard=dashboard)


def _check_dashboard(dashboard: str, team: Team | None) -> None:
    if dashboard not in registry.REGISTRY:
        raise refused({"dashboard": f"No dashboard {dashboard!r}: use leader or team."})
    if (dashboard == registry.TEAM) != (team is not None):
        raise refused({"team": "A team dashboard's layout needs its team (and only it)."})


def layout_for(*, workspace: Workspace, user_id: int, dashboard: str, team: Team | None) -> Layout:
    """The layout a person sees, with the default it falls back to: one query."""
    _check_dashboard(dashboard, team)
    mine = default = None
    for row in DashboardLayout.objects.filter(_rows(workspace, dashboard, team)).filter(
        Q(user_id=user_id) | Q(user__isnull=True)
    ):
        if row.user_id is None:
            default = row
        else:
            mine = row
    return _layout(
        dashboard,
        team,
        mine=None if mine is None else (mine.widgets, mine.version),
        default=None if default is None else (default.widgets, default.version),
    )


def with_team_layouts(teams: QuerySet[Team], *, user_id: int) -> QuerySet[Team]:
    """`teams` with their team dashboard's layout rows for `user_id` (theirs and the team's
    default) read in the same query, for `team_layout_of`: a team page then needs no query
    of its own for its layout."""
    rows = DashboardLayout.objects.filter(
        workspace=OuterRef("workspace_id"), team=OuterRef("pk"), dashboard=registry.TEAM
    )
    mine, default = rows.filter(user_id=user_id), rows.filter(user__isnull=True)
    return teams.annotate(
        layout_mine_widgets=Subquery(mine.values("widgets")[:1], output_field=JSONField()),
        layout_mine_version=Subquery(mine.values("version")[:1]),
        layout_default_widgets=Subquery(default.values("widgets")[:1], output_field=JSONField()),
        layout_default_version=Subquery(default.values("version")[:1]),
    )


def team_layout_of(team: Team) -> Layout:
    """What `layout_for` answers for a team read through `with_team_layouts`."""
    values: Any = team

    def row(prefix: str) -> tuple[Any, int] | None:
        version = getattr(values, f"{prefix}_version")
        return None if version is None else (getattr(values, f"{prefix}_widgets"), version)

    return _layout(registry.TEAM, team, mine=row("layout_mine"), default=row("layout_default"))


def _layout(
    dashboard: str,
    team: Team | None,
    *,
    mine: tuple[Any, int] | None,
    default: tuple[Any, int] | None,
) -> Layout:
    """The layout from the person's row and the default's, each (widgets, version) or None."""
    default_keys = registry.widgets_of(
        dashboard, default[0] if default is not None else registry.DEFAULTS[dashboard]
    )
    fallback = Layout(
        dashboard=dashboard,
        team=team,
        keys=[w.key for w in default_keys],
        source=BUILT_IN,
        version=0,
        default_keys=[w.key for w in default_keys],
        default_version=default[1] if default is not None else 0,
    )
    fallback.source = fallback.default_source
    if mine is None:
        return fallback
    fallback.keys = [w.key for w in registry.widgets_of(dashboard, mine[0])]
    fallback.source = PERSONAL
    fallback.version = mine[1]
    return fallback


def _write(
    *,
    actor: Membership,
    dashboard: str,
    team: Team | None,
    user_id: int | None,
    keys: list[str],
    expected_version: int | None,
) -> DashboardLayout:
    """Create or update one layout row; `expected_version` (0 = "must not exist") guards it."""
    rows = DashboardLayout.objects.filter(_rows(actor.workspace, dashboard, team)).filter(
        Q(user_id=user_id) if user_id is not None else Q(user__isnull=True)
    )
    label = f"The {dashboard} dashboard layout"
    current = rows.select_for_update().first()
    if current is None:
        if expected_version not in (None, 0):
            raise StaleVersion(object=label, current=0)
        try:
            with transaction.atomic():
                return DashboardLayout.objects.create(
                    workspace=actor.workspace,
                    dashboard=dashboard,
                    team=team,
                    user_id=user_id,
                    widgets=keys,
                    updated_by=actor.user,
                )
        except IntegrityError as exc:  # someone created it between our read and write
            if expected_version == 0:  # the caller insisted it must not exist yet
                raise StaleVersion(object=label, current=1) from exc
            # No version asked for (two tabs' first arrange step at once): update theirs.
            current = rows.select_for_update().first()
            if current is None:
                raise StaleVersion(object=label, current=0) from exc
    guard = rows.filter(pk=current.pk)
    if expected_version is not None:
        guard = guard.filter(version=expected_version)
    updated = guard.update(
        widgets=keys,
        version=F("version") + 1,
        updated_by=actor.user,
        updated_at=timezone.now(),
    )
    if not updated:
        raise StaleVersion(object=label, current=current.version)
    current.refresh_from_db()
    return current


@transaction.atomic
def layout_save(
    *,
    actor: Membership,
    dashboard: str,
    team: Team | None,
    widgets: object,
    expected_version: int | None = None,
) -> DashboardLayout:
    """Save a person's own layout of a dashboard (any role: it changes nothing but their view)."""
    _check_dashboard(dashboard, team)
    keys = registry.validate(dashboard, widgets)
    return _write(
        actor=actor,
        dashboard=dashboard,
        team=team,
        user_id=actor.user_id,
        keys=keys,
        expected_version=expected_version,
    )


@transaction.atomic
def layout_change(
    *, actor: Membership, dashboard: str, team: Team | None, action: str, widget: str
) -> Layout:
    """One arrange step on a person's layout: move a widget up or down, remove or add it.

    Steps are relative to what is stored now, so two tabs arranging at once both land."""
    if action not in ACTIONS:
        raise refused({"action": f"Unknown action {action!r}; use one of {', '.join(ACTIONS)}."})
    layout = layout_for(
        workspace=actor.workspace, user_id=actor.user_id, dashboard=dashboard, team=team
    )
    known = registry.registry(dashboard)
    if widget not in known:
        raise refused({"widget": f"Unknown widget {widget!r}; choose from: {', '.join(known)}."})
    keys = list(layout.keys)
    if action == "add":
        if widget in keys:
            raise refused({"widget": f"{known[widget].title} is already on the dashboard."})
        keys.append(widget)
    elif widget not in keys:
        raise refused({"widget": f"{known[widget].title} is not on the dashboard."})
    elif action == "remove":
        keys.remove(widget)
    else:
        keys = registry.move(keys, widget, -1 if action == "up" else 1)
    _write(
        actor=actor,
        dashboard=dashboard,
        team=team,
        user_id=actor.user_id,
        keys=keys,
        expected_version=None,
    )
    layout.keys, layout.source = keys, PERSONAL
    return layout


@transaction.atomic
def layout_reset(*, actor: Membership, dashboard: str, team: Team | None) -> None:
    """Drop a person's own layout: they see the default again."""
    _check_dashboard(dashboard, team)
    DashboardLayout.objects.filter(_rows(actor.workspace, dashboard, team)).filter(
        user_id=actor.user_id
    ).delete()


@transaction.atomic
def layout_default_save(
    *,
    actor: Membership,
    dashboard: str,
    team: Team | None,
    widgets: object,
    expected_version: int | None = None,
) -> DashboardLayout:
    """Save the default layout people start from (admins): a team's, or the leader one."""
    require_role(actor, Role.ADMIN)
    _check_dashboard(dashboard, team)
    keys = registry.validate(dashboard, widgets)
    row = _write(
        actor=actor,
        dashboard=dashboard,
        team=team,
        user_id=None,
        keys=keys,
        expected_version=expected_version,
    )
    audit_by(actor, verb="dashboard_layout.default_saved", obj=row, after={"widgets": keys})
    return row


@transaction.atomic
def layout_default_reset(*, actor: Membership, dashboard: str, team: Team | None) -> None:
    """Forget the saved default (admins): people without a layout see the built-in one."""
    require_role(actor, Role.ADMIN)
    _check_dashboard(dashboard, team)
    row = (
        DashboardLayout.objects.filter(_rows(actor.workspace, dashboard, team))
        .filter(user__isnull=True)
        .first()
    )
    if row is not None:
        audit_by(
            actor, verb="dashboard_layout.default_reset", obj=row, before={"widgets": row.widgets}
        )
        row.delete()
