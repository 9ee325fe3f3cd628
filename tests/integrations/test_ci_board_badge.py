"""The CI badge on board cards: shown per task, and one query for the whole board."""

from __future__ import annotations

from django.urls import reverse

from integrations.models import ExternalLink, Provider
from integrations.selectors import ci_states_by_key
from tasks.models import Sprint
from tests.factories.work import SprintFactory, TaskFactory
from tests.querycount import assert_flat_queries


def board_url(world) -> str:
    return reverse("tasks:board", kwargs={"slug": world.workspace.slug, "team_id": world.team.pk})


def pr_for(world, key: str, n: int, state: str, pr_state: str = "open") -> ExternalLink:
    return ExternalLink.objects.create(
        workspace=world.workspace,
        provider=Provider.GITHUB,
        kind="pull_request",
        external_id=f"pr-{n}",
        task_key=key,
        state=pr_state,
        checks={"CI / test": {"state": state, "url": "", "at": "2026-12-01T10:00:00+00:00"}},
    )


def active_sprint(world) -> Sprint:
    return SprintFactory(team=world.team, name="Sprint 1", status="active")


def test_cards_show_the_ci_state_of_their_open_pr(world, member_client):
    sprint = active_sprint(world)
    failing = TaskFactory(team=world.team, sprint=sprint, title="Failing one")
    passing = TaskFactory(team=world.team, sprint=sprint, title="Passing one")
    quiet = TaskFactory(team=world.team, sprint=sprint, title="No CI")
    pr_for(world, failing.key, 1, "failing")
    pr_for(world, passing.key, 2, "passing")
    pr_for(world, quiet.key, 3, "failing", pr_state="merged")  # a merged PR's CI is history
    html = member_client.get(board_url(world)).content.decode()
    card = html.split(f'id="task-{failing.key}"', 1)[1].split("</li>", 1)[0]
    assert 'data-ci="failing"' in card
    card = html.split(f'id="task-{passing.key}"', 1)[1].split("</li>", 1)[0]
    assert 'data-ci="passing"' in card
    card = html.split(f'id="task-{quiet.key}"', 1)[1].split("</li>", 1)[0]
    assert "data-ci" not in card


def test_the_worst_state_of_several_prs_wins(world):
    task = TaskFactory(team=world.team)
    pr_for(world, task.key, 1, "passing")
    pr_for(world, task.key, 2, "running")
    assert ci_states_by_key(world.workspace.pk) == {task.key: "running"}


def test_the_badge_costs_one_query_for_the_whole_board(world, member_client):
    sprint = active_sprint(world)
    first = TaskFactory(team=world.team, sprint=sprint)
    pr_for(world, first.key, 0, "failing")

    def grow():
        for n in range(1, 15):
            task = TaskFactory(team=world.team, sprint=sprint)
            pr_for(world, task.key, n, ["failing", "passing", "running"][n % 3])

    assert_flat_queries(member_client, board_url(world), grow=grow, budget=25)
