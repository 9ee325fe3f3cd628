"""Standards pages under /w/<slug>/standards/: the list with adoption per team, a standard's
form, and compliance. Viewers read everything; admins define, adopt and waive."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from alignment import timezones
from alignment.errors import FieldErrors
from alignment.http import WorkspaceRequest, add_field_errors, see_other_to
from alignment.models import Role, Team, Workspace
from alignment.tenancy import workspace_view
from standards import compliance, services
from standards.checks import REGISTRY
from standards.forms import StandardForm, WaiveForm
from standards.models import Adoption, Standard
from standards.templates_seed import TEMPLATES


def _standard(request: WorkspaceRequest, standard_id: int) -> Standard:
    standard = Standard.objects.visible_to(request.membership).filter(pk=standard_id).first()
    if standard is None:
        raise Http404("No such standard in this workspace.")
    return standard


def _team(request: WorkspaceRequest, team_id: int) -> Team:
    team = Team.objects.visible_to(request.membership).filter(pk=team_id).first()
    if team is None:
        raise Http404("No such team in this workspace.")
    return team


@require_GET
@workspace_view(read=Role.VIEWER)
def standard_list(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    """Every standard with its checks, and which teams follow it (or waived it, and why)."""
    standards = list(
        Standard.objects.visible_to(request.membership).select_related("team").order_by("name")
    )
    teams = list(Team.objects.visible_to(request.membership).order_by("name"))
    adoptions = {
        (a.standard_id, a.team_id): a
        for a in Adoption.objects.visible_to(request.membership).select_related("waived_by")
    }
    rows = [
        {
            "standard": s,
            "checks": [REGISTRY[c["kind"]] for c in s.checks if c.get("kind") in REGISTRY],
            "teams": [
                (t, adoptions.get((s.pk, t.pk)))
                for t in teams
                if s.team_id is None or s.team_id == t.pk
            ],
        }
        for s in standards
    ]
    used = {s.template for s in standards}
    return render(
        request,
        "standards/list.html",
        {
            "workspace": workspace,
            "rows": rows,
            "templates": [(k, t) for k, t in TEMPLATES.items() if k not in used],
            "can_admin": request.membership.has_role(Role.ADMIN),
            "waive_form": WaiveForm(),
        },
    )


@require_POST
@workspace_view(read=Role.ADMIN, write=Role.ADMIN)
def standard_from_template(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    standard = services.standard_create_from_template(
        actor=request.membership, template=request.POST.get("template", "")
    )
    messages.success(request, f"Added {standard.name}. Adopt it for the teams that follow it.")
    return see_other_to("standards:list", workspace)


def _form_page(
    request: WorkspaceRequest, workspace: Workspace, form: StandardForm, standard: Standard | None
) -> HttpResponse:
    status = 422 if form.errors else 200
    context = {"workspace": workspace, "form": form, "standard": standard}
    return render(request, "standards/form.html", context, status=status)


@require_http_methods(["GET", "POST"])
@workspace_view(read=Role.ADMIN, write=Role.ADMIN)
def standard_new(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    form = StandardForm(request.POST or None, workspace_id=workspace.pk)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            standard = services.standard_create(
                actor=request.membership,
                name=data["name"],
                description=data["description"],
                subject=data["subject"],
                gate=data["gate"],
                mode=data["mode"],
                checks=form.checks_data(data["subject"]),
                team=data["team"],
            )
        except FieldErrors as exc:
            add_field_errors(form, exc)
        else:
            messages.success(request, f"Added {standard.name}.")
            return see_other_to("standards:list", workspace)
    return _form_page(request, workspace, form, None)


def _initial(standard: Standard) -> dict[str, Any]:
    params = {c["kind"]: c.get("params") or {} for c in standard.checks}
    return {
        "name": standard.name,
        "description": standard.description,
        "gate": standard.gate,
        "mode": standard.mode,
        "checks": list(params),
        "required": params.get("required_fields", {}).get("fields", []),
        "days": params.get("check_in_cadence", {}).get("days", 14),
    }


@require_http_methods(["GET", "POST"])
@workspace_view(read=Role.ADMIN, write=Role.ADMIN)
def standard_edit(
    request: WorkspaceRequest, workspace: Workspace, standard_id: int
) -> HttpResponse:
    """Change a standard; the mode switch (block or warn) lives here."""
    standard = _standard(request, standard_id)
    form = StandardForm(
        request.POST or None, workspace_id=workspace.pk, editing=True, initial=_initial(standard)
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.standard_update(
                actor=request.membership,
                standard=standard,
                name=data["name"],
                description=data["description"],
                gate=data["gate"],
                mode=data["mode"],
                checks=form.checks_data(standard.subject),
            )
        except FieldErrors as exc:
            add_field_errors(form, exc)
        else:
            messages.success(request, f"Saved {standard.name}.")
            return see_other_to("standards:list", workspace)
    return _form_page(request, workspace, form, standard)


@require_POST
@workspace_view(read=Role.ADMIN, write=Role.ADMIN)
def standard_delete(
    request: WorkspaceRequest, workspace: Workspace, standard_id: int
) -> HttpResponse:
    standard = _standard(request, standard_id)
    services.standard_delete(actor=request.membership, standard=standard)
    messages.success(request, f"Deleted {standard.name}.")
    return see_other_to("standards:list", workspace)


@require_POST
@workspace_view(read=Role.ADMIN, write=Role.ADMIN)
def standard_team(
    request: WorkspaceRequest, workspace: Workspace, standard_id: int, team_id: int
) -> HttpResponse:
    """Adopt, drop, waive (with a reason) or end a waiver, for one team."""
    standard = _standard(request, standard_id)
    team = _team(request, team_id)
    action = request.POST.get("action", "")
    actor = request.membership
    if action == "adopt":
        services.standard_adopt(actor=actor, standard=standard, team=team)
        messages.success(request, f"{team.name} adopted {standard.name}.")
    elif action == "drop":
        services.standard_drop(actor=actor, standard=standard, team=team)
        messages.success(request, f"{team.name} no longer follows {standard.name}.")
    elif action == "waive":
        services.standard_waive(
            actor=actor, standard=standard, team=team, reason=request.POST.get("reason", "")
        )
        messages.success(request, f"{team.name} waived {standard.name}; the reason is recorded.")
    elif action == "unwaive":
        services.standard_unwaive(actor=actor, standard=standard, team=team)
        messages.success(request, f"{team.name} follows {standard.name} again.")
    else:
        raise FieldErrors({"action": "Use adopt, drop, waive or unwaive."})
    return see_other_to("standards:list", workspace)


@require_GET
@workspace_view(read=Role.VIEWER)
def standard_compliance(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    """Per team and standard: the share that met it per week, waivers, what slipped through."""
    viewer = request.membership
    today = timezones.today(workspace)
    return render(
        request,
        "standards/compliance.html",
        {
            "workspace": workspace,
            "rows": compliance.compliance_rows(workspace, today=today, viewer=viewer),
            "waivers": compliance.waivers(workspace, viewer=viewer),
            "slipped": compliance.slipped_through(workspace, viewer=viewer),
        },
    )
