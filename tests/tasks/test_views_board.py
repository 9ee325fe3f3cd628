"""Board pages: rendering, card moves (versioned), quick edit, query counts, the boards list.

Backlog, bulk actions, planning and workflow pages are in test_views_backlog.py."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from alignment.models import Team
from tasks import ranking
from tasks.models import (
    Sprint,
    StateCategory,
    Task,
    TaskLabel,
    WorkflowState,
)
from tests.conftest import World
from tests.factories.work import (
    KeyResultLinkFactory,
    LabelFactory,
    RoadmapItemFactory,
    SprintFactory,
    TaskFactory,
    state_of,
)
from tests.querycount import assert_flat_queries

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def sprint(team: Team) -> Sprint:
    return SprintFactory(team=team, name="Sprint 7", status="active")


def board_url(world: World, team: Team, **query: str) -> str:
    url = reverse("tasks:board", kwargs={"slug": world.workspace.slug, "team_id": team.pk})
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def backlog_url(world: World, team: Team) -> str:
    return reverse("tasks:backlog", kwargs={"slug": world.workspace.slug, "team_id": team.pk})


def move_url(world: World, task: Task) -> str:
    return reverse("tasks:move", kwargs={"slug": world.workspace.slug, "key": task.key})


# ---- board ------------------------------------------------------------------------------


def test_board_shows_each_column_with_its_cards(member_client, world, team, sprint, todo, doing):
    TaskFactory(team=team, sprint=sprint, state=todo, title="Write the importer")
    TaskFactory(team=team, sprint=sprint, state=doing, title="Fix the login")

    response = member_client.get(board_url(world, team))

    assert response.status_code == 200
    columns = [c.state.name for c in response.context["board"].columns]
    assert columns == ["Backlog", "Todo", "In Progress", "In Review", "Done", "Canceled"]
    by_state = {c.state.name: [t.title for t in c.tasks] for c in response.context["board"].columns}
    assert by_state["Todo"] == ["Write the importer"]
    assert by_state["In Progress"] == ["Fix the login"]


def test_card_shows_key_assignee_initials_points_labels_and_kr_badge(
    member_client, world, team, sprint, todo
):
    item = RoadmapItemFactory(roadmap__workspace=world.workspace)
    KeyResultLinkFactory(item=item)  # KR "Cut churn"
    task = TaskFactory(
        team=team,
        sprint=sprint,
        state=todo,
        assignee=world.member.user,
        estimate=Decimal("3"),
        roadmap_item=item,
    )
    label = LabelFactory(workspace=world.workspace, name="backend")
    TaskLabel.objects.create(workspace=world.workspace, task=task, label=label)

    html = member_client.get(board_url(world, team)).content.decode()

    assert f'id="task-{task.key}"' in html
    assert world.member.user.initials in html
    assert '<span class="points" title="Points">3</span>' in html
    assert '<span class="label-chip">backend</span>' in html
    assert "KR · Cut churn" in html


def test_a_column_over_its_wip_limit_is_flagged(member_client, world, team, sprint, doing):
    doing.wip_limit = 1
    doing.save()
    TaskFactory.create_batch(2, team=team, sprint=sprint, state=doing)

    response = member_client.get(board_url(world, team))

    column = next(c for c in response.context["board"].columns if c.state == doing)
    assert column.over_wip_limit is True
    assert "board-column over-limit" in response.content.decode()


def test_board_filters_by_assignee(member_client, world, team, sprint, todo):
    mine = TaskFactory(team=team, sprint=sprint, state=todo, assignee=world.member.user)
    TaskFactory(team=team, sprint=sprint, state=todo, assignee=world.admin.user)

    response = member_client.get(board_url(world, team, assignee=str(world.member.user.pk)))

    assert [t.pk for t in response.context["board"].tasks] == [mine.pk]


def test_board_htmx_request_answers_the_board_partial(member_client, world, team, sprint):
    response = member_client.get(board_url(world, team), **HTMX)

    assert [t.name for t in response.templates][0] == "tasks/_board.html"


def test_board_of_another_teams_sprint_id_is_404(member_client, world, team, other_team):
    theirs = SprintFactory(team=other_team, status="active")

    response = member_client.get(board_url(world, team, sprint=str(theirs.pk)))

    assert response.status_code == 404


def test_board_without_an_active_sprint_says_so(member_client, world, team):
    response = member_client.get(board_url(world, team))

    assert response.status_code == 200
    assert "No active sprint" in response.content.decode()


@pytest.mark.parametrize("expand", [False, True], ids=["first-cards", "a-column-whole"])
def test_board_query_count_does_not_grow_to_a_300_task_sprint(
    member_client, world, team, sprint, todo, expand
):
    item = RoadmapItemFactory(roadmap__workspace=world.workspace)
    KeyResultLinkFactory(item=item)
    label = LabelFactory(workspace=world.workspace)
    TaskFactory(team=team, sprint=sprint, state=todo, roadmap_item=item)

    def grow() -> None:
        states = list(WorkflowState.objects.filter(team=team))

        rank = Task.objects.order_by("-rank").values_list("rank", flat=True)[0]
        tasks = []
        for n in range(299):
            rank = ranking.key_between(rank, None)
            state = states[n % len(states)]
            tasks.append(
                Task(
                    workspace=world.workspace,
                    team=team,
                    number=1000 + n,
                    title=f"Bulk task {n}",
                    state=state,
                    state_category=state.category,
                    sprint=sprint,
                    roadmap_item=item if n % 2 else None,
                    assignee=world.member.user if n % 3 else None,
                    estimate=Decimal(n % 5),
                    rank=rank,
                )
            )

        created = Task.objects.bulk_create(tasks)
        TaskLabel.objects.bulk_create(
            TaskLabel(workspace=world.workspace, task=t, label=label) for t in created[::4]
        )

    url = board_url(world, team) + (f"?expand={todo.pk}" if expand else "")
    # 8: the standards badge reads a cached per-workspace flag, not the database.
    assert_flat_queries(member_client, url, grow=grow, budget=8)
    assert Task.objects.filter(sprint=sprint).count() == 300


# ---- moves ------------------------------------------------------------------------------


def test_a_drop_moves_the_card_to_the_column_between_its_neighbours(
    member_client, world, team, sprint, todo, done
):
    first = TaskFactory(team=team, sprint=sprint, state=done)
    second = TaskFactory(team=team, sprint=sprint, state=done)
    card = TaskFactory(team=team, sprint=sprint, state=todo)

    response = member_client.post(
        move_url(world, card),
        {"state": done.pk, "after": first.key, "before": second.key, "version": card.version},
        **HTMX,
    )

    assert response.status_code == 200
    card.refresh_from_db()
    assert card.state == done
    assert card.state_category == StateCategory.DONE
    assert first.rank < card.rank < second.rank
    assert f'id="task-{card.key}"' in response.content.decode()
    assert f'data-version="{card.version}"' in response.content.decode()


def test_a_drop_with_a_stale_version_is_refused_with_409_and_nothing_moves(
    member_client, world, team, sprint, todo, done
):
    card = TaskFactory(team=team, sprint=sprint, state=todo)
    stale = card.version
    Task.objects.filter(pk=card.pk).update(version=stale + 1)
    rank = card.rank

    response = member_client.post(
        move_url(world, card), {"state": done.pk, "version": stale}, **HTMX
    )

    assert response.status_code == 409
    assert "changed by someone else" in response.content.decode()
    assert response["HX-Retarget"] == "#flash"
    card.refresh_from_db()
    assert (card.state_id, card.rank) == (todo.pk, rank)


def test_a_drop_into_another_teams_column_is_refused(
    member_client, world, team, other_team, sprint, todo
):
    card = TaskFactory(team=team, sprint=sprint, state=todo)
    theirs = state_of(other_team, StateCategory.DONE)

    response = member_client.post(
        move_url(world, card), {"state": theirs.pk, "version": card.version}, **HTMX
    )

    assert response.status_code == 409
    card.refresh_from_db()
    assert card.state_id == todo.pk


def test_a_move_without_a_version_is_refused_with_422(member_client, world, team, sprint, todo):
    card = TaskFactory(team=team, sprint=sprint, state=todo)

    response = member_client.post(move_url(world, card), {"state": todo.pk}, **HTMX)

    assert response.status_code == 422
    card.refresh_from_db()
    assert card.version == 1


def test_a_viewer_cannot_move_a_card(viewer_client, world, team, sprint, todo, done):
    card = TaskFactory(team=team, sprint=sprint, state=todo)

    response = viewer_client.post(move_url(world, card), {"state": done.pk, "version": 1})

    assert response.status_code == 403
    card.refresh_from_db()
    assert card.state_id == todo.pk


def test_quick_edit_sets_assignee_and_points_and_answers_the_card(
    member_client, world, team, sprint, todo
):
    card = TaskFactory(team=team, sprint=sprint, state=todo)
    url = reverse("tasks:quick_edit", kwargs={"slug": world.workspace.slug, "key": card.key})

    response = member_client.post(
        url,
        {"assignee": world.admin.user.pk, "estimate": "5", "version": card.version},
        **HTMX,
    )

    assert response.status_code == 200
    assert response["HX-Retarget"] == f"#task-{card.key}"
    card.refresh_from_db()
    assert (card.assignee_id, card.estimate) == (world.admin.user.pk, Decimal("5"))


def test_quick_edit_with_a_person_of_another_workspace_is_refused(
    member_client, world, world_b, team, sprint, todo
):
    card = TaskFactory(team=team, sprint=sprint, state=todo)
    url = reverse("tasks:quick_edit", kwargs={"slug": world.workspace.slug, "key": card.key})

    response = member_client.post(
        url, {"assignee": world_b.member.user.pk, "estimate": "", "version": 1}, **HTMX
    )

    assert response.status_code == 422
    card.refresh_from_db()
    assert card.assignee_id is None


def test_boards_page_lists_teams_with_their_active_sprint(member_client, world, team, sprint):
    response = member_client.get(reverse("tasks:boards", kwargs={"slug": world.workspace.slug}))

    assert response.context["rows"] == [(team, sprint)]
