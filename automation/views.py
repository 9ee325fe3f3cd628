"""Automation pages under /w/<slug>/settings/automation/: everyone reads the rules and their
history; only admins get the forms (checked before a form is rendered) and the buttons."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from alignment.errors import FieldErrors
from alignment.guards import require_admin
from alignment.http import WorkspaceRequest, add_field_errors, see_other, settings_context
from alignment.models import Role, Workspace
from alignment.tenancy import workspace_view
from automation import catalog, pickers, replay, services
from automation.forms import RuleForm
from automation.models import Rule, RuleRun, RunStatus


def _list_url(workspace: Workspace) -> str:
    return reverse("automation:rules", kwargs={"slug": workspace.slug})


def _rule_url(workspace: Workspace, rule: Rule) -> str:
    return reverse("automation:rule", kwargs={"slug": workspace.slug, "rule_id": rule.pk})


def _rule(request: WorkspaceRequest, rule_id: int) -> Rule:
    rules = Rule.objects.visible_to(request.membership).select_related("team")
    return get_object_or_404(rules, pk=rule_id)


def _page(
    request: WorkspaceRequest, template: str, status: int = 200, **extra: object
) -> HttpResponse:
    context = settings_context(request, "automation", row_url=request.path, **extra)
    return render(request, template, context, status=status)


def _row_partial(request: WorkspaceRequest) -> HttpResponse | None:
    """One builder row, redrawn for its new kind or field, or a new blank one (htmx GET on
    the page's own address with `row`): admins only, like the form it belongs to."""
    what = request.GET.get("row")
    if not request.htmx or what not in pickers.PREFIX:
        return None
    require_admin(request.membership)
    try:
        index = max(0, min(999_999, int(request.GET.get("index") or 0)))
        number = max(1, min(999, int(request.GET.get("number") or 1)))
    except ValueError:
        index, number = 0, 1
    prefix = pickers.PREFIX[what]
    posted = {k: v for k, v in request.GET.items() if k.startswith(f"{prefix}-{index}-")}
    found = pickers.rows_from(posted, what)
    row = found[0] if found else pickers.Row(what, index)
    if row.kind == "field" and "field" not in row.values:
        row.values["field"] = "state"
    drawn = pickers.drawn([row], pickers.Pickers.for_viewer(request.membership))
    return render(
        request,
        "automation/_rule_row.html",
        {"row": drawn[0][0], "controls": drawn[0][1], "number": number, "row_url": request.path},
    )


@require_http_methods(["GET", "POST"])
@workspace_view(read=Role.VIEWER, write=Role.ADMIN)
def rules(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    """The rules (read-only for non-admins); POST creates one, from the form or a template."""
    if (partial := _row_partial(request)) is not None:
        return partial
    admin = request.membership.has_role(Role.ADMIN)
    form = RuleForm(viewer=request.membership) if admin else None
    status = 200
    if request.method == "POST" and "add" in request.POST:
        form = RuleForm(request.POST, viewer=request.membership)
        form.is_valid()  # shows the fields' own errors; the rule is not saved
    elif request.method == "POST":
        try:
            if request.POST.get("template"):
                rule = services.rule_from_template(
                    actor=request.membership, template=request.POST["template"]
                )
            else:
                form = RuleForm(request.POST, viewer=request.membership)
                if not form.is_valid():
                    raise FieldErrors({})
                rule = services.rule_create(actor=request.membership, **form.service_data())
        except FieldErrors as exc:
            if form is not None and exc.fields:
                add_field_errors(form, exc)
            elif exc.fields:
                messages.error(request, " ".join(m for ms in exc.fields.values() for m in ms))
        else:
            messages.success(
                request, f"“{rule.name}” created, disabled: dry-run it, then enable it."
            )
            return see_other(_rule_url(workspace, rule))
        status = 422
    listed = Rule.objects.visible_to(request.membership).select_related("team")
    return _page(
        request,
        "automation/rules.html",
        status=status,
        rules=listed,
        form=form,
        templates=catalog.TEMPLATES,
        catalog=catalog,
    )


@require_http_methods(["GET", "POST"])
@workspace_view(read=Role.VIEWER, write=Role.ADMIN)
def rule_detail(request: WorkspaceRequest, workspace: Workspace, rule_id: int) -> HttpResponse:
    """One rule, its run history and errors; admins edit it here (POST saves the form)."""
    rule = _rule(request, rule_id)
    if (partial := _row_partial(request)) is not None:
        return partial
    admin = request.membership.has_role(Role.ADMIN)
    form = RuleForm.for_rule(rule, request.membership) if admin else None
    status = 200
    if request.method == "POST" and "add" in request.POST:
        form = RuleForm(request.POST, viewer=request.membership)
        form.is_valid()
    elif request.method == "POST":
        form = RuleForm(request.POST, viewer=request.membership)
        try:
            if not form.is_valid():
                raise FieldErrors({})
            services.rule_update(actor=request.membership, rule=rule, **form.service_data())
        except FieldErrors as exc:
            add_field_errors(form, exc)
            status = 422
        else:
            messages.success(request, "Rule saved.")
            return see_other(_rule_url(workspace, rule))
    runs = (
        RuleRun.objects.for_workspace(workspace)
        .filter(rule=rule)
        .exclude(status=RunStatus.NOT_MATCHED)[:50]
    )
    dry = runs[0] if runs and runs[0].status == "dry_run" else None
    return _page(
        request,
        "automation/rule.html",
        status=status,
        rule=rule,
        form=form,
        runs=runs,
        dry=dry,
        conditions=[catalog.describe(c) for c in rule.conditions],
        actions=[catalog.describe(a) for a in rule.actions],
        catalog=catalog,
    )


@require_POST
@workspace_view(read=Role.ADMIN, write=Role.ADMIN)
def rule_dry_run(request: WorkspaceRequest, workspace: Workspace, rule_id: int) -> HttpResponse:
    rule = _rule(request, rule_id)
    try:
        days = max(1, min(90, int(request.POST.get("days") or 14)))
    except ValueError:
        days = 14
    _, hits = replay.dry_run(actor=request.membership, rule=rule, days=days)
    messages.info(request, f"Dry run over {days} days: it would have acted on {len(hits)} events.")
    return see_other(_rule_url(workspace, rule))


@require_POST
@workspace_view(read=Role.ADMIN, write=Role.ADMIN)
def rule_toggle(request: WorkspaceRequest, workspace: Workspace, rule_id: int) -> HttpResponse:
    rule = _rule(request, rule_id)
    enabled = request.POST.get("enabled") == "1"
    services.rule_set_enabled(actor=request.membership, rule=rule, enabled=enabled)
    messages.success(request, f"“{rule.name}” {'enabled' if enabled else 'disabled'}.")
    return see_other(_rule_url(workspace, rule))


@require_POST
@workspace_view(read=Role.ADMIN, write=Role.ADMIN)
def rule_delete(request: WorkspaceRequest, workspace: Workspace, rule_id: int) -> HttpResponse:
    rule = _rule(request, rule_id)
    services.rule_delete(actor=request.membership, rule=rule)
    messages.success(request, "Rule deleted.")
    return see_other(_list_url(workspace))
