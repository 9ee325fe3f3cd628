"""A card message says where the card sits now: its column, sprint and neighbours by rank,
read in one prepared query (live.subscribers.card_message)."""

from __future__ import annotations

from datetime import UTC, datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext

from live.subscribers import card_message
from tasks.models import StateCategory, Task
from tests.conftest import World
from tests.factories.core import TeamFactory
from tests.factories.work import SprintFactory, TaskFactory, state_of


def _message(task: Task) -> dict:
    found = card_message(task.pk, fields=("state",))
    assert found is not None
    card, message = found
    assert (card.task_id, card.workspace_id, card.team_id, card.key) == (
        task.pk,
        task.workspace_id,
        task.team_id,
        task.key,
    )
    return message


def test_a_sprint_card_names_its_neighbours_in_its_own_column_only(world: World) -> None:
    sprint = SprintFactory(team=world.team, status="active")
    todo = state_of(world.team, StateCategory.UNSTARTED)
    doing = state_of(world.team, StateCategory.STARTED)
    first, middle, last = (
        TaskFactory(team=world.team, sprint=sprint, state=todo) for _ in range(3)
    )
    # Neither another column, nor the backlog, nor another team's board is a neighbour.
    TaskFactory(team=world.team, sprint=sprint, state=doing)
    TaskFactory(team=world.team, sprint=None, state=todo)
    TaskFactory(team=TeamFactory(workspace=world.workspace), sprint=None)

    message = _message(middle)

    assert message == {
        "type": "card",
        "topic": f"board:{world.team.pk}",
        "key": middle.key,
        "version": middle.version,
        "state": todo.pk,
        "sprint": sprint.pk,
        "after": first.key,
        "before": last.key,
        "fields": ["state"],
    }
    assert (_message(first)["after"], _message(first)["before"]) == (None, middle.key)
    assert (_message(last)["after"], _message(last)["before"]) == (middle.key, None)


def test_a_backlog_card_is_placed_among_backlog_cards_and_skips_archived_ones(
    world: World,
) -> None:
    todo = state_of(world.team, StateCategory.UNSTARTED)
    sprint = SprintFactory(team=world.team, status="active")
    first = TaskFactory(team=world.team, sprint=None, state=todo)
    TaskFactory(team=world.team, sprint=sprint, state=todo)  # same state, in a sprint
    archived = TaskFactory(team=world.team, sprint=None, state=todo)
    Task.all_objects.filter(pk=archived.pk).update(
        archived_at=datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    )
    card = TaskFactory(team=world.team, sprint=None, state=todo)

    message = _message(card)

    assert (message["sprint"], message["after"], message["before"]) == (None, first.key, None)


def test_a_merged_card_leaves_the_board_and_a_missing_one_sends_nothing(world: World) -> None:
    kept = TaskFactory(team=world.team)
    merged = TaskFactory(team=world.team)
    Task.all_objects.filter(pk=merged.pk).update(merged_into=kept)

    found = card_message(merged.pk)

    assert found is not None
    assert found[1] == {
        "type": "card.removed",
        "topic": f"board:{world.team.pk}",
        "key": merged.key,
    }
    assert card_message(10**9) is None


def test_a_card_message_is_one_query(world: World) -> None:
    card = TaskFactory(team=world.team)
    with CaptureQueriesContext(connection) as queries:
        card_message(card.pk)
    assert len(queries) == 1
