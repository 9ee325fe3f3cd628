"""One truth for every number: every surface shows the read model's progress and status.

Hypothesis builds random worlds: objectives in a tree (some aligned under a parent's
`children` key result, some directly), key results of every kind and source (check-ins,
milestones, done / not done, linked work, aligned objectives) with weights, confidence and
check-in ages; roadmap items with their own dates linked to key results with weights; tasks
with points in every state; workspace status thresholds. The rollup job builds the rows, then
a few changes go through the real services (tasks moved to done, check-ins), on the production
path: service → event after commit → queue → incremental refresh.

Then, for every node, each surface must show exactly its read-model row's percent and status:
the OKR tree page, the objective page (header and key result rows), the OKR API, the roadmap
item page, timeline and API, each task's alignment line (page), the leader dashboard (its
objectives table and at-risk list), the weekly digest; and a fresh full recompute must equal
what was shown. Pages are parsed from their HTML so a template that shows another number fails.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from django.test import Client, TestCase
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from dashboards import rollups
from dashboards.models import Snapshot
from integrations.digest import build_digest
from okrs import services as okr_services
from okrs.models import KeyResult, Objective
from readmodel.forecasts import forecasts_for
from readmodel.selectors import RollupRow, rollups_for
from roadmaps.models import KeyResultLink, RoadmapItem
from tasks import services as task_services
from tasks.models import StateCategory, Task
from tests.conftest import World, build_world, client_for
from tests.factories.okrs import KeyResultFactory, ObjectiveFactory, PeriodFactory
from tests.factories.work import RoadmapFactory, RoadmapItemFactory, TaskFactory, state_of
from tests.surfaces import api_json, page_html

pytestmark = pytest.mark.django_db

# The suite's clock (tests/clock.py) is pinned to 2026-05-13: the period contains it.
PERIOD = (date(2026, 4, 1), date(2026, 6, 30))
NOW = datetime(2026, 5, 13, 9, 0, tzinfo=UTC)
STATUSES = ("on_track", "at_risk", "off_track")
Key = tuple[str, int]

# ---- the world, as data ------------------------------------------------------------------


@dataclass
class KrSpec:
    kind: str
    source: str
    baseline: str
    target: str
    current: str
    weight: str
    confidence: int
    checked_in_days_ago: int | None
    steps: list[tuple[str, bool]] = field(default_factory=list)  # milestone (weight, done)


@dataclass
class ObjectiveSpec:
    parent: int | None  # index of an earlier objective
    under_children_kr: bool  # aligned to the parent's first `children` key result, if any
    weight: str
    key_results: list[KrSpec]


@dataclass
class ItemSpec:
    start: date | None
    target: date | None
    links: list[tuple[int, str]]  # (index into all key results, weight)
    tasks: list[tuple[str | None, str]]  # (estimate, state category)


@dataclass
class WorldSpec:
    objectives: list[ObjectiveSpec]
    items: list[ItemSpec]
    thresholds: dict[str, Any]
    done_moves: list[int]  # tasks (index) moved to done through the service
    check_ins: list[tuple[int, str, int]]  # (manual KR index, value, confidence)


numbers = st.sampled_from(["0", "10", "40", "100"])
weights = st.sampled_from(["0", "1", "1", "2", "3.5"])


@st.composite
def key_result_specs(draw: st.DrawFn) -> KrSpec:
    kind = draw(st.sampled_from(["number", "percentage", "boolean", "milestone"]))
    source = draw(st.sampled_from(["manual", "manual", "tasks", "children"]))
    baseline, target = draw(st.sampled_from([("0", "100"), ("10", "40"), ("100", "40")]))
    binary = kind in ("boolean", "milestone")  # stored as 0 → 1 (a check constraint)
    if binary:
        baseline, target = "0", "1"
    current = draw(st.sampled_from(["0", "1"] if binary else ["0", "25", "40", "100"]))
    steps = []
    if kind == "milestone":
        steps = draw(st.lists(st.tuples(weights, st.booleans()), min_size=0, max_size=3))
    return KrSpec(
        kind=kind,
        source=source,
        baseline=baseline,
        target=target,
        current=current,
        weight=draw(weights),
        confidence=draw(st.sampled_from([1, 3, 5, 8])),
        checked_in_days_ago=draw(st.sampled_from([None, 1, 6, 20])),
        steps=steps,
    )


@st.composite
def world_specs(draw: st.DrawFn) -> WorldSpec:
    count = draw(st.integers(min_value=2, max_value=5))
    objectives = []
    for index in range(count):
        parent = None if index == 0 else draw(st.sampled_from([None, *range(index)]))
        objectives.append(
            ObjectiveSpec(
                parent=parent,
                under_children_kr=draw(st.booleans()),
                weight=draw(weights),
                key_results=draw(st.lists(key_result_specs(), min_size=0, max_size=3)),
            )
        )
    kr_count = sum(len(o.key_results) for o in objectives)
    dates = st.sampled_from(
        [
            (date(2026, 4, 6), date(2026, 6, 26)),
            (date(2026, 4, 1), date(2026, 5, 1)),  # past its target date
            (date(2026, 5, 20), date(2026, 6, 20)),  # not started
            (None, None),
        ]
    )
    items = []
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        start, target = draw(dates)
        links = []
        if kr_count:
            links = draw(
                st.lists(
                    st.tuples(st.integers(0, kr_count - 1), st.sampled_from(["1", "2", "0.5"])),
                    max_size=2,
                    unique_by=lambda link: link[0],
                )
            )
        tasks = draw(
            st.lists(
                st.tuples(
                    st.sampled_from([None, "0", "1", "2", "3", "5"]),
                    st.sampled_from([c.value for c in StateCategory]),
                ),
                max_size=5,
            )
        )
        items.append(ItemSpec(start=start, target=target, links=links, tasks=tasks))
    task_count = sum(len(i.tasks) for i in items)
    manual = [
        n
        for n, kr in enumerate(k for o in objectives for k in o.key_results)
        if kr.source == "manual" and kr.kind in ("number", "percentage")
    ]
    thresholds = draw(
        st.sampled_from(
            [
                {},
                {"at_risk_gap": 0.02, "off_track_gap": 0.05, "stale_after_days": 5},
                {"at_risk_gap": 0.3, "off_track_gap": 0.6, "at_risk_confidence": 6},
            ]
        )
    )
    return WorldSpec(
        objectives=objectives,
        items=items,
        thresholds=thresholds,
        done_moves=draw(st.lists(st.integers(0, task_count - 1), max_size=2, unique=True))
        if task_count
        else [],
        check_ins=draw(
            st.lists(
                st.tuples(st.sampled_from(manual), numbers, st.integers(1, 9)),
                max_size=1,
            )
        )
        if manual
        else [],
    )


# ---- building it ---------------------------------------------------------------------------


@dataclass
class Built:
    world: World
    period_id: int
    objectives: list[Objective]
    key_results: list[KeyResult]
    items: list[RoadmapItem]
    tasks: list[Task]
    # Forecast probabilities (percent) each surface shows, by node and surface.
    forecasts_shown: dict[Key, dict[str, int]] = field(default_factory=dict)


def build(world: World, spec: WorldSpec) -> Built:
    ws = world.workspace
    ws.settings = {"okrs": spec.thresholds} if spec.thresholds else {}
    ws.save(update_fields=["settings"])
    period = PeriodFactory(workspace=ws, name="Q2", start=PERIOD[0], end=PERIOD[1])
    objectives: list[Objective] = []
    key_results: list[KeyResult] = []
    children_kr: dict[int, KeyResult] = {}
    for index, o in enumerate(spec.objectives):
        parent = objectives[o.parent] if o.parent is not None else None
        aligned_kr = children_kr.get(o.parent) if o.parent is not None else None
        objective = ObjectiveFactory(
            period=period,
            level="company" if parent is None else "team",
            team=None if parent is None else world.team,
            parent=parent,
            parent_key_result=aligned_kr if o.under_children_kr else None,
            weight=Decimal(o.weight),
            title=f"Objective {index}",
        )
        objectives.append(objective)
        for n, k in enumerate(o.key_results):
            kr = KeyResultFactory(
                objective=objective,
                title=f"KR {index}.{n}",
                kind=k.kind,
                source=k.source,
                baseline=Decimal(k.baseline),
                target=Decimal(k.target),
                current=Decimal(k.current),
                weight=Decimal(k.weight),
                confidence=k.confidence,
                last_check_in_at=(
                    NOW - timedelta(days=k.checked_in_days_ago)
                    if k.checked_in_days_ago is not None
                    else None
                ),
                milestones=[
                    {"title": f"Step {s}", "weight": float(w), "done": done}
                    for s, (w, done) in enumerate(k.steps)
                ],
                position=n,
            )
            key_results.append(kr)
            if k.source == "children":
                children_kr.setdefault(index, kr)
    roadmap = RoadmapFactory(workspace=ws, name="Platform")
    items, tasks = [], []
    for index, i in enumerate(spec.items):
        item = RoadmapItemFactory(
            roadmap=roadmap, title=f"Item {index}", start_date=i.start, target_date=i.target
        )
        items.append(item)
        for kr_index, weight in i.links:
            KeyResultLink.objects.create(
                workspace=ws, item=item, key_result=key_results[kr_index], weight=Decimal(weight)
            )
        for estimate, category in i.tasks:
            tasks.append(
                TaskFactory(
                    team=world.team,
                    roadmap_item=item,
                    state=state_of(world.team, category),
                    estimate=None if estimate is None else Decimal(estimate),
                )
            )
    # Two weeks of daily snapshots before today, so nodes have a pace to forecast from.
    Snapshot.objects.bulk_create(
        Snapshot(
            workspace=ws,
            kind=kind,
            node_id=node.pk,
            day=NOW.date() - timedelta(days=back),
            progress=Decimal(str(round(max(0.0, 0.3 - back * 0.02), 4))),
        )
        for kind, nodes in (("objective", objectives), ("key_result", key_results))
        for node in nodes
        for back in range(1, 15)
    )
    return Built(world, period.pk, objectives, key_results, items, tasks)


def change(built: Built, spec: WorldSpec) -> None:
    """The spec's changes through the real services, their events run after commit."""
    member = built.world.member
    done = state_of(built.world.team, StateCategory.DONE)
    with TestCase.captureOnCommitCallbacks(execute=True):
        for index in spec.done_moves:
            task = Task.objects.get(pk=built.tasks[index].pk)
            if task.state_id != done.pk:
                task_services.task_transition(actor=member, task=task, to_state=done)
        for kr_index, value, confidence in spec.check_ins:
            okr_services.key_result_check_in(
                actor=member,
                key_result=KeyResult.objects.get(pk=built.key_results[kr_index].pk),
                value=Decimal(value),
                confidence=confidence,
            )


# ---- reading what each surface shows -------------------------------------------------------

PCT = re.compile(r'class="(?:pct|progress-value)[^"]*"[^>]*>(\d+)%')
STATUS = re.compile(r"badge status-(on_track|at_risk|off_track)")


def _from(html: str, marker: str, *, until: str | None = None) -> tuple[int, str]:
    """The first percent and the first status badge after `marker` (and before `until`)."""
    start = html.index(marker)
    end = html.find(until, start + len(marker)) if until else -1
    chunk = html[start:] if end < 0 else html[start:end]
    pct, status = PCT.search(chunk), STATUS.search(chunk)
    assert pct, f"no percent after {marker}"
    assert status, f"no status after {marker}"
    return int(pct.group(1)), status.group(1)


Shown = dict[Key, dict[str, tuple[int, str]]]


def _see(shown: Shown, key: Key, surface: str, value: tuple[int, str]) -> None:
    shown.setdefault(key, {})[surface] = value


FORECAST = re.compile(r'data-forecast="(\w+)-(\d+)"[^>]*>\s*Forecast: <strong>(\d+)%</strong>')


def read_surfaces(built: Built) -> Shown:
    world = built.world
    slug = world.workspace.slug
    page, api = client_for(world.member.user), Client()
    api.force_login(world.member.user, backend="alignment.auth_backends.EmailBackend")
    shown: Shown = {}
    objective_ids = [o.pk for o in built.objectives]

    # OKR tree, every branch open.
    opened = "&".join(f"open={pk}" for pk in objective_ids)
    tree = page_html(page, f"/w/{slug}/okrs/?period={built.period_id}&{opened}")
    for pk in objective_ids:
        _see(shown, ("objective", pk), "tree", _from(tree, f'id="objective-{pk}"'))
    # Objective pages: the header, and each key result row.
    for objective in built.objectives:
        html = page_html(page, f"/w/{slug}/okrs/objectives/{objective.pk}/")
        for kind, pk, percent in FORECAST.findall(html):
            built.forecasts_shown.setdefault((kind, int(pk)), {})["objective page"] = int(percent)
        header = _from(html, 'id="objective-header"', until="</section>")
        _see(shown, ("objective", objective.pk), "objective page", header)
        for kr in built.key_results:
            if kr.objective_id == objective.pk:
                row = _from(html, f'<tr id="kr-{kr.pk}"', until="</tr>")
                _see(shown, ("key_result", kr.pk), "objective page", row)
    # OKR API.
    base = f"/api/v1/workspaces/{slug}"
    for kind, path in (("objective", "objectives"), ("key_result", "key-results")):
        data = api_json(api, f"{base}/{path}/?period={built.period_id}&page_size=200")
        for node in data["results"]:
            progress = node["progress"]
            percent = round(progress["progress"] * 100)
            _see(shown, (kind, node["id"]), "API", (percent, progress["health"]))
    for node in api_json(api, f"{base}/forecasts/?page_size=200")["results"]:
        if node["probability"] is not None:
            key = (node["kind"], node["node_id"])
            built.forecasts_shown.setdefault(key, {})["API"] = round(node["probability"] * 100)
    # Roadmap items: page, timeline, API.
    timeline = page_html(page, f"/w/{slug}/roadmaps/{built.items[0].roadmap_id}/")
    items = api_json(api, f"{base}/roadmap-items/?page_size=200")["results"]
    api_items = {i["id"]: i["progress"] for i in items}
    for item in built.items:
        key = ("roadmap_item", item.pk)
        html = page_html(page, f"/w/{slug}/roadmaps/{item.roadmap_id}/items/{item.pk}/")
        progress = api_items[item.pk]
        if progress["progress"] is not None:  # an item with work to count
            _see(shown, key, "item page", _data(html, 'class="item-progress"'))
            _see(shown, key, "timeline", _data(timeline, f'id="item-{item.pk}"'))
            _see(shown, key, "API", (round(progress["progress"] * 100), progress["health"]))
    # Each task's alignment line.
    for task in built.tasks[:3]:
        html = page_html(page, f"/w/{slug}/tasks/{task.key}/")
        for kind, pk, pct, status in re.findall(
            r'data-node="(\w+)-(\d+)" data-percent="(\d+)" data-status="(\w+)"', html
        ):
            _see(shown, (kind, int(pk)), f"line of {task.key}", (int(pct), status))
    # Leader dashboard: objectives table, at-risk list.
    leader = page_html(page, f"/w/{slug}/dashboards/")
    for pk in objective_ids:
        marker = f'<tr id="objective-{pk}">'
        if marker in leader:
            _see(shown, ("objective", pk), "leader", _from(leader, marker, until="</tr>"))
    for kind, pk in re.findall(r'id="risk-(objective|key_result)-(\d+)"', leader):
        marker = f'id="risk-{kind}-{pk}"'
        pct = re.search(r"(\d+)% vs", leader[leader.index(marker) :])
        status = STATUS.search(leader[leader.index(marker) :])
        assert pct
        assert status
        _see(shown, (kind, int(pk)), "leader at risk", (int(pct.group(1)), status.group(1)))
    # The weekly digest's at-risk lines.
    for line in build_digest(world.workspace).at_risk:
        found = re.search(r"/objectives/(\d+)/(?:#kr-(\d+))?$", line.url)
        assert found, line.url
        key = ("key_result", int(found[2])) if found[2] else ("objective", int(found[1]))
        _see(shown, key, "digest", (line.percent, line.status))
    return shown


def _data(html: str, marker: str) -> tuple[int, str]:
    start = html.index(marker)
    found = re.search(r'data-percent="(\d+)" data-status="(\w+)"', html[start:])
    assert found, marker
    return int(found[1]), found[2]


# ---- the property --------------------------------------------------------------------------


def check(built: Built) -> None:
    shown = read_surfaces(built)
    ws = built.world.workspace
    nodes = {
        "objective": [o.pk for o in built.objectives],
        "key_result": [k.pk for k in built.key_results],
        "roadmap_item": [i.pk for i in built.items],
    }
    rows: dict[Key, RollupRow] = rollups_for(ws.pk, nodes)
    full = rollups.compute_all(ws)
    for kind, ids in nodes.items():
        for pk in ids:
            row = rows[(kind, pk)]
            truth = (row.percent, row.status)
            assert row.status in STATUSES
            surfaces = shown.get((kind, pk), {})
            wrong = {name: value for name, value in surfaces.items() if value != truth}
            assert not wrong, f"{kind} {pk}: read model says {truth}, surfaces show {wrong}"
            repaired = full[(kind, pk)]
            assert (repaired.progress, repaired.status) == (
                Decimal(str(row.progress)).quantize(Decimal("0.0001")),
                row.status,
            ), f"{kind} {pk}: a full recompute gives {repaired.progress} {repaired.status}"
    # Forecasts: computed from the row shown, and the same chance on the page and in the API.
    forecasts = forecasts_for(ws.pk, nodes)
    for key, forecast in forecasts.items():
        assert forecast.progress == pytest.approx(rows[key].progress, abs=1e-4), key
        surfaces = built.forecasts_shown.get(key, {})
        wrong = {name: value for name, value in surfaces.items() if value != forecast.percent}
        assert not wrong, f"{key}: forecast says {forecast.percent}%, surfaces show {wrong}"
    for pk in nodes["key_result"]:
        forecast = forecasts[("key_result", pk)]
        if forecast.status == "ready":
            assert {"objective page", "API"} <= set(built.forecasts_shown[("key_result", pk)])
    # Every objective and key result was seen by the pages and the API at least.
    for pk in nodes["objective"]:
        assert {"tree", "objective page", "API", "leader"} <= set(shown[("objective", pk)])
    for pk in nodes["key_result"]:
        assert {"objective page", "API"} <= set(shown[("key_result", pk)])


@pytest.fixture
def one_truth_world(db: None) -> World:
    return build_world("truth")


# The fixture is safe to share: every example rolls its savepoint back. No shrinking: an
# example is small already (at most 5 objectives, 3 items), Hypothesis prints it in full, and
# shrinking page-reading examples takes minutes.
@settings(
    max_examples=25,
    phases=[Phase.explicit, Phase.generate],
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(spec=world_specs())
def test_every_surface_shows_the_read_models_numbers(one_truth_world: World, spec: WorldSpec):
    # Each example in a savepoint rolled back at the end: the next starts from the bare world.
    with transaction.atomic():
        built = build(one_truth_world, spec)
        rollups.recompute_all(one_truth_world.workspace)  # the rollup job, as after a deploy
        change(built, spec)
        check(built)
        transaction.set_rollback(True)
