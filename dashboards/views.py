"""Dashboard pages: thin views over `dashboards.selectors`, which read materialized rows only."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from typing import Any

from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from alignment import timezones
from alignment.csvsafe import safe_cell as _cell
from alignment.errors import FieldErrors, NotFound
from alignment.http import WorkspaceRequest, add_field_errors, see_other
from alignment.models import Membership, Role, Team, Workspace
from alignment.tenancy import workspace_view
from dashboards import layouts, period_picker, selectors, services
from dashboards import widgets as registry
from dashboards.forms import DeploymentForm, IncidentForm
from dashboards.models import Deployment, Incident
from dashboards.team_head import TeamHead, team_page_head


def csv_response(
    filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return response


def _table(request: WorkspaceRequest, tables: Sequence[str]) -> str:
    table = request.GET.get("table") or tables[0]
    if table not in tables:
        raise NotFound(f"No table {table!r} here; ask for one of: {', '.join(tables)}.")
    return table


def _layout(request: WorkspaceRequest, dashboard: str, team: Team | None) -> layouts.Layout:
    return layouts.layout_for(
        workspace=request.workspace, user_id=request.user.pk, dashboard=dashboard, team=team
    )


def _page(
    request: WorkspaceRequest,
    workspace: Workspace,
    layout: layouts.Layout,
    *,
    arrange: bool,
    focus: str = "",
    announce: str = "",
    head: TeamHead | None = None,
) -> HttpResponse:
    """The dashboard (or, for an htmx arrange step, its widget region) with only the data of
    the widgets shown loaded; `head`: what the team page read with its team."""
    parts = registry.parts_of(layout.widgets)
    today = timezones.today(workspace)
    # The period in the URL (?period=<id>), else the current one; 404 for another workspace's.
    choice = period_picker.period_choice(
        workspace, request.GET, today, periods=head.periods if head else None
    )
    team_objectives: list[period_picker.TeamObjective] = []
    if layout.team is None:
        dash: Any = selectors.leader_dashboard(
            workspace, parts=parts, today=today, period=choice.period, viewer=request.membership
        )
        urls = {
            "layout_url": reverse("dashboards:leader_layout", args=[workspace.slug]),
            "default_url": reverse("dashboards:leader_layout_default", args=[workspace.slug]),
            "page_url": reverse("dashboards:leader", args=[workspace.slug]),
        }
        page = "dashboards/leader.html"
    else:
        dash = selectors.team_dashboard(
            workspace,
            layout.team,
            parts=parts,
            today=today,
            viewer=request.membership,
            clock=head.clock if head else None,
            stored_metrics=head.metrics if head else None,
            rows_current=head.rows_current if head else False,
        )
        if "objectives" in parts:
            team_objectives = period_picker.team_objectives(workspace, layout.team, choice.period)
        args = [workspace.slug, layout.team.pk]
        urls = {
            "layout_url": reverse("dashboards:team_layout", args=args),
            "default_url": reverse("dashboards:team_layout_default", args=args),
            "page_url": reverse("dashboards:team", args=args),
        }
        page = "dashboards/team.html"
    context = {
        "workspace": workspace,
        "dash": dash,
        "layout": layout,
        "arrange": arrange,
        "can_save_default": request.membership.has_role(Role.ADMIN),
        "can_admin": request.membership.has_role(Role.ADMIN),
        "can_write": request.membership.has_role(Role.MEMBER),
        # Called by the template only when an empty state names who to ask: no query otherwise.
        "admins": lambda: list(
            Membership.objects.for_workspace(workspace)
            .filter(role__in=[Role.OWNER, Role.ADMIN], user__is_active=True)
            .select_related("user")
            .order_by("user__full_name", "user__email")[:3]
        ),
        "choice": choice,
        "period_options": choice.options(today),
        "team_objectives": team_objectives,
        "focus": focus,
        "announce": announce,
        **urls,
    }
    template = "dashboards/_widgets.html" if request.method == "POST" else page
    return render(request, template, context)


@require_GET
@workspace_view(read=Role.VIEWER, write=Role.MEMBER)
def leader(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    """Company progress against pace, what is at risk and why, and the teams side by side."""
    layout = _layout(request, registry.LEADER, None)
    return _page(request, workspace, layout, arrange=request.GET.get("arrange") == "1")


def _arranged(
    request: WorkspaceRequest, workspace: Workspace, team: Team | None, *, default: bool
) -> HttpResponse:
    """Apply one arrange step (or a reset / a default save), then show the result."""
    dashboard = registry.LEADER if team is None else registry.TEAM
    action = request.POST.get("action", "")
    widget = request.POST.get("widget", "")
    focus = announce = ""
    if default:
        layout = _layout(request, dashboard, team)
        if action == "save":
            layouts.layout_default_save(
                actor=request.membership, dashboard=dashboard, team=team, widgets=layout.keys
            )
            announce = "Saved as the default layout."
        elif action == "clear":
            layouts.layout_default_reset(actor=request.membership, dashboard=dashboard, team=team)
            announce = "The default layout is the built-in one again."
        else:
            raise registry.refused({"action": "Say what to do with the default: save or clear."})
        focus = "arrange-default"
    elif action == "reset":
        layouts.layout_reset(actor=request.membership, dashboard=dashboard, team=team)
        announce, focus = "Back to the default layout.", "arrange-done"
    else:
        layout = layouts.layout_change(
            actor=request.membership, dashboard=dashboard, team=team, action=action, widget=widget
        )
        title = registry.registry(dashboard)[widget].title
        if action == "remove":
            announce, focus = f"{title} removed.", "add-widget"
        elif action == "add":
            announce, focus = f"{title} added at the end.", f"widget-{widget}-up"
        else:
            place = layout.keys.index(widget) + 1
            announce = f"{title} moved {action}: now {place} of {len(layout.keys)}."
            focus = f"widget-{widget}-{action}"
    layout = _layout(request, dashboard, team)
    if not request.htmx:
        url = reverse(
            "dashboards:leader" if team is None else "dashboards:team",
            kwargs={"slug": workspace.slug, **({"team_id": team.pk} if team is not None else {})},
        )
        return see_other(f"{url}?arrange=1")
    return _page(request, workspace, layout, arrange=True, focus=focus, announce=announce)


@require_POST
@workspace_view(read=Role.VIEWER, write=Role.VIEWER)
def leader_layout(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    """Arrange one's own leader dashboard: action=up|down|remove|add with widget=<key>, or reset."""
    return _arranged(request, workspace, None, default=False)


@require_POST
@workspace_view(read=Role.VIEWER, write=Role.ADMIN)
def leader_layout_default(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    """Admins: action=save makes one's current leader layout everyone's default; clear drops it."""
    return _arranged(request, workspace, None, default=True)


@require_GET
@workspace_view(read=Role.VIEWER, write=Role.MEMBER)
def leader_export(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    """The leader dashboard tables as CSV: ?table=teams (default)|objectives|at_risk|findings,
    of the period in ?period=<id> (default: the current one)."""
    table = _table(request, ["teams", "objectives", "at_risk", "findings"])
    part = {"objectives": "progress", "at_risk": "at_risk", "findings": "findings"}
    today = timezones.today(workspace)
    choice = period_picker.period_choice(workspace, request.GET, today)
    dash = selectors.leader_dashboard(
        workspace,
        parts={part.get(table, table)},
        limit=None,
        today=today,
        period=choice.period,
        viewer=request.membership,
    )
    slug = workspace.slug
    if table in ("objectives", "at_risk"):
        views = dash.objectives if table == "objectives" else dash.at_risk
        return csv_response(
            f"{slug}-{table}.csv",
            ["kind", "id", "title", "status", "progress_percent", "expected_percent", "reasons"],
            (
                [
                    v.link.kind,
                    v.link.id,
                    v.link.label,
                    v.status,
                    v.percent,
                    v.expected_percent,
                    " ".join(v.sentences),
                ]
                for v in views
            ),
        )
    if table == "findings":
        return csv_response(
            f"{slug}-findings.csv",
            ["code", "severity", "subject_kind", "subject_id", "sentence", "evidence"],
            (
                [
                    f.finding.code,
                    f.finding.severity,
                    f.finding.subject_kind,
                    f.finding.subject_id,
                    f.sentence,
                    "; ".join(f"{e.kind}:{e.id}" for e in f.evidence),
                ]
                for f in dash.findings
            ),
        )
    return csv_response(f"{slug}-teams.csv", *_team_table(dash.teams))


def _team_table(rows: Sequence[selectors.TeamRow]) -> tuple[list[str], list[list[Any]]]:
    header = [
        "team",
        "key",
        "sprint_progress_percent",
        "alignment_percent",
        "velocity_average",
        "cycle_time_p50_days",
    ]
    header += [
        f"dora_{label.lower().replace(' ', '_')}_tier" for _, label in selectors.DORA_METRICS
    ]
    body = [
        [
            r.team.name,
            r.team.key,
            r.rollup.percent if r.rollup else "",
            r.alignment_percent,
            r.velocity,
            r.cycle_time_p50,
            *(tier for _, tier, _ in r.dora),
        ]
        for r in rows
    ]
    return header, body


def _get_team(request: WorkspaceRequest, team_id: int) -> Team:
    """A team the member may see: a private team is 404 to its non-members."""
    return get_object_or_404(Team.objects.visible_to(request.membership), pk=team_id)


@require_GET
@workspace_view(read=Role.VIEWER, write=Role.MEMBER)
def team(request: WorkspaceRequest, workspace: Workspace, team_id: int) -> HttpResponse:
    """A team's sprint: burndown, burnup, flow, velocity, throughput, alignment and risks."""
    head = team_page_head(request.membership, workspace, team_id)
    arrange = request.GET.get("arrange") == "1"
    return _page(request, workspace, head.layout, arrange=arrange, head=head)


@require_POST
@workspace_view(read=Role.VIEWER, write=Role.VIEWER)
def team_layout(request: WorkspaceRequest, workspace: Workspace, team_id: int) -> HttpResponse:
    """Arrange one's own view of a team dashboard (as for the leader dashboard)."""
    return _arranged(request, workspace, _get_team(request, team_id), default=False)


@require_POST
@workspace_view(read=Role.VIEWER, write=Role.ADMIN)
def team_layout_default(
    request: WorkspaceRequest, workspace: Workspace, team_id: int
) -> HttpResponse:
    """Admins: save one's current layout as the team's default (action=save), or clear it."""
    return _arranged(request, workspace, _get_team(request, team_id), default=True)


TEAM_TABLES = {
    "sprints": "metrics",
    "burn": "metrics",
    "throughput": "metrics",
    "flow": "history",
    "findings": "findings",
}


@require_GET
@workspace_view(read=Role.VIEWER, write=Role.MEMBER)
def team_export(request: WorkspaceRequest, workspace: Workspace, team_id: int) -> HttpResponse:
    """A table of the team dashboard as CSV:
    ?table=sprints (default)|burn|throughput|flow|findings."""
    table = _table(request, list(TEAM_TABLES))
    team = _get_team(request, team_id)
    dash = selectors.team_dashboard(
        workspace, team, parts={TEAM_TABLES[table]}, viewer=request.membership
    )
    name = f"{workspace.slug}-{team.key.lower()}-{table}.csv"
    if table == "sprints":
        flows = dash.metrics.get("sprints") or []
        fields = [
            "sprint_id",
            "name",
            "status",
            "start",
            "end",
            "committed_points",
            "completed_points",
            "added_points",
            "carried_points",
        ]
        return csv_response(name, fields, ([f.get(k) for k in fields] for f in flows))
    if table == "findings":
        return csv_response(
            name,
            ["code", "severity", "sentence"],
            ([f.finding.code, f.finding.severity, f.sentence] for f in dash.findings),
        )
    chart = {"burn": dash.burnup, "throughput": dash.throughput, "flow": dash.flow}[table]
    assert chart is not None  # its part was loaded above
    return csv_response(name, chart.columns, chart.rows)


DELIVERY_SHOWN = 20


@require_http_methods(["GET", "POST"])
@workspace_view(read=Role.VIEWER, write=Role.MEMBER)
def team_delivery(request: WorkspaceRequest, workspace: Workspace, team_id: int) -> HttpResponse:
    """Record a team's deployments and incidents (the DORA inputs) and list the latest."""
    team = _get_team(request, team_id)
    deployment_form = DeploymentForm(prefix="deployment")
    incident_form = IncidentForm(prefix="incident", team=team)
    status = 200
    if request.method == "POST":
        kind = request.POST.get("kind")
        if kind == "deployment":
            deployment_form = DeploymentForm(request.POST, prefix="deployment")
            form: DeploymentForm | IncidentForm = deployment_form
        elif kind == "incident":
            incident_form = IncidentForm(request.POST, prefix="incident", team=team)
            form = incident_form
        else:
            raise FieldErrors({"kind": "Say what to record: a deployment or an incident."})
        if form.is_valid():
            try:
                if kind == "deployment":
                    services.deployment_create(
                        actor=request.membership, team=team, **form.cleaned_data
                    )
                else:
                    services.incident_create(
                        actor=request.membership, team=team, **form.cleaned_data
                    )
            except FieldErrors as exc:
                add_field_errors(form, exc)
            else:
                url = reverse(
                    "dashboards:delivery", kwargs={"slug": workspace.slug, "team_id": team.pk}
                )
                return see_other(url)
        status = 422
    context = {
        "workspace": workspace,
        "team": team,
        "deployment_form": deployment_form,
        "incident_form": incident_form,
        "deployments": Deployment.objects.filter(workspace=workspace, team=team)[:DELIVERY_SHOWN],
        "incidents": Incident.objects.filter(workspace=workspace, team=team).select_related(
            "deployment"
        )[:DELIVERY_SHOWN],
    }
    return render(request, "dashboards/delivery.html", context, status=status)
