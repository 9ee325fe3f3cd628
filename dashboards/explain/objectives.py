"""What an objective's number is made of: each input's weight share × progress."""

from __future__ import annotations

from decimal import Decimal

from alignment.models import Workspace
from dashboards.explain.lines import KR, OBJECTIVE, ZERO, Explanation, Part, RowNumbers, percent
from dashboards.explain.rows import (
    adds_up,
    explain_url,
    input_ids,
    input_rows,
    mean_arithmetic,
    node_row,
    objective_parts,
)
from dashboards.reasons import _Urls
from okrs import progress as math
from okrs.models import KeyResult, Objective
from readmodel.models import Rollup


def objective_explanation(workspace: Workspace, objective: Objective) -> Explanation:
    """An objective's number from its row: each input (key results, and aligned objectives
    when the row lists them) with its weight share × progress = contribution."""
    row = node_row(workspace, OBJECTIVE, objective.pk)
    explanation = Explanation(
        kind=OBJECTIVE,
        id=objective.pk,
        title=objective.title,
        source="key_results",
        row=RowNumbers.of(row) if row else None,
        summary="",
        arithmetic="",
        url=explain_url(workspace, OBJECTIVE, objective.pk),
    )
    if row is None:
        explanation.summary = "This number has not been computed yet; it appears within a minute."
        return explanation
    inputs = input_rows(workspace, row)
    kr_ids = input_ids(row, KR)
    child_ids = input_ids(row, OBJECTIVE)
    key_results = {
        kr.pk: kr
        for kr in KeyResult.objects.filter(workspace=workspace, pk__in=kr_ids or [0]).order_by(
            "position", "id"
        )
    }
    # KRs in their order on the page, then aligned objectives (if the row counts them).
    ordered = [pk for pk in key_results if pk in set(kr_ids)]
    ordered += [pk for pk in kr_ids if pk not in key_results]
    weights = [key_results[pk].weight if pk in key_results else ZERO for pk in ordered]
    children = objective_parts(workspace, child_ids, inputs) if child_ids else []
    all_weights = [float(w) for w in weights] + [float(p.weight) for p in children]
    shares = math.weight_shares(all_weights)
    explanation.parts += _key_result_parts(workspace, ordered, weights, shares, key_results, inputs)
    for part, share in zip(children, shares[len(ordered) :], strict=True):
        part.share = share
        explanation.parts.append(part)
    counted = "key results and the objectives aligned under it" if children else "key results"
    explanation.summary = (
        f"Progress is the weighted mean of its {counted}: each contributes its share of the "
        "total weight × its own progress."
    )
    if not explanation.parts:
        explanation.arithmetic = f"Nothing to count yet = {percent(row.progress)}%"
        explanation.next_step = "Add 2–4 key results to measure this objective."
        return explanation
    explanation.arithmetic = mean_arithmetic(explanation.parts, row)
    explanation.reconciles = adds_up(explanation.parts, row)
    return explanation


def _key_result_parts(
    workspace: Workspace,
    ordered: list[int],
    weights: list[Decimal],
    shares: list[float],
    key_results: dict[int, KeyResult],
    inputs: dict[tuple[str, int], Rollup],
) -> list[Part]:
    """A part per key result the row counted (one deleted since keeps its id and number)."""
    urls = _Urls(workspace.slug)
    parts = []
    for pk, weight, share in zip(ordered, weights, shares, strict=False):
        kr_row = inputs.get((KR, pk))
        kr = key_results.get(pk)
        parts.append(
            Part(
                kind=KR,
                id=pk,
                title=kr.title if kr else f"Key result {pk} (deleted since)",
                url=urls("dashboards:explain_key_result", "key_result_id", pk),
                weight=weight,
                share=share,
                progress=float(kr_row.progress) if kr_row else None,
                status=kr_row.status if kr_row else "",
            )
        )
    return parts
