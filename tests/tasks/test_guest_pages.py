"""What a guest's pages offer beyond their teams' tasks (docs/teams.md, "Guests"): filters
that fit their teams, and no key result or objective titles on the task page or My work."""

from __future__ import annotations

import pytest

from alignment.models import TeamMember
from tasks.models import TaskLabel
from tests.conftest import build_guest, client_for
from tests.factories import TeamFactory
from tests.factories.okrs import KeyResultFactory, ObjectiveFactory, PeriodFactory
from tests.factories.work import (
    KeyResultLinkFactory,
    LabelFactory,
    RoadmapFactory,
    RoadmapItemFactory,
    TaskFactory,
)

pytestmark = pytest.mark.django_db

OBJECTIVE = "Win the enterprise market"
KEY_RESULT = "Sign forty enterprise logos"


@pytest.fixture
def guest(world):
    membership = build_guest(world)
    TeamMember.objects.create(workspace=world.workspace, team=world.team, user=membership.user)
    return membership


@pytest.fixture
def aligned_task(world, guest):
    """A task of the guest's team moving a company key result."""
    objective = ObjectiveFactory(period=PeriodFactory(workspace=world.workspace), title=OBJECTIVE)
    key_result = KeyResultFactory(objective=objective, title=KEY_RESULT)
    item = RoadmapItemFactory(
        roadmap=RoadmapFactory(workspace=world.workspace), owner_team=world.team, title="SSO"
    )
    KeyResultLinkFactory(item=item, key_result=key_result)
    return TaskFactory(team=world.team, roadmap_item=item, title="Build SSO", assignee=guest.user)


def select(html: str, select_id: str) -> str:
    """The options of one <select> of the page."""
    start = html.index(f'<select id="{select_id}"')
    return html[start : html.index("</select>", start)]


def page(user, url: str) -> str:
    response = client_for(user).get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_a_guests_board_filters_offer_their_teams_labels_and_people_and_no_okrs(
    world, guest, aligned_task
):
    ops = TeamFactory(workspace=world.workspace, name="Operations", key="OPS")
    ours, theirs = (
        LabelFactory(workspace=world.workspace, name="ours-label"),
        LabelFactory(workspace=world.workspace, name="theirs-label"),
    )
    TaskLabel.objects.create(workspace=world.workspace, task=aligned_task, label=ours)
    TaskLabel.objects.create(workspace=world.workspace, task=TaskFactory(team=ops), label=theirs)
    TeamMember.objects.create(workspace=world.workspace, team=ops, user=world.viewer.user)
    TeamMember.objects.create(workspace=world.workspace, team=world.team, user=world.member.user)

    html = page(
        guest.user, f"/w/{world.workspace.slug}/teams/{world.team.pk}/backlog/?part=filters"
    )

    # Labels are the workspace's vocabulary (the task form offers them all); the filter offers
    # what the guest's teams' tasks carry.
    assert "ours-label" in select(html, "f-label")
    assert "theirs-label" not in select(html, "f-label")
    assert world.member.user.display_name in select(html, "f-assignee")
    assert world.viewer.user.display_name not in select(html, "f-assignee")
    assert 'name="key_result"' not in html
    assert 'name="objective"' not in html
    assert KEY_RESULT not in html
    assert OBJECTIVE not in html


def test_a_members_board_filters_offer_the_workspaces_labels_and_okrs(world, aligned_task):
    LabelFactory(workspace=world.workspace, name="anywhere-label")

    html = page(
        world.member.user, f"/w/{world.workspace.slug}/teams/{world.team.pk}/backlog/?part=filters"
    )

    assert "anywhere-label" in html
    assert 'name="key_result"' in html
    assert KEY_RESULT in html
    assert OBJECTIVE in html


def test_a_guests_task_page_names_the_roadmap_item_but_no_key_result_or_objective(
    world, guest, aligned_task
):
    html = page(guest.user, f"/w/{world.workspace.slug}/tasks/{aligned_task.key}/")

    assert "SSO" in html
    assert "It moves 1 company key result; guests do not see key results and objectives." in html
    assert KEY_RESULT not in html
    assert OBJECTIVE not in html


def test_a_members_task_page_shows_the_whole_line(world, aligned_task):
    html = page(world.member.user, f"/w/{world.workspace.slug}/tasks/{aligned_task.key}/")

    assert KEY_RESULT in html
    assert OBJECTIVE in html


def test_a_guests_my_work_lists_their_tasks_without_objectives(world, guest, aligned_task):
    html = page(guest.user, f"/w/{world.workspace.slug}/my-work/")

    assert "Build SSO" in html
    assert "Your tasks" in html
    assert OBJECTIVE not in html


def test_a_guests_board_cards_say_kr_without_its_title(world, guest, aligned_task):
    from tests.factories.work import SprintFactory

    sprint = SprintFactory(team=world.team, status="active")
    type(aligned_task).objects.filter(pk=aligned_task.pk).update(sprint=sprint)

    html = page(guest.user, f"/w/{world.workspace.slug}/teams/{world.team.pk}/board/")

    assert "Build SSO" in html
    assert 'title="Moves a company key result">KR</span>' in html
    assert KEY_RESULT not in html
