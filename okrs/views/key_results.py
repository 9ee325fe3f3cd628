"""Key result pages: create/edit with the SMART panel, and the check-in (dialog or page)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import reswap, retarget, trigger_client_event

from alignment import timezones
from alignment.errors import FieldErrors, StaleVersion
from alignment.http import WorkspaceRequest, add_field_errors, form_status
from alignment.models import Role, Workspace
from alignment.tenancy import workspace_view
from okrs import preview, services, smart
from okrs.forms import CheckInForm, ConfidenceForm, KeyResultForm, parse_steps
from okrs.models import KeyResult, Objective
from okrs.reason_words import reason_sentence
from okrs.services.key_results import progress_is_measured
from okrs.views._common import (
    get_key_result,
    get_objective,
    is_partial,
    okr_context,
    see_other,
    url,
)
from okrs.views.objectives import explanation_context, smart_context

STALE_MESSAGE = (
    "This key result was changed by someone else since you opened it. Nothing was saved: "
    "reload to see their changes, then make yours again."
)


def key_result_draft(data: Any) -> smart.KeyResultDraft | None:
    if not str(data.get("title") or "").strip():
        return None
    return smart.KeyResultDraft.from_mapping(
        {
            "title": data.get("title"),
            "kind": data.get("kind"),
            "unit": data.get("unit"),
            "baseline": data.get("baseline"),
            "target": data.get("target"),
            "owner": data.get("owner"),
            "milestones": parse_steps(str(data.get("milestones") or "")),
        }
    )


def _form_page(
    request: WorkspaceRequest,
    form: KeyResultForm,
    objective: Objective,
    key_result: KeyResult | None,
    *,
    status: int,
    stale: bool = False,
) -> HttpResponse:
    data = form.data if form.is_bound else form.initial
    draft = key_result_draft(data)
    review = smart.review_key_result(draft) if draft else None
    context = okr_context(
        request,
        form=form,
        objective=objective,
        key_result=key_result,
        stale=stale,
        review_url=url("review_key_result", request.workspace),
        **smart_context(review),
        **preview_context(request.workspace, objective, key_result, data),
    )
    return render(request, "okrs/key_result_form.html", context, status=status)


def review_url_for(workspace: Workspace, objective: Objective, key_result: KeyResult | None) -> str:
    """The live review's address, naming the objective (its period sets the pace) and the KR."""
    query = f"?objective={objective.pk}"
    if key_result is not None:
        query += f"&key_result={key_result.pk}"
    return url("review_key_result", workspace) + query


def preview_context(
    workspace: Workspace, objective: Objective | None, key_result: KeyResult | None, data: Any
) -> dict[str, Any]:
    """The unsaved draft's progress and status, from the same evaluator as the rollups."""
    if objective is None:
        return {"preview": None}
    result = preview.key_result_preview(
        workspace=workspace,
        objective=objective,
        key_result=key_result,
        data=data,
        today=timezones.today(workspace),
    )
    names = {("key_result", key_result.pk if key_result else 0): "this key result"}
    sentences = (
        [reason_sentence(reason, names) for reason in result.status.reasons]
        if result is not None
        else []
    )
    return {"preview": result, "preview_reasons": sentences}


@require_http_methods(["GET", "POST"])
@workspace_view(read=Role.MEMBER, write=Role.MEMBER)
def key_result_new(
    request: WorkspaceRequest, workspace: Workspace, objective_id: int
) -> HttpResponse:
    objective = get_objective(workspace, objective_id)
    review_url = review_url_for(workspace, objective, None)
    if request.method == "POST":
        form = KeyResultForm(request.POST, workspace=workspace, review_url=review_url)
        if form.is_valid():
            try:
                kr = services.key_result_create(
                    actor=request.membership, objective=objective, **form.service_kwargs()
                )
            except FieldErrors as exc:
                add_field_errors(form, exc)
            else:
                messages.success(request, f"Key result “{kr.title}” added.")
                return see_other(url("objective_detail", workspace, objective_id=objective.pk))
        return _form_page(request, form, objective, None, status=422)
    form = KeyResultForm(
        initial={"owner": request.user.pk}, workspace=workspace, review_url=review_url
    )
    return _form_page(request, form, objective, None, status=200)


@require_http_methods(["GET", "POST"])
@workspace_view(read=Role.MEMBER, write=Role.MEMBER)
def key_result_edit(
    request: WorkspaceRequest, workspace: Workspace, key_result_id: int
) -> HttpResponse:
    key_result = get_key_result(workspace, key_result_id)
    objective = key_result.objective
    review_url = review_url_for(workspace, objective, key_result)
    if request.method == "POST":
        form = KeyResultForm(
            request.POST, workspace=workspace, key_result=key_result, review_url=review_url
        )
        if form.is_valid():
            try:
                services.key_result_update(
                    actor=request.membership,
                    key_result=key_result,
                    expected_version=form.cleaned_data.get("version"),
                    **form.service_kwargs(),
                )
            except StaleVersion:
                form.add_error(None, STALE_MESSAGE)
                return _form_page(request, form, objective, key_result, status=409, stale=True)
            except FieldErrors as exc:
                add_field_errors(form, exc)
            else:
                messages.success(request, f"Key result “{key_result.title}” saved.")
                return see_other(url("objective_detail", workspace, objective_id=objective.pk))
        return _form_page(request, form, objective, key_result, status=form_status(request))
    form = KeyResultForm(
        initial=KeyResultForm.initial_for(key_result),
        workspace=workspace,
        key_result=key_result,
        review_url=review_url,
    )
    return _form_page(request, form, objective, key_result, status=200)


# What a value-style check-in form posts; on a measured KR the service refuses them (409).
VALUE_FIELDS = ("value", "done", "steps_done")


def check_in_form_for(key_result: KeyResult, data: Any = None) -> CheckInForm | ConfidenceForm:
    """A value check-in for reported KRs; confidence and a note for measured ones."""
    if progress_is_measured(key_result):
        return ConfidenceForm(data, key_result=key_result)
    return CheckInForm(data, key_result=key_result)


def _posted_value(request: WorkspaceRequest) -> dict[str, Any]:
    """A value posted to a measured KR (a page opened before its source changed): passed on,
    so the service refuses it with its 409 rather than the value being dropped silently."""
    posted = {name: request.POST.get(name) for name in VALUE_FIELDS}
    value = posted["value"] or posted["done"] or posted["steps_done"]
    return {"value": value} if value not in (None, "") else {}


@require_http_methods(["GET", "POST"])
@workspace_view(read=Role.MEMBER, write=Role.MEMBER)
def key_result_check_in(
    request: WorkspaceRequest, workspace: Workspace, key_result_id: int
) -> HttpResponse:
    """Record a value (or, on a measured KR, confidence and a note). htmx: the KR row comes
    back and `progress-changed` refreshes the rest; without JavaScript this is a page of its
    own that redirects to the objective."""
    key_result = get_key_result(workspace, key_result_id)
    objective = key_result.objective
    measured = progress_is_measured(key_result)
    form = check_in_form_for(key_result, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        extra = _posted_value(request) if measured else {}
        try:
            services.key_result_check_in(
                actor=request.membership,
                key_result=key_result,
                **{**form.service_kwargs(), **extra},
            )
        except FieldErrors as exc:
            add_field_errors(form, exc)
        else:
            if is_partial(request):
                context = okr_context(request, **explanation_context(request, objective))
                row = next(r for r in context["rows"] if r["kr"].pk == key_result.pk)
                context.update(row=row, oob=True)
                response = render(request, "okrs/_kr_row.html", context)
                return trigger_client_event(response, "progress-changed")
            done = "Confidence updated on" if measured else "Checked in on"
            messages.success(request, f"{done} “{key_result.title}”.")
            return see_other(url("objective_detail", workspace, objective_id=objective.pk))
    context = okr_context(
        request, objective=objective, kr=key_result, check_in_form=form, measured=measured
    )
    if is_partial(request):
        response = render(request, "okrs/_check_in_form.html", context, status=form_status(request))
        return reswap(retarget(response, f"#check-in-form-{key_result.pk}"), "innerHTML")
    return render(request, "okrs/check_in.html", context, status=form_status(request))


@require_POST
@workspace_view(read=Role.MEMBER, write=Role.MEMBER)
def review_key_result(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    """The SMART panel and the progress preview for the form's current input (htmx, while
    typing). The objective and key result named in the query are looked up in the workspace."""
    draft = key_result_draft(request.POST)
    review = smart.review_key_result(draft) if draft else None
    objective = key_result = None
    if request.GET.get("key_result"):
        key_result = get_key_result(workspace, _id(request.GET["key_result"]))
        objective = key_result.objective
    elif request.GET.get("objective"):
        objective = get_objective(workspace, _id(request.GET["objective"]))
    context = okr_context(
        request,
        **smart_context(review),
        **preview_context(workspace, objective, key_result, request.POST),
    )
    return render(request, "okrs/_smart_panel.html", context)


def _id(raw: str) -> int:
    if not raw.isdigit():
        raise Http404("No such objective or key result.")
    return int(raw)
