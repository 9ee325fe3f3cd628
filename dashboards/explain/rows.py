"""Reading the rows an explanation is made of, and the weighted-mean arithmetic."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Q
from django.urls import reverse

from alignment.models import Workspace
from dashboards.explain.lines import KR, MAX_TERMS, OBJECTIVE, ZERO, Part, percent
from dashboards.reasons import _Urls
from okrs import progress as math
from okrs.models import Objective
from readmodel.models import Rollup


def node_row(workspace: Workspace, kind: str, node_id: int) -> Rollup | None:
    return Rollup.objects.filter(workspace=workspace, kind=kind, node_id=node_id).first()


def input_rows(workspace: Workspace, row: Rollup | None) -> dict[tuple[str, int], Rollup]:
    """The rows a row was computed from (its `inputs`), in one query."""
    if row is None or not row.inputs:
        return {}
    wanted: dict[str, list[int]] = defaultdict(list)
    for kind, node_id in row.inputs:
        wanted[str(kind)].append(int(node_id))
    condition = Q()
    for kind, ids in wanted.items():
        condition |= Q(kind=kind, node_id__in=ids)
    rows = Rollup.objects.filter(condition, workspace=workspace)
    return {(r.kind, r.node_id): r for r in rows}


def input_ids(row: Rollup | None, kind: str) -> list[int]:
    return [int(i) for k, i in (row.inputs if row else []) if k == kind]


def explain_url(workspace: Workspace, kind: str, node_id: int) -> str:
    name = "dashboards:explain_key_result" if kind == KR else "dashboards:explain_objective"
    arg = "key_result_id" if kind == KR else "objective_id"
    return reverse(name, kwargs={"slug": workspace.slug, arg: node_id})


def objective_parts(
    workspace: Workspace, ids: list[int], inputs: dict[tuple[str, int], Rollup]
) -> list[Part]:
    objectives = {o.pk: o for o in Objective.objects.filter(workspace=workspace, pk__in=ids or [0])}
    urls = _Urls(workspace.slug)
    weights = [objectives[i].weight if i in objectives else ZERO for i in ids]
    shares = math.weight_shares([float(w) for w in weights])
    parts = []
    for pk, weight, share in zip(ids, weights, shares, strict=True):
        objective = objectives.get(pk)
        child_row = inputs.get((OBJECTIVE, pk))
        parts.append(
            Part(
                kind=OBJECTIVE,
                id=pk,
                title=objective.title if objective else f"Objective {pk}",
                url=urls("okrs:objective_detail", "objective_id", pk),
                weight=weight,
                share=share,
                progress=float(child_row.progress) if child_row else None,
                status=child_row.status if child_row else "",
            )
        )
    return parts


def mean_arithmetic(parts: list[Part], row: Rollup) -> str:
    pct = percent(row.progress)
    if len(parts) > MAX_TERMS:
        return f"Σ share × progress = {pct}%"
    terms = " + ".join(f"{p.share_percent}% × {p.percent or 0}%" for p in parts)
    return f"Σ share × progress = {terms} = {pct}%"


def adds_up(parts: list[Part], row: Rollup) -> bool:
    # Rows are rounded to 4 places: allow that rounding per part.
    total = sum(p.contribution for p in parts)
    return abs(total - float(row.progress)) <= 0.0001 * (len(parts) + 1)
