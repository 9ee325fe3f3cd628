"""Objective pages: the explanation of its progress, create/edit with the SMART panel, comments."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from alignment.errors import FieldErrors, StaleVersion
from alignment.http import WorkspaceRequest, add_field_errors, form_status
from alignment.models import Role, Workspace
from alignment.parsing import is_digits
from alignment.tenancy import workspace_view
from okrs import charts, selectors, services, smart
from okrs.errors import AlignmentCycle
from okrs.forms import CheckInForm, CommentForm, ObjectiveForm
from okrs.models import (
    BINARY_KINDS,
    KeyResult,
    KeyResultKind,
    Objective,
    ObjectiveLevel,
    ObjectiveStatus,
)
from okrs.views._common import (
    BASIS,
    get_objective,
    is_partial,
    okr_context,
    see_other,
    url,
)
from readmodel.forecasts import forecasts_for

STALE_MESSAGE = (
    "This objective was changed by someone else since you opened it. Nothing was saved: "
    "reload to see their changes, then make yours again."
)
MAX_BREADCRUMBS = 12


def breadcrumbs(objective: Objective) -> list[Objective]:
    """The parent chain, from the top (company) objective down to the direct parent."""
    chain: list[Objective] = []
    seen = {objective.pk}
    parent = objective.parent
    while parent is not None and parent.pk not in seen and len(chain) < MAX_BREADCRUMBS:
        chain.append(parent)
        seen.add(parent.pk)
        parent = (
            Objective.objects.filter(pk=parent.parent_id).select_related("period").first()
            if parent.parent_id
            else None
        )
    return list(reversed(chain))


def _values(kr: KeyResult) -> tuple[str, str, str]:
    """Value, baseline and target as people read them, for every kind."""
    if kr.kind == KeyResultKind.MILESTONE and kr.milestones:
        done = sum(1 for step in kr.milestones if step.get("done"))
        return f"{done} of {len(kr.milestones)} steps", "No step", "All steps"
    if kr.kind in BINARY_KINDS:
        return ("Done" if kr.current >= 1 else "Not done"), "Not done", "Done"
    return (
        charts.number(kr.current, kr.unit),
        charts.number(kr.baseline, kr.unit),
        charts.number(kr.target, kr.unit),
    )


def _points(share: float) -> str:
    return f"{share * 100:.1f}"


# What an objective's number counted (its row's basis), for the explanation's basis line.
OBJECTIVE_BASIS = {
    "key_results": "the weighted mean of its key results",
    "key_results_and_children": (
        "the weighted mean of its key results and of the objectives aligned directly under "
        "it, each with its own weight"
    ),
    "children": "the weighted mean of the objectives aligned under it, each with its weight",
    "none": "nothing yet: it has no key results and no objectives aligned under it",
}


def _aligned_rows(explanation: selectors.ObjectiveExplanation) -> list[dict[str, Any]]:
    """Objectives aligned under this one, each with what it adds to this one's number:
    its weight share and contribution when it counts directly, else None (it counts in a
    key result, or not at all)."""
    counted = {pk: (share, part) for pk, share, part in explanation.node.aligned_contributions}
    rows = []
    for child in explanation.aligned:
        share, part = counted.get(child.objective.pk, (None, None))
        rows.append(
            {
                "node": child,
                "counted": share is not None,
                "weight": charts.number(child.objective.weight),
                "share": _points(share) if share is not None else "",
                "points": _points(part) if part is not None else "",
            }
        )
    return rows


def explanation_context(
    request: WorkspaceRequest, objective: Objective, *, with_forms: bool = True
) -> dict[str, Any]:
    """The explanation with each KR's reasons in words, chart and check-in form."""
    explanation = selectors.objective_explanation(objective)
    period = objective.period
    key_results = [item.node.key_result for item in explanation.key_results]
    forecasts = forecasts_for(
        objective.workspace_id,
        {"objective": [objective.pk], "key_result": [kr.pk for kr in key_results]},
    )
    trend = selectors.objective_trends(objective, key_results, forecasts=forecasts)
    rows = []
    for item in explanation.key_results:
        kr = item.node.key_result
        kr.objective = objective  # already loaded: the forms and URLs below reuse it
        value, baseline, target = _values(kr)
        rows.append(
            {
                "node": item.node,
                "kr": kr,
                "reasons": explanation.sentences(item.node.reasons),
                "notes": explanation.sentences(item.node.notes),
                "basis": BASIS.get(item.node.basis, item.node.basis),
                "check_ins": item.check_ins,
                "chart": charts.check_in_chart(
                    kr, item.check_ins, period_start=period.start, period_end=period.end
                ),
                "trend": trend.key_results[kr.pk] if trend else None,
                "forecast": forecasts.get(("key_result", kr.pk)),
                "value": value,
                "baseline": baseline,
                "target": target,
                "weight": charts.number(kr.weight),
                "share": _points(item.node.weight_share),
                "points": _points(item.node.contribution),
                "expected": round(item.node.expected * 100),
                "check_in_form": CheckInForm(key_result=kr) if with_forms else None,
            }
        )
    node = explanation.node
    return {
        "objective": objective,
        "explanation": explanation,
        "node": node,
        "rows": rows,
        "aligned_rows": _aligned_rows(explanation),
        "basis_sentence": OBJECTIVE_BASIS.get(node.basis, OBJECTIVE_BASIS["none"]),
        "trend": trend,
        "forecast": forecasts.get(("objective", objective.pk)),
        "reasons": explanation.reason_sentences,
        "total_points": _points(node.progress),
        "score_percent": round(float(objective.score) * 100)
        if objective.score is not None
        else None,
        "open": objective.status in (ObjectiveStatus.DRAFT, ObjectiveStatus.ACTIVE)
        and not period.is_closed,
    }


@require_GET
@vary_on_headers("HX-Request")
@workspace_view(read=Role.VIEWER, write=Role.MEMBER)
def objective_detail(
    request: WorkspaceRequest, workspace: Workspace, objective_id: int
) -> HttpResponse:
    """Why the objective's progress is what it is; ?part=header|total|history for refreshes."""
    objective = get_objective(workspace, objective_id)
    part = request.GET.get("part", "") if is_partial(request) else ""
    context = okr_context(request, **explanation_context(request, objective))
    if part in ("header", "total", "history"):
        return render(request, f"okrs/_objective_{part}.html", context)
    context.update(
        breadcrumbs=breadcrumbs(objective),
        comment_form=CommentForm(),
    )
    return render(request, "okrs/objective_detail.html", context)


def _objective_kwargs(form: ObjectiveForm, *, changed_only: bool = False) -> dict[str, Any]:
    """Cleaned data for the service; when editing, only what the person changed (so that
    saving a company objective's title does not count as re-levelling it)."""
    data = dict(form.cleaned_data)
    data.pop("version", None)
    if changed_only:
        data = {k: v for k, v in data.items() if k in form.changed_data}
    return data


def _review(draft: smart.ObjectiveDraft | smart.KeyResultDraft) -> smart.Review:
    if isinstance(draft, smart.ObjectiveDraft):
        return smart.review_objective(draft)
    return smart.review_key_result(draft)


def smart_context(review: smart.Review | None) -> dict[str, Any]:
    if review is None:
        return {"smart": None}
    grouped = review.by_letter
    return {
        "smart": [
            {"letter": letter, "name": smart.LETTER_NAMES[letter], "findings": grouped[letter]}
            for letter in smart.LETTERS
        ],
        "smart_ok": review.is_smart,
    }


def objective_draft(data: Any, key_results: list[KeyResult]) -> smart.ObjectiveDraft | None:
    """Form input (and the saved KRs, when editing) as a draft for the SMART review."""
    if not str(data.get("title") or "").strip():
        return None
    return smart.ObjectiveDraft(
        title=str(data.get("title") or ""),
        description=str(data.get("description") or ""),
        level=str(data.get("level") or ObjectiveLevel.TEAM),
        has_owner=bool(data.get("owner")),
        has_period=bool(data.get("period")),
        has_parent=bool(data.get("parent")),
        key_results=tuple(
            smart.KeyResultDraft(
                title=kr.title,
                kind=kr.kind,
                unit=kr.unit,
                baseline=float(kr.baseline),
                target=float(kr.target),
                has_owner=kr.owner_id is not None,
                steps=len(kr.milestones or []),
            )
            for kr in key_results
        ),
    )


def _form_page(
    request: WorkspaceRequest,
    form: ObjectiveForm,
    objective: Objective | None,
    *,
    status: int,
    stale: bool = False,
) -> HttpResponse:
    key_results = list(objective.key_results.all()) if objective is not None else []
    data = form.data if form.is_bound else {**form.initial}
    draft = objective_draft(data, key_results)
    context = okr_context(
        request,
        form=form,
        objective=objective,
        stale=stale,
        review_url=_review_url(request.workspace, objective),
        **smart_context(_review(draft) if draft else None),
    )
    return render(request, "okrs/objective_form.html", context, status=status)


def _review_url(workspace: Workspace, objective: Objective | None) -> str:
    base = url("review_objective", workspace)
    return f"{base}?objective={objective.pk}" if objective is not None else base


@require_http_methods(["GET", "POST"])
@workspace_view(read=Role.MEMBER, write=Role.MEMBER)
def objective_new(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    """Write an objective; ?parent=<id> aligns it, ?period=<id> picks its period."""
    review_url = _review_url(workspace, None)
    membership = request.membership
    if request.method == "POST":
        form = ObjectiveForm(request.POST, membership=membership, review_url=review_url)
        if form.is_valid():
            try:
                objective = services.objective_create(actor=membership, **_objective_kwargs(form))
            except FieldErrors as exc:
                add_field_errors(form, exc)
            else:
                messages.success(
                    request, f"Objective “{objective.title}” created. Add its key results next."
                )
                return see_other(url("objective_detail", workspace, objective_id=objective.pk))
        return _form_page(request, form, None, status=422)
    initial: dict[str, Any] = {"owner": request.user.pk}
    current = selectors.current_period(workspace)
    if current is not None and not current.is_closed:
        initial["period"] = current.pk
    for name in ("parent", "period", "team", "level"):
        if request.GET.get(name):
            initial[name] = request.GET[name]
    if "level" not in initial and not membership.has_role(Role.ADMIN):
        initial["level"] = ObjectiveLevel.TEAM
    form = ObjectiveForm(initial=initial, membership=membership, review_url=review_url)
    return _form_page(request, form, None, status=200)


@require_http_methods(["GET", "POST"])
@workspace_view(read=Role.MEMBER, write=Role.MEMBER)
def objective_edit(
    request: WorkspaceRequest, workspace: Workspace, objective_id: int
) -> HttpResponse:
    """Edit with the hidden `version`: a stale one is refused with a reload message (409)."""
    objective = get_objective(workspace, objective_id)
    review_url = _review_url(workspace, objective)
    membership = request.membership
    if request.method == "POST":
        form = ObjectiveForm(
            request.POST,
            initial=ObjectiveForm.initial_for(objective),
            membership=membership,
            objective=objective,
            review_url=review_url,
        )
        if form.is_valid():
            try:
                services.objective_update(
                    actor=membership,
                    objective=objective,
                    expected_version=form.cleaned_data.get("version"),
                    **_objective_kwargs(form, changed_only=True),
                )
            except StaleVersion:
                form.add_error(None, STALE_MESSAGE)
                return _form_page(request, form, objective, status=409, stale=True)
            except AlignmentCycle as exc:
                form.add_error("parent", exc.text)
            except FieldErrors as exc:
                add_field_errors(form, exc)
            else:
                messages.success(request, f"Objective “{objective.title}” saved.")
                return see_other(url("objective_detail", workspace, objective_id=objective.pk))
        return _form_page(request, form, objective, status=form_status(request))
    form = ObjectiveForm(
        initial=ObjectiveForm.initial_for(objective),
        membership=membership,
        objective=objective,
        review_url=review_url,
    )
    return _form_page(request, form, objective, status=200)


@require_POST
@workspace_view(read=Role.VIEWER, write=Role.MEMBER)
def comment_add(request: WorkspaceRequest, workspace: Workspace, objective_id: int) -> HttpResponse:
    objective = get_objective(workspace, objective_id)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            services.objective_comment_add(
                actor=request.membership, objective=objective, body=form.cleaned_data["body"]
            )
        except FieldErrors as exc:
            add_field_errors(form, exc)
        else:
            messages.success(request, "Comment added.")
            detail = url("objective_detail", workspace, objective_id=objective.pk)
            return see_other(f"{detail}#comments")
    context = okr_context(request, **explanation_context(request, objective))
    context.update(breadcrumbs=breadcrumbs(objective), comment_form=form)
    return render(request, "okrs/objective_detail.html", context, status=422)


@require_POST
@workspace_view(read=Role.MEMBER, write=Role.MEMBER)
def review_objective(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    """The SMART panel for the objective form's current input (htmx, while typing)."""
    key_results: list[KeyResult] = []
    objective_id = request.GET.get("objective", "")
    if is_digits(objective_id):
        key_results = list(
            KeyResult.objects.for_workspace(workspace).filter(objective_id=int(objective_id))
        )
    draft = objective_draft(request.POST, key_results)
    context = okr_context(request, **smart_context(_review(draft) if draft else None))
    return render(request, "okrs/_smart_panel.html", context)
