"""The sprint close page: the numbers before deciding, where unfinished work goes, the close."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from tasks import services
from tasks.models import SprintCarryOver, SprintStatus, Task
from tasks.models import StateCategory as C
from tasks.sprint_scope import sprint_scope
from tests.factories.work import SprintFactory, state_of

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 2, 9, tzinfo=UTC)


@pytest.fixture
def running(world):
    """An active sprint: Planned (3, open), Done (2, done), and Added (5) created after start."""
    sprint = SprintFactory(
        team=world.team,
        name="Sprint 7",
        start_date=START.date(),
        end_date=START.date() + timedelta(13),
    )
    following = SprintFactory(
        team=world.team,
        name="Sprint 8",
        start_date=START.date() + timedelta(14),
        end_date=START.date() + timedelta(27),
    )
    made = {}
    with time_machine.travel(START - timedelta(hours=2), tick=False):
        for title, points in (("Planned", 3), ("Done", 2)):
            made[title] = services.task_create(
                actor=world.member, team=world.team, title=title, estimate=points, sprint=sprint
            )
    with time_machine.travel(START, tick=False):
        services.sprint_start(actor=world.member, sprint=sprint)
    with time_machine.travel(START + timedelta(hours=3), tick=False):
        made["Added"] = services.task_create(
            actor=world.member, team=world.team, title="Added", estimate=5, sprint=sprint
        )
        services.task_transition(
            actor=world.member,
            task=Task.objects.get(pk=made["Done"].pk),
            to_state=state_of(world.team, C.DONE),
        )
    sprint.refresh_from_db()
    return sprint, following, made


def close_url(world, sprint) -> str:
    return reverse(
        "tasks:sprint_close",
        kwargs={"slug": world.workspace.slug, "team_id": world.team.pk, "sprint_id": sprint.pk},
    )


def test_the_page_shows_what_a_close_would_carry_over(world, running, member_client):
    sprint, _, made = running
    with time_machine.travel(START + timedelta(hours=5), tick=False):
        html = member_client.get(close_url(world, sprint)).content.decode()
    assert "Close Sprint 7" in html
    assert "2 unfinished tasks (8 points) will move on" in html
    assert made["Added"].key in html
    assert f'<option value="{running[1].pk}" selected>Sprint 8 (planned)</option>' in html


def test_closing_moves_unfinished_work_and_matches_the_numbers(world, running, member_client):
    sprint, following, made = running
    with time_machine.travel(START + timedelta(days=2), tick=False):
        response = member_client.post(close_url(world, sprint), {"carry_to": str(following.pk)})
    assert response.status_code == 303
    sprint.refresh_from_db()
    assert sprint.status == SprintStatus.CLOSED
    moved = set(
        SprintCarryOver.objects.filter(from_sprint=sprint).values_list("task_id", flat=True)
    )
    assert moved == {made["Planned"].pk, made["Added"].pk}
    assert set(Task.objects.filter(sprint=following).values_list("pk", flat=True)) == moved
    scope = sprint_scope(sprint, as_of=START + timedelta(days=3))
    assert set(scope.carried_over.task_ids) == moved
    page = member_client.get(response["Location"]).content.decode()
    assert "Sprint 7 is closed. 2 unfinished tasks moved to Sprint 8." in page
    assert "Carried over" in page


def test_unfinished_work_can_go_to_the_backlog(world, running, member_client):
    sprint, _, made = running
    response = member_client.post(close_url(world, sprint), {"carry_to": "backlog"})
    assert response.status_code == 303
    assert Task.objects.get(pk=made["Planned"].pk).sprint_id is None


def test_closing_a_sprint_that_is_already_closed_is_refused(world, running, member_client):
    sprint, _, _ = running
    member_client.post(close_url(world, sprint), {"carry_to": "backlog"})
    carried = SprintCarryOver.objects.count()
    response = member_client.post(close_url(world, sprint), {"carry_to": "backlog"})
    assert response.status_code == 409
    assert "Sprint 7 is closed, not active." in response.content.decode()
    assert SprintCarryOver.objects.count() == carried


def test_a_viewer_sees_the_numbers_but_no_close_form(world, running, viewer_client):
    sprint, _, _ = running
    html = viewer_client.get(close_url(world, sprint)).content.decode()
    assert "Sprint numbers" in html
    assert 'name="carry_to"' not in html
    assert viewer_client.post(close_url(world, sprint), {"carry_to": "backlog"}).status_code == 403
    sprint.refresh_from_db()
    assert sprint.status == SprintStatus.ACTIVE


def test_another_teams_sprint_is_404(world, running, member_client):
    sprint, _, _ = running
    other = SprintFactory(workspace=world.workspace, team__workspace=world.workspace)
    url = reverse(
        "tasks:sprint_close",
        kwargs={"slug": world.workspace.slug, "team_id": world.team.pk, "sprint_id": other.pk},
    )
    assert member_client.get(url).status_code == 404


def test_the_board_links_to_the_close_page(world, running, member_client):
    sprint, _, _ = running
    board = reverse("tasks:board", kwargs={"slug": world.workspace.slug, "team_id": world.team.pk})
    html = member_client.get(board).content.decode()
    assert f'href="{close_url(world, sprint)}">Close sprint…</a>' in html
