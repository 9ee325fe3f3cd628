"""Dashboard pages: thin views over `dashboards.selectors`, which read materialized rows only."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from typing import Any

from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from alignment.errors import FieldErrors, NotFound
from alignment.http import WorkspaceRequest
from alignment.models import Role, Team, Workspace
from alignment.tenancy import workspace_view
from dashboards import selectors, services
from dashboards.charts import Chart
from dashboards.forms import DeploymentForm, IncidentForm
from dashboards.models import Deployment, Incident

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    """A CSV cell; text a spreadsheet would run as a formula is quoted with a leading '."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_START) else text


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


@require_GET
@workspace_view(read=Role.VIEWER, write=Role.MEMBER)
def leader(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    """Company progress against pace, what is at risk and why, and the teams side by side."""
    dashboard = selectors.leader_dashboard(workspace)
    return render(request, "dashboards/leader.html", {"workspace": workspace, "dash": dashboard})


@require_GET
@workspace_view(read=Role.VIEWER, write=Role.MEMBER)
def leader_export(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    """The leader dashboard tables as CSV: ?table=teams (default)|objectives|at_risk|findings."""
    table = _table(request, ["teams", "objectives", "at_risk", "findings"])
    dash = selectors.leader_dashboard(workspace, limit=None)
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


def _get_team(workspace: Workspace, team_id: int) -> Team:
    return get_object_or_404(Team.objects.for_workspace(workspace), pk=team_id)


@require_GET
@workspace_view(read=Role.VIEWER, write=Role.MEMBER)
def team(request: WorkspaceRequest, workspace: Workspace, team_id: int) -> HttpResponse:
    """A team's sprint: burndown, burnup, velocity, throughput, alignment and at-risk work."""
    dashboard = selectors.team_dashboard(workspace, _get_team(workspace, team_id))
    return render(request, "dashboards/team.html", {"workspace": workspace, "dash": dashboard})


@require_GET
@workspace_view(read=Role.VIEWER, write=Role.MEMBER)
def team_export(request: WorkspaceRequest, workspace: Workspace, team_id: int) -> HttpResponse:
    """A table of the team dashboard as CSV: ?table=sprints (default)|burn|throughput|findings."""
    table = _table(request, ["sprints", "burn", "throughput", "findings"])
    dash = selectors.team_dashboard(workspace, _get_team(workspace, team_id))
    name = f"{workspace.slug}-{dash.team.key.lower()}-{table}.csv"
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
    chart: Chart = dash.burnup if table == "burn" else dash.throughput
    return csv_response(name, chart.columns, chart.rows)


DELIVERY_SHOWN = 20


@require_http_methods(["GET", "POST"])
@workspace_view(read=Role.VIEWER, write=Role.MEMBER)
def team_delivery(request: WorkspaceRequest, workspace: Workspace, team_id: int) -> HttpResponse:
    """Record a team's deployments and incidents (the DORA inputs) and list the latest."""
    team = _get_team(workspace, team_id)
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
                for field, messages in exc.fields.items():
                    for message in messages:
                        form.add_error(field if field in form.fields else None, message)
            else:
                url = reverse(
                    "dashboards:delivery", kwargs={"slug": workspace.slug, "team_id": team.pk}
                )
                return HttpResponseRedirect(url, status=303)
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
