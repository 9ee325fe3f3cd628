"""Backlog, bulk actions, planning and workflow pages: paging, scoping, capacity, columns."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from alignment.models import Team, TeamMember
from tasks import ranking
from tasks.models import (
    Sprint,
    SprintCapacity,
    Task,
    TaskLabel,
    WorkflowState,
)
from tests.conftest import World
from tests.factories.core import TeamFactory
from tests.factories.work import (
    LabelFactory,
    SprintFactory,
    TaskFactory,
    state_of,
)
from tests.querycount import assert_flat_queries
from tests.tasks.test_views_board import HTMX, backlog_url


@pytest.fixture
def sprint(team: Team) -> Sprint:
    return SprintFactory(team=team, name="Sprint 7", status="active")


# ---- backlog ----------------------------------------------------------------------------


def test_backlog_lists_open_unplanned_tasks_in_rank_order(member_client, world, team, sprint, done):
    first = TaskFactory(team=team)
    second = TaskFactory(team=team)
    TaskFactory(team=team, sprint=sprint)  # planned
    TaskFactory(team=team, state=done, state_category="done")  # finished

    response = member_client.get(backlog_url(world, team))

    assert [t.pk for t in response.context["page"].tasks] == [first.pk, second.pk]


def test_backlog_pages_follow_the_cursor_without_gaps_or_repeats(member_client, world, team):
    tasks = TaskFactory.create_batch(5, team=team)

    first = member_client.get(backlog_url(world, team) + "?size=2")
    cursor = first.context["page"].next_cursor
    second = member_client.get(backlog_url(world, team) + f"?size=2&after={cursor}", **HTMX)
    third = member_client.get(
        backlog_url(world, team) + f"?size=2&after={second.context['page'].next_cursor}", **HTMX
    )

    seen = [t.pk for r in (first, second, third) for t in r.context["page"].tasks]
    assert seen == [t.pk for t in tasks]
    assert third.context["page"].next_cursor is None
    assert [t.name for t in second.templates][0] == "tasks/_backlog_rows.html"


def test_backlog_page_size_is_capped_at_200(member_client, world, team):
    TaskFactory(team=team)

    response = member_client.get(backlog_url(world, team) + "?size=5000")

    assert response.context["page"].size == 200


def test_backlog_with_a_malformed_cursor_is_400(member_client, world, team):
    response = member_client.get(backlog_url(world, team) + "?after=nonsense")

    assert response.status_code == 400


def test_backlog_query_count_does_not_grow_to_5000_tasks(member_client, world, team):
    label = LabelFactory(workspace=world.workspace)
    TaskFactory(team=team)
    state = state_of(team)

    def grow() -> None:
        rank = Task.objects.order_by("-rank").values_list("rank", flat=True)[0]
        tasks = []
        for n in range(4999):
            rank = ranking.key_between(rank, None)
            tasks.append(
                Task(
                    workspace=world.workspace,
                    team=team,
                    number=10000 + n,
                    title=f"Backlog task {n}",
                    state=state,
                    state_category=state.category,
                    rank=rank,
                    assignee=world.member.user if n % 2 else None,
                )
            )
        created = Task.objects.bulk_create(tasks, batch_size=500)
        TaskLabel.objects.bulk_create(
            (TaskLabel(workspace=world.workspace, task=t, label=label) for t in created[::7]),
            batch_size=500,
        )

    assert_flat_queries(member_client, backlog_url(world, team), grow=grow, budget=8)
    assert Task.objects.filter(team=team).count() == 5000


def bulk_url(world: World, team: Team) -> str:
    return reverse("tasks:backlog_bulk", kwargs={"slug": world.workspace.slug, "team_id": team.pk})


def test_bulk_move_to_sprint_moves_every_checked_task(member_client, world, team, sprint):
    tasks = TaskFactory.create_batch(3, team=team)

    response = member_client.post(
        bulk_url(world, team),
        {"tasks": [t.pk for t in tasks[:2]], "action": "sprint", "sprint": sprint.pk},
    )

    assert response.status_code == 303
    assert list(Task.objects.filter(sprint=sprint).order_by("pk")) == tasks[:2]


def test_bulk_with_a_task_of_another_workspace_changes_nothing(
    member_client, world, world_b, team, sprint
):
    mine = TaskFactory(team=team)
    theirs = TaskFactory(team=world_b.team)

    response = member_client.post(
        bulk_url(world, team),
        {"tasks": [mine.pk, theirs.pk], "action": "estimate", "estimate": "8"},
    )

    assert response.status_code == 404
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.estimate, theirs.estimate) == (None, None)


def test_bulk_on_a_backlog_leaves_other_teams_tasks_alone(member_client, world, team):
    other_team = TeamFactory(workspace=world.workspace, key="OPS", name="Operations")
    mine = TaskFactory(team=team)
    theirs = TaskFactory(team=other_team)

    response = member_client.post(
        bulk_url(world, team),
        {"tasks": [mine.pk, theirs.pk], "action": "estimate", "estimate": "8"},
    )

    assert response.status_code == 404
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.estimate, theirs.estimate) == (None, None)


def test_bulk_without_a_selection_answers_422(member_client, world, team, sprint):
    response = member_client.post(bulk_url(world, team), {"action": "sprint", "sprint": sprint.pk})

    assert response.status_code == 422
    assert "Select at least one task." in response.content.decode()


def test_bulk_label_adds_the_label(member_client, world, team):
    task = TaskFactory(team=team)
    label = LabelFactory(workspace=world.workspace, name="urgent-fix")

    member_client.post(
        bulk_url(world, team), {"tasks": [task.pk], "action": "label", "label": label.pk}
    )

    assert list(task.labels.all()) == [label]


# ---- planning and workflow --------------------------------------------------------------


def test_planning_compares_capacity_with_committed_points_per_person(
    member_client, world, team, todo
):
    planned = SprintFactory(team=team, status="planned", start_date=date(2026, 2, 2))
    TaskFactory(team=team, sprint=planned, state=todo, assignee=world.member.user, estimate=5)
    TaskFactory(team=team, sprint=planned, state=todo, assignee=world.member.user, estimate=3)
    SprintCapacity.objects.create(
        workspace=world.workspace, sprint=planned, user=world.member.user, points=6
    )
    url = reverse("tasks:planning", kwargs={"slug": world.workspace.slug, "team_id": team.pk})

    response = member_client.get(url)

    [row] = response.context["rows"]
    assert (row["load"].committed, row["load"].capacity) == (Decimal(8), Decimal(6))
    assert row["load"].over_capacity is True
    assert "Over capacity" in response.content.decode()


def test_planning_saves_a_persons_capacity(member_client, world, team):
    planned = SprintFactory(team=team, status="planned")
    TeamMember.objects.create(workspace=world.workspace, team=team, user=world.member.user)
    url = reverse("tasks:planning", kwargs={"slug": world.workspace.slug, "team_id": team.pk})

    response = member_client.post(
        url, {"sprint": planned.pk, "user": world.member.user.pk, "points": "12"}
    )

    assert response.status_code == 303
    assert SprintCapacity.objects.get(sprint=planned).points == Decimal("12")


def test_the_capacity_form_offers_only_the_teams_members(member_client, world, team):
    planned = SprintFactory(team=team, status="planned")
    TeamMember.objects.create(workspace=world.workspace, team=team, user=world.admin.user)
    url = reverse("tasks:planning", kwargs={"slug": world.workspace.slug, "team_id": team.pk})

    offered = list(member_client.get(url).context["form"].fields["user"].queryset)
    refused = member_client.post(
        url, {"sprint": planned.pk, "user": world.member.user.pk, "points": "12"}
    )

    assert offered == [world.admin.user]
    assert refused.status_code == 422
    assert not SprintCapacity.objects.filter(sprint=planned).exists()


def test_an_admin_sets_a_wip_limit(admin_client, world, team, doing):
    url = reverse(
        "tasks:workflow_state",
        kwargs={"slug": world.workspace.slug, "team_id": team.pk, "workflow_state_id": doing.pk},
    )
    prefix = f"s{doing.pk}"

    response = admin_client.post(
        url,
        {
            f"{prefix}-name": "Doing",
            f"{prefix}-category": "started",
            f"{prefix}-wip_limit": "3",
            f"{prefix}-position": doing.position,
        },
    )

    assert response.status_code == 303
    doing.refresh_from_db()
    assert (doing.name, doing.wip_limit) == ("Doing", 3)


def test_moving_a_column_left_swaps_it_with_its_neighbour(admin_client, world, team, todo):
    url = reverse(
        "tasks:workflow_state",
        kwargs={"slug": world.workspace.slug, "team_id": team.pk, "workflow_state_id": todo.pk},
    )

    admin_client.post(url, {"move": "up"})

    names = list(
        WorkflowState.objects.filter(team=team).order_by("position").values_list("name", flat=True)
    )
    assert names[:2] == ["Todo", "Backlog"]


def test_a_member_cannot_change_the_workflow(member_client, world, team, doing):
    url = reverse(
        "tasks:workflow_state",
        kwargs={"slug": world.workspace.slug, "team_id": team.pk, "workflow_state_id": doing.pk},
    )

    response = member_client.post(url, {"move": "up"})

    assert response.status_code == 403
    doing.refresh_from_db()
    assert doing.position == 2


def test_an_admin_adds_a_column(admin_client, world, team):
    url = reverse("tasks:workflow", kwargs={"slug": world.workspace.slug, "team_id": team.pk})

    response = admin_client.post(url, {"new-name": "QA", "new-category": "started"})

    assert response.status_code == 303
    assert WorkflowState.objects.filter(team=team, name="QA", category="started").exists()


def test_backlog_pages_split_rows_that_tie_on_rank_without_losing_or_repeating_one(
    member_client, world, team
):
    tasks = TaskFactory.create_batch(7, team=team)
    Task.objects.filter(pk__in=[t.pk for t in tasks]).update(rank="i5")
    keys, url = [], backlog_url(world, team) + "?size=3"
    while url:
        response = member_client.get(url, HTTP_HX_REQUEST="true")
        html = response.content.decode()
        keys += re.findall(r'id="task-([A-Z0-9]+-\d+)"', html)
        found = re.search(r'hx-get="([^"]*after=[^"]*)"', html)
        url = found.group(1).replace("&amp;", "&") if found else ""

    assert keys == [t.key for t in sorted(tasks, key=lambda t: t.pk)]
