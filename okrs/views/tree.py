"""The OKR tree of a period: company → team → individual, filters, lazily loaded branches."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlencode

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from alignment.http import WorkspaceRequest
from alignment.models import Role, Team, Workspace
from alignment.tenancy import workspace_view
from okrs import progress as math
from okrs import selectors
from okrs.forms import members_of
from okrs.models import ObjectiveLevel, Period
from okrs.views._common import get_objective, is_partial, okr_context, see_other, url

# Branches shown without asking: the company level and the teams under it. Deeper branches
# load when opened (htmx), or inline when named in ?open= (deep links, no JavaScript).
INLINE_DEPTH = 1
FILTER_PARAMS = ("team", "owner", "health", "level")
HEALTH_CHOICES = [(code, label) for code, label in math.STATUS_LABELS.items()]


def _ints(values: Iterable[str]) -> set[int]:
    found = set()
    for value in values:
        try:
            found.add(int(value))
        except (TypeError, ValueError):
            continue
    return found


def _pick_period(request: WorkspaceRequest, periods: list[Period]) -> Period | None:
    """?period=<id> among the workspace's periods (404 if not one), else the current one."""
    raw = request.GET.get("period", "")
    if raw:
        wanted = _ints([raw])
        for period in periods:
            if period.pk in wanted:
                return period
        raise Http404("No such period in this workspace.")
    return selectors.current_period(request.workspace)


def _filter_query(request: WorkspaceRequest, period: Period | None) -> str:
    """The period and filters as a query string, for links that keep them."""
    pairs = [(k, request.GET[k]) for k in FILTER_PARAMS if request.GET.get(k)]
    if period is not None:
        pairs.insert(0, ("period", str(period.pk)))
    return urlencode(pairs)


def _annotate(tree: selectors.ObjectiveTree, expanded: set[int]) -> None:
    """Attach what the node template shows: the first reason in words, inline or lazy."""
    for node in tree.walk():
        reasons = tree.sentences(node.reasons[:1])
        node.reason = reasons[0] if reasons else ""  # type: ignore[attr-defined]
        node.inline = (  # type: ignore[attr-defined]
            node.depth < INLINE_DEPTH or node.objective.pk in expanded
        )


def _expanded(tree: selectors.ObjectiveTree, open_ids: set[int]) -> set[int]:
    """The ?open= nodes and their ancestors, so a deep link shows its whole path."""
    expanded: set[int] = set()
    for pk in open_ids:
        node = tree.nodes.get(pk)
        while node is not None and node.objective.pk not in expanded:
            expanded.add(node.objective.pk)
            node = tree.nodes.get(node.objective.parent_id or 0)
    return expanded


def _filters_context(workspace: Workspace, request: WorkspaceRequest) -> dict[str, Any]:
    return {
        "teams": list(Team.objects.visible_to(request.membership).order_by("name")),
        "owners": list(members_of(workspace)),
        "health_choices": HEALTH_CHOICES,
        "level_choices": ObjectiveLevel.choices,
        "selected": {k: request.GET.get(k, "") for k in FILTER_PARAMS},
        "filtered": any(request.GET.get(k) for k in FILTER_PARAMS),
    }


@require_GET
@vary_on_headers("HX-Request")
@workspace_view(read=Role.VIEWER, write=Role.MEMBER)
def tree(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    """The period's tree; an htmx request (filters, period picker) gets just the tree part."""
    periods = list(selectors.periods_for_workspace(workspace))
    period = _pick_period(request, periods)
    context = okr_context(
        request,
        periods=periods,
        period=period,
        query=_filter_query(request, period),
        **_filters_context(workspace, request),
    )
    if period is not None:
        filters = selectors.TreeFilters.from_mapping(request.GET)
        okr_tree = selectors.objective_tree_for_period(workspace, period, filters)
        _annotate(okr_tree, _expanded(okr_tree, _ints(request.GET.getlist("open"))))
        context["tree"] = okr_tree
    template = "okrs/_tree.html" if is_partial(request) else "okrs/tree.html"
    return render(request, template, context)


@require_GET
@vary_on_headers("HX-Request")
@workspace_view(read=Role.VIEWER, write=Role.MEMBER)
def tree_children(
    request: WorkspaceRequest, workspace: Workspace, objective_id: int
) -> HttpResponse:
    """The objectives aligned under one node, as list items (htmx), with the same filters.

    Without htmx it is the tree page with this branch open, so the link works everywhere.
    """
    objective = get_objective(workspace, objective_id)
    periods = list(selectors.periods_for_workspace(workspace))
    period = objective.period
    if request.GET.get("period"):
        period = _pick_period(request, periods) or period
    if not is_partial(request):
        query = _filter_query(request, period)
        return see_other(
            f"{url('tree', workspace)}?{query}&open={objective.pk}#objective-{objective.pk}"
        )
    filters = selectors.TreeFilters.from_mapping(request.GET)
    okr_tree = selectors.objective_tree_for_period(workspace, period, filters)
    node = okr_tree.nodes.get(objective.pk)
    _annotate(okr_tree, {objective.pk})
    context = okr_context(
        request,
        period=period,
        tree=okr_tree,
        nodes=node.children if node is not None else [],
        query=_filter_query(request, period),
    )
    return render(request, "okrs/_children.html", context)
