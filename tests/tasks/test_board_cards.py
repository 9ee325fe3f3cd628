"""The board's cards: first cards per column, the rest per column, every card reachable,
escaped markup, and filters whose choices load on first use."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from alignment.models import Team
from tasks import board_selectors
from tasks.models import Sprint, Task, TaskLabel, WorkflowState
from tests.conftest import World
from tests.factories.work import LabelFactory, SprintFactory, TaskFactory, ranked_tasks

HTMX = {"HTTP_HX_REQUEST": "true"}
PER_COLUMN = board_selectors.BOARD_COLUMN_PAGE


@pytest.fixture
def sprint(team: Team) -> Sprint:
    return SprintFactory(team=team, name="Sprint 7", status="active")


def board_url(world: World, team: Team) -> str:
    return reverse("tasks:board", kwargs={"slug": world.workspace.slug, "team_id": team.pk})


def fill(world: World, team: Team, sprint: Sprint, state: WorkflowState, n: int) -> list[Task]:
    """`n` tasks in one column, in rank order (bulk: the board is what is tested)."""
    return ranked_tasks(team, state, n, title="Card", sprint=sprint, estimate=Decimal(1))


def card_keys(html: str) -> list[str]:
    return re.findall(r'<li class="task-card[^"]*" id="task-([A-Z0-9]+-\d+)"', html)


def more_link(html: str) -> str | None:
    found = re.search(r'hx-get="([^"]*column=[^"]*)"', html)
    return found.group(1).replace("&amp;", "&") if found else None


def test_a_column_shows_its_first_cards_and_counts_them_all(
    member_client, world, team, sprint, todo
):
    fill(world, team, sprint, todo, PER_COLUMN + 12)

    response = member_client.get(board_url(world, team))

    column = next(c for c in response.context["board"].columns if c.state == todo)
    assert (len(column.tasks), column.count, column.points) == (PER_COLUMN, PER_COLUMN + 12, 42)
    html = response.content.decode()
    assert len(card_keys(html)) == PER_COLUMN
    assert 'data-remaining="12"' in html
    assert "Show 12 more" in html


def test_every_card_of_a_long_column_is_reachable_once_through_show_more(
    member_client, world, team, sprint, todo, doing
):
    made = fill(world, team, sprint, todo, PER_COLUMN + board_selectors.BOARD_MORE_PAGE + 5)
    fill(world, team, sprint, doing, 3)  # another column: never mixed in
    # Ties on rank are broken by id, across page boundaries too.
    Task.objects.filter(pk__in=[t.pk for t in made[PER_COLUMN - 2 : PER_COLUMN + 2]]).update(
        rank=made[PER_COLUMN - 2].rank
    )
    expected = list(
        Task.objects.filter(state=todo, sprint=sprint)
        .order_by("rank", "pk")
        .values_list("number", flat=True)
    )

    html = member_client.get(board_url(world, team)).content.decode()
    seen = [k for k in card_keys(html) if int(k.split("-")[1]) in set(expected)]
    link = more_link(html)
    pages = 0
    while link:
        part = member_client.get(link, **HTMX)
        assert part.status_code == 200
        chunk = part.content.decode()
        seen += card_keys(chunk)
        link = more_link(chunk)
        pages += 1

    assert pages == 2
    assert [int(k.split("-")[1]) for k in seen] == expected


def test_a_column_expands_whole_without_javascript(member_client, world, team, sprint, todo):
    fill(world, team, sprint, todo, PER_COLUMN + 4)

    response = member_client.get(board_url(world, team) + f"?expand={todo.pk}")

    assert len(card_keys(response.content.decode())) == PER_COLUMN + 4


def test_show_more_of_a_column_of_another_team_is_404(
    member_client, world, team, other_team, sprint
):
    theirs = WorkflowState.objects.filter(team=other_team).first()

    response = member_client.get(board_url(world, team) + f"?column={theirs.pk}&after=i1.1", **HTMX)

    assert response.status_code == 404


def test_a_bad_show_more_cursor_is_400(member_client, world, team, sprint, todo):
    response = member_client.get(board_url(world, team) + f"?column={todo.pk}&after=x", **HTMX)

    assert response.status_code == 400


def test_card_text_is_escaped(member_client, world, team, sprint, todo):
    task = TaskFactory(team=team, sprint=sprint, state=todo, title='<script>alert("x")</script>')
    label = LabelFactory(workspace=world.workspace, name="<b>hot</b>")
    TaskLabel.objects.create(workspace=world.workspace, task=task, label=label)

    html = member_client.get(board_url(world, team)).content.decode()

    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert '<span class="label-chip">&lt;b&gt;hot&lt;/b&gt;</span>' in html


def test_a_viewers_cards_cannot_be_dragged_or_edited(viewer_client, world, team, sprint, todo):
    TaskFactory(team=team, sprint=sprint, state=todo)

    html = viewer_client.get(board_url(world, team)).content.decode()

    assert card_keys(html)
    assert "data-move-url" not in html
    assert "Quick edit" not in html


def test_the_card_endpoint_answers_the_same_markup_as_the_board(
    member_client, world, team, sprint, todo
):
    task = TaskFactory(team=team, sprint=sprint, state=todo, estimate=Decimal("2.5"))
    board = member_client.get(board_url(world, team)).content.decode()
    card_url = reverse("tasks:card", kwargs={"slug": world.workspace.slug, "key": task.key})

    card = member_client.get(card_url).content.decode()

    assert card.startswith(f'<li class="task-card" id="task-{task.key}"')
    assert card in board
    assert '<span class="points" title="Points">2.5</span>' in card


def test_filter_choices_load_when_first_used(member_client, world, team, sprint):
    LabelFactory(workspace=world.workspace, name="backend")

    page = member_client.get(board_url(world, team)).content.decode()
    form = member_client.get(board_url(world, team) + "?part=filters", **HTMX)

    assert ">backend</option>" not in page
    assert "part=filters" in page
    assert form.status_code == 200
    assert ">backend</option>" in form.content.decode()
    assert 'id="work-filters"' in form.content.decode()


def test_a_set_filter_shows_its_choices_at_once(member_client, world, team, sprint):
    label = LabelFactory(workspace=world.workspace, name="backend")

    page = member_client.get(board_url(world, team) + f"?label={label.pk}").content.decode()

    assert f'<option value="{label.pk}" selected>backend</option>' in page
