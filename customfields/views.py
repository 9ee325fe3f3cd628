"""Custom-field pages: the settings page (admins define, edit, reorder, archive fields and
their options) and the small htmx form that sets a task's values (members)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from alignment.errors import DomainError, StaleVersion
from alignment.http import (
    WorkspaceRequest,
    add_domain_error,
    is_partial,
    see_other,
    settings_context,
)
from alignment.models import Membership, Role, Workspace
from alignment.parsing import parse_id
from alignment.tenancy import workspace_view
from customfields import selectors, services
from customfields.forms import FieldEditForm, FieldForm, OptionForm, ValuesForm
from customfields.models import CustomField, CustomFieldOption
from tasks.models import Task
from tasks.selectors import get_task

STALE = (
    "{key} was changed by someone else since you opened it. Nothing was saved: reload to see "
    "their changes, then set the values again."
)


def _settings_url(workspace: Workspace) -> str:
    return reverse("customfields:settings", kwargs={"slug": workspace.slug})


def _settings_page(
    request: WorkspaceRequest,
    workspace: Workspace,
    *,
    new_form: FieldForm | None = None,
    bound: dict[int, forms.Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    bound = bound or {}
    fields = selectors.fields_for_workspace(request.membership, include_archived=True)
    rows = [
        (
            field,
            bound.get(field.pk)
            or FieldEditForm(
                prefix=f"f{field.pk}",
                initial={
                    "name": field.name,
                    "description": field.description,
                    "show_on_cards": field.show_on_cards,
                    "version": field.version,
                },
            ),
        )
        for field in fields
    ]
    context = settings_context(
        request,
        "custom_fields",
        rows=rows,
        new_form=new_form or FieldForm(prefix="new", viewer=request.membership),
        option_form=OptionForm(),
    )
    return render(request, "customfields/settings.html", context, status=status)


@require_http_methods(["GET", "POST"])
@workspace_view(read=Role.ADMIN, write=Role.ADMIN)
def field_settings(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    """The workspace's custom fields in order (admins only: the form is never shown to
    others); POST defines a new one."""
    if request.method == "GET":
        return _settings_page(request, workspace)
    form = FieldForm(request.POST, prefix="new", viewer=request.membership)
    if form.is_valid():
        data = form.cleaned_data
        try:
            field = services.custom_field_create(
                actor=request.membership,
                name=data["name"],
                kind=data["kind"],
                team=data["team"],
                description=data["description"],
                show_on_cards=data["show_on_cards"],
                options=form.option_labels(),
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"“{field.name}” added.")
            return see_other(_settings_url(workspace))
    return _settings_page(request, workspace, new_form=form, status=422)


def _field(request: WorkspaceRequest, workspace: Workspace, pk: int) -> CustomField:
    return get_object_or_404(CustomField.objects.visible_to(request.membership), pk=pk)


@require_POST
@workspace_view(read=Role.ADMIN, write=Role.ADMIN)
def field_edit(
    request: WorkspaceRequest, workspace: Workspace, custom_field_id: int
) -> HttpResponse:
    """Save a field's name, description and card flag; or `move=up|down`; or
    `archive=1|0` (archived fields keep their values, hidden everywhere)."""
    field = _field(request, workspace, custom_field_id)
    move = request.POST.get("move")
    if move in ("up", "down"):
        services.custom_field_move(
            actor=request.membership, field=field, step=-1 if move == "up" else 1
        )
        return see_other(_settings_url(workspace))
    archive = request.POST.get("archive")
    if archive in ("0", "1"):
        services.custom_field_update(
            actor=request.membership, field=field, is_archived=archive == "1"
        )
        verb = "archived" if archive == "1" else "restored"
        messages.success(request, f"“{field.name}” {verb}.")
        return see_other(_settings_url(workspace))
    form = FieldEditForm(request.POST, prefix=f"f{field.pk}")
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.custom_field_update(
                actor=request.membership,
                field=field,
                expected_version=data["version"],
                name=data["name"],
                description=data["description"],
                show_on_cards=data["show_on_cards"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"“{field.name}” saved.")
            return see_other(_settings_url(workspace))
    return _settings_page(request, workspace, bound={field.pk: form}, status=422)


@require_POST
@workspace_view(read=Role.ADMIN, write=Role.ADMIN)
def option_add(
    request: WorkspaceRequest, workspace: Workspace, custom_field_id: int
) -> HttpResponse:
    field = _field(request, workspace, custom_field_id)
    form = OptionForm(request.POST)
    if form.is_valid():
        services.custom_field_option_add(
            actor=request.membership, field=field, label=form.cleaned_data["label"]
        )
        return see_other(_settings_url(workspace))
    messages.error(request, "Give the option a label.")
    return see_other(_settings_url(workspace))


@require_POST
@workspace_view(read=Role.ADMIN, write=Role.ADMIN)
def option_edit(
    request: WorkspaceRequest, workspace: Workspace, custom_field_option_id: int
) -> HttpResponse:
    """Rename an option (`label`) or archive/restore it (`archive=1|0`)."""
    option = get_object_or_404(
        CustomFieldOption.objects.visible_to(request.membership), pk=custom_field_option_id
    )
    archive = request.POST.get("archive")
    if archive in ("0", "1"):
        services.custom_field_option_update(
            actor=request.membership, option=option, is_archived=archive == "1"
        )
    else:
        services.custom_field_option_update(
            actor=request.membership, option=option, label=request.POST.get("label", "")
        )
    return see_other(_settings_url(workspace))


# --- Values on a task ----------------------------------------------------------------------


def _people(membership: Membership) -> list[tuple[int, str]]:
    members = (
        Membership.objects.for_workspace(membership.workspace_id)
        .select_related("user")
        .order_by("user__full_name", "user__email")
    )
    return [(m.user_id, m.user.display_name) for m in members]


def values_context(
    request: WorkspaceRequest,
    task: Task,
    *,
    form: ValuesForm | None = None,
    editing: bool = False,
    swapped: bool = False,
) -> dict[str, Any]:
    """The custom-fields section of a task page: values as read, or the form to set them.

    `swapped`: the section alone replaces itself (htmx, from its own links and form), so it
    takes the focus (the form's first field, or the Edit link after a save or cancel) and
    keyboard users keep their place; inside a page or a side panel it leaves the focus be."""
    fields = services.fields_of_task(task)
    shown = selectors.shown_values([task.pk], fields).get(task.pk, [])
    can_write = request.membership.has_role(Role.MEMBER)
    if editing and can_write and form is None:
        form = ValuesForm(
            fields=fields,
            initial={"version": task.version},
            initial_values={s.field.pk: s.value for s in shown},
            people=_people(request.membership),
        )
    if swapped and form is not None:
        form.focus_first()
    return {
        "workspace": request.workspace,
        "task": task,
        "custom_values": shown,
        "focus_edit": swapped and form is None,
        "can_edit_custom_fields": can_write,
        "values_form": form if can_write else None,
        "values_url": reverse(
            "customfields:task_values", kwargs={"slug": request.workspace.slug, "key": task.key}
        ),
    }


@require_http_methods(["GET", "POST"])
@workspace_view(read=Role.VIEWER, write=Role.MEMBER, guests=True)
def task_values(request: WorkspaceRequest, workspace: Workspace, key: str) -> HttpResponse:
    """GET: the section (`?edit=1`: its form, members only). POST: set the values with the
    task's version; a bad value or a stale version answers the form with the message."""
    task = get_task(request, key)
    # Without htmx (no JavaScript, a deep link) the section comes inside a page of its own.
    template = (
        "customfields/_task_values.html"
        if is_partial(request)
        else "customfields/task_values_page.html"
    )
    if request.method == "GET":
        context = values_context(
            request, task, editing=request.GET.get("edit") == "1", swapped=is_partial(request)
        )
        return render(request, template, context)
    fields = services.fields_of_task(task)
    form = ValuesForm(request.POST, fields=fields, people=_people(request.membership))
    status = 422
    if form.is_valid():
        try:
            services.custom_values_set(
                actor=request.membership,
                task=task,
                values=form.raw_values(),
                expected_version=parse_id(request.POST.get("version")),
            )
        except StaleVersion as exc:
            form.add_error(None, STALE.format(key=task.key))
            status = exc.status
        except DomainError as exc:
            # The message names the field; it also shows next to that field's input.
            form.add_error(None, exc.text)
            for name, problems in exc.fields.items():
                field = services.resolve_field(fields, name.removeprefix("custom_fields."))
                if field is not None:
                    for problem in problems:
                        form.add_error(f"cf_{field.pk}", problem)
            status = exc.status
        else:
            if not is_partial(request):
                return see_other(
                    reverse("tasks:task", kwargs={"slug": workspace.slug, "key": task.key})
                )
            task.refresh_from_db(fields=["version"])
            return render(request, template, values_context(request, task, swapped=True))
    context = values_context(request, task, form=form, swapped=is_partial(request))
    return render(request, template, context, status=status)
