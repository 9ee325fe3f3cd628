"""`alignment task show` prints the read model's numbers (the API's percent), and `task done`
moves them, over real HTTP."""

import re
from decimal import Decimal

import pytest
from alignment_cli.main import app

from okrs.models import KeyResult
from readmodel.selectors import rollups_for
from tests.factories.work import (
    KeyResultLinkFactory,
    RoadmapItemFactory,
    TaskFactory,
    key_result_in,
)

pytestmark = pytest.mark.django_db(transaction=True)


def _percents(output: str) -> dict[str, int]:
    """The percent printed after each title of the line."""
    found = {}
    for line in output.splitlines():
        match = re.search(r"↳ (?:KR \d+: )?(.+?)  (?:\(roadmap item\)  )?[█░]+\s+(\d+)%", line)
        if match:
            found[match.group(1)] = int(match.group(2))
    return found


def test_task_show_prints_the_rows_and_done_moves_them(runner, logged_in, world):
    kr = key_result_in(world.workspace, title="Board loads in 50 ms")
    KeyResult.objects.filter(pk=kr.pk).update(source="tasks")
    item = RoadmapItemFactory(roadmap__workspace=world.workspace, title="Fast boards")
    KeyResultLinkFactory(item=item, key_result=kr)
    mine = TaskFactory(
        team=world.team, roadmap_item=item, assignee=world.member.user, estimate=Decimal(1)
    )
    TaskFactory(team=world.team, roadmap_item=item, estimate=Decimal(3))

    before = runner.invoke(app, ["task", "show", mine.key])
    assert before.exit_code == 0, before.output
    assert _percents(before.output) == {
        "Fast boards": 0,
        "Board loads in 50 ms": 0,
        kr.objective.title: 0,
    }

    done = runner.invoke(app, ["task", "done", mine.key])
    assert done.exit_code == 0, done.output
    after = runner.invoke(app, ["task", "show", mine.key])
    rows = rollups_for(
        world.workspace.pk,
        {"roadmap_item": [item.pk], "key_result": [kr.pk], "objective": [kr.objective_id]},
    )
    assert _percents(after.output) == {
        "Fast boards": rows[("roadmap_item", item.pk)].percent,
        "Board loads in 50 ms": rows[("key_result", kr.pk)].percent,
        kr.objective.title: rows[("objective", kr.objective_id)].percent,
    }
    assert rows[("key_result", kr.pk)].percent == 25
