"""Slack sees what its linked member sees: private teams and guests (docs/teams.md).

Driven by Slack's payload shapes, signed as Slack signs them, against a local server
speaking Slack's Web API (slack_server.py).
"""

from __future__ import annotations

import json

import pytest

from alignment.models import TeamMember
from integrations.models import DeliveryStatus, InboundDelivery
from integrations.slack_interactivity import CHECK_IN_VIEW, CREATE_TASK_VIEW
from okrs.models import CheckIn
from tasks.models import Task
from tests.conftest import build_guest
from tests.factories.core import TeamFactory
from tests.factories.okrs import KeyResultFactory, ObjectiveFactory, PeriodFactory
from tests.factories.work import (
    KeyResultLinkFactory,
    RoadmapFactory,
    RoadmapItemFactory,
    TaskFactory,
)
from tests.integrations.slack_server import event_envelope, post_event, post_interaction
from tests.integrations.test_slack_commands import COMMAND_USER, run
from tests.integrations.test_slack_events import HOME_USER, SHARER, home_opened, link_shared
from tests.integrations.test_slack_interactivity import (
    SLACK_USER,
    assign,
    button_press,
    check_in_shortcut,
    message_shortcut,
    selected,
    submission,
    text_value,
    view_text,
)

SECRET = "Zq7Secret payroll"


@pytest.fixture
def private_team(world):
    return TeamFactory(workspace=world.workspace, name="Payroll", key="PAY", is_private=True)


@pytest.fixture
def private_task(private_team, world):
    return TaskFactory(team=private_team, title=SECRET, assignee=world.member.user)


@pytest.fixture
def guest(world):
    """A guest on the world's team only."""
    membership = build_guest(world)
    TeamMember.objects.create(workspace=world.workspace, team=world.team, user=membership.user)
    return membership


@pytest.fixture
def hooks(http_peer, settings):
    peer = http_peer().peer
    settings.SLACK_RESPONSE_URL_PREFIXES = [peer.url + "/"]
    return peer


def command_text(fixtures_dir, slack, capture, hooks, text: str) -> str:
    run(fixtures_dir, slack, capture, text, hooks.url + "/r")
    return json.loads(hooks.received[-1].body)["text"]


# --- /align -----------------------------------------------------------------------------------


def test_task_command_does_not_find_a_private_teams_task_for_a_non_member(
    world,
    slack,
    slack_web_api,
    hooks,
    private_task,
    fixtures_dir,
    django_capture_on_commit_callbacks,
):
    slack_web_api.add_user(COMMAND_USER, world.viewer.user.email, team_id="T0001")
    text = command_text(
        fixtures_dir, slack, django_capture_on_commit_callbacks, hooks, f"task {private_task.key}"
    )
    assert text == f"No task {private_task.key} in {world.workspace.name}."


def test_task_command_shows_a_private_teams_task_to_its_member(
    world,
    slack,
    slack_web_api,
    hooks,
    private_task,
    fixtures_dir,
    django_capture_on_commit_callbacks,
):
    TeamMember.objects.create(
        workspace=world.workspace, team=private_task.team, user=world.viewer.user
    )
    slack_web_api.add_user(COMMAND_USER, world.viewer.user.email, team_id="T0001")
    text = command_text(
        fixtures_dir, slack, django_capture_on_commit_callbacks, hooks, f"task {private_task.key}"
    )
    assert SECRET in text


def test_task_command_of_an_unlinked_slack_user_shows_no_task(
    world, slack, slack_web_api, hooks, fixtures_dir, django_capture_on_commit_callbacks
):
    slack_web_api.team_id = "T0001"  # the command fixture's team, where the bot is installed
    task = TaskFactory(team=world.team, title="Public but not for strangers")
    text = command_text(
        fixtures_dir, slack, django_capture_on_commit_callbacks, hooks, f"task {task.key}"
    )
    assert text.startswith("I don't know who you are in Alignment")
    assert "Public but not for strangers" not in text


def test_mine_leaves_out_assigned_work_in_a_private_team_one_is_not_on(
    world,
    slack,
    slack_web_api,
    hooks,
    private_task,
    fixtures_dir,
    django_capture_on_commit_callbacks,
):
    TaskFactory(team=world.team, title="Visible work", assignee=world.member.user)
    slack_web_api.add_user(COMMAND_USER, world.member.user.email, team_id="T0001")
    text = command_text(fixtures_dir, slack, django_capture_on_commit_callbacks, hooks, "mine")
    assert "Visible work" in text
    assert SECRET not in text


def test_guest_asking_for_objectives_is_told_why_not(
    world, guest, slack, slack_web_api, hooks, fixtures_dir, django_capture_on_commit_callbacks
):
    period = PeriodFactory(workspace=world.workspace, name="Q4")
    ObjectiveFactory(period=period, title="Company secret objective")
    slack_web_api.add_user(COMMAND_USER, guest.user.email, team_id="T0001")
    text = command_text(fixtures_dir, slack, django_capture_on_commit_callbacks, hooks, "okr")
    assert text == (
        f"You are a guest in {world.workspace.name}: guests work only on their own teams' "
        "tasks, so you cannot see objectives here."
    )


def test_guest_sees_their_own_teams_task(
    world, guest, slack, slack_web_api, hooks, fixtures_dir, django_capture_on_commit_callbacks
):
    theirs = TaskFactory(team=world.team, title="Guest's work")
    slack_web_api.add_user(COMMAND_USER, guest.user.email, team_id="T0001")
    capture = django_capture_on_commit_callbacks
    assert "Guest's work" in command_text(fixtures_dir, slack, capture, hooks, f"task {theirs.key}")


def test_guest_does_not_find_another_public_teams_task(
    world, guest, slack, slack_web_api, hooks, fixtures_dir, django_capture_on_commit_callbacks
):
    other = TaskFactory(team=TeamFactory(workspace=world.workspace, key="OPS"), title="Ops work")
    slack_web_api.add_user(COMMAND_USER, guest.user.email, team_id="T0001")
    capture = django_capture_on_commit_callbacks
    text = command_text(fixtures_dir, slack, capture, hooks, f"task {other.key}")
    assert text == f"No task {other.key} in {world.workspace.name}."


# --- Unfurls ----------------------------------------------------------------------------------


def test_a_private_teams_task_is_never_unfurled_even_by_its_member(
    world, slack, slack_web_api, settings, private_task, django_capture_on_commit_callbacks
):
    # The sharer is on the private team, but the channel may hold anyone.
    TeamMember.objects.create(
        workspace=world.workspace, team=private_task.team, user=world.member.user
    )
    slack_web_api.add_user(SHARER, world.member.user.email)
    url = f"{settings.SITE_URL}/w/{world.workspace.slug}/tasks/{private_task.key}/"
    with django_capture_on_commit_callbacks(execute=True):
        post_event(slack, event_envelope(link_shared([url])))
    assert slack_web_api.of("chat.unfurl") == []
    delivery = InboundDelivery.objects.get()
    assert delivery.status == DeliveryStatus.IGNORED
    assert SECRET not in delivery.error


def test_a_public_task_beside_a_private_one_is_unfurled_alone(
    world, slack, slack_web_api, settings, private_task, django_capture_on_commit_callbacks
):
    slack_web_api.add_user(SHARER, world.admin.user.email)  # an admin sees every team
    public = TaskFactory(team=world.team, title="Public work")
    base = f"{settings.SITE_URL}/w/{world.workspace.slug}/tasks/"
    urls = [f"{base}{private_task.key}/", f"{base}{public.key}/"]
    with django_capture_on_commit_callbacks(execute=True):
        post_event(slack, event_envelope(link_shared(urls)))
    [call] = slack_web_api.of("chat.unfurl")
    assert list(call.body["unfurls"]) == [urls[1]]
    assert SECRET not in json.dumps(call.body)


def test_a_guests_objective_link_is_not_unfurled(
    world, guest, slack, slack_web_api, settings, django_capture_on_commit_callbacks
):
    period = PeriodFactory(workspace=world.workspace)
    objective = ObjectiveFactory(period=period, title="Company secret objective")
    slack_web_api.add_user(SHARER, guest.user.email)
    url = f"{settings.SITE_URL}/w/{world.workspace.slug}/okrs/objectives/{objective.pk}/"
    with django_capture_on_commit_callbacks(execute=True):
        post_event(slack, event_envelope(link_shared([url])))
    assert slack_web_api.of("chat.unfurl") == []


# --- Modals and buttons -----------------------------------------------------------------------


def test_guests_new_task_modal_offers_only_their_teams(
    world, guest, private_team, slack, slack_web_api, django_capture_on_commit_callbacks
):
    TeamFactory(workspace=world.workspace, name="Operations", key="OPS")
    slack_web_api.add_user(SLACK_USER, guest.user.email)
    with django_capture_on_commit_callbacks(execute=True):
        post_interaction(slack, message_shortcut())
    [call] = slack_web_api.of("views.open")
    options = call.body["view"]["blocks"][1]["element"]["options"]
    assert [o["value"] for o in options] == [str(world.team.pk)]


def test_members_new_task_modal_leaves_out_private_teams_they_are_not_on(
    world, private_team, slack, slack_web_api, django_capture_on_commit_callbacks
):
    slack_web_api.add_user(SLACK_USER, world.member.user.email)
    with django_capture_on_commit_callbacks(execute=True):
        post_interaction(slack, message_shortcut())
    view = slack_web_api.of("views.open")[0].body["view"]
    assert "Payroll" not in view_text(view)


def test_guest_creating_a_task_in_another_team_is_refused_and_nothing_is_written(
    world, guest, slack, slack_web_api, django_capture_on_commit_callbacks
):
    ops = TeamFactory(workspace=world.workspace, name="Operations", key="OPS")
    slack_web_api.add_user(SLACK_USER, guest.user.email)
    values = {**text_value("title", "Sneaky"), **selected("team", str(ops.pk))}
    with django_capture_on_commit_callbacks(execute=True):
        response = post_interaction(slack, submission(CREATE_TASK_VIEW, values))
    assert response.json()["errors"] == {"team": "Choose one of your teams of Acme Inc."}
    assert Task.objects.count() == 0


def test_guest_creates_a_task_in_their_own_team(
    world, guest, slack, slack_web_api, django_capture_on_commit_callbacks
):
    slack_web_api.add_user(SLACK_USER, guest.user.email)
    values = {**text_value("title", "From Slack"), **selected("team", str(world.team.pk))}
    with django_capture_on_commit_callbacks(execute=True):
        response = post_interaction(slack, submission(CREATE_TASK_VIEW, values))
    assert response.content == b""
    task = Task.objects.get()
    assert (task.team, task.created_by) == (world.team, guest.user)


def test_guest_cannot_open_or_submit_a_check_in(
    world, guest, slack, slack_web_api, django_capture_on_commit_callbacks
):
    period = PeriodFactory(workspace=world.workspace)
    key_result = KeyResultFactory(objective=ObjectiveFactory(period=period), target=10)
    slack_web_api.add_user(SLACK_USER, guest.user.email)
    shortcut = check_in_shortcut()
    values = {**selected("key_result", str(key_result.pk)), **text_value("value", "7")}
    with django_capture_on_commit_callbacks(execute=True):
        post_interaction(slack, shortcut)
        response = post_interaction(slack, submission(CHECK_IN_VIEW, values))
    [call] = slack_web_api.of("views.open")
    assert "guests work only on their own teams' tasks" in view_text(call.body["view"])
    assert "cannot check in on key results" in response.json()["errors"]["key_result"]
    assert CheckIn.objects.count() == 0


def test_guests_button_on_another_teams_task_changes_nothing(
    world, guest, slack, slack_web_api, django_capture_on_commit_callbacks
):
    other = TaskFactory(team=TeamFactory(workspace=world.workspace, key="OPS"), title="Ops work")
    slack_web_api.add_user(SLACK_USER, guest.user.email)
    with django_capture_on_commit_callbacks(execute=True):
        post_interaction(slack, button_press(assign(other)))
    other.refresh_from_db()
    assert other.assignee is None
    assert slack_web_api.of("chat.update") == []
    assert "no longer exists" in slack_web_api.of("chat.postEphemeral")[0].body["text"]


def test_members_button_on_a_private_teams_task_changes_nothing(
    world, private_task, slack, slack_web_api, django_capture_on_commit_callbacks
):
    slack_web_api.add_user(SLACK_USER, world.viewer.user.email)
    world.viewer.role = "member"
    world.viewer.save()
    with django_capture_on_commit_callbacks(execute=True):
        post_interaction(slack, button_press(assign(private_task)))
    private_task.refresh_from_db()
    assert private_task.assignee == world.member.user
    [told] = slack_web_api.of("chat.postEphemeral")
    assert SECRET not in told.body["text"]


def test_guests_button_on_their_own_teams_task_assigns_it(
    world, guest, slack, slack_web_api, django_capture_on_commit_callbacks
):
    task = TaskFactory(team=world.team, title="Guest's work")
    slack_web_api.add_user(SLACK_USER, guest.user.email)
    with django_capture_on_commit_callbacks(execute=True):
        post_interaction(slack, button_press(assign(task)))
    task.refresh_from_db()
    assert task.assignee == guest.user


# --- Home tab ---------------------------------------------------------------------------------


def test_guests_home_tab_shows_their_tasks_without_objectives_or_key_results(
    world, guest, slack, slack_web_api, django_capture_on_commit_callbacks
):
    period = PeriodFactory(workspace=world.workspace)
    objective = ObjectiveFactory(period=period, title="Company secret objective")
    key_result = KeyResultFactory(objective=objective, title="Secret key result", owner=guest.user)
    item = RoadmapItemFactory(
        roadmap=RoadmapFactory(workspace=world.workspace), owner_team=world.team
    )
    KeyResultLinkFactory(item=item, key_result=key_result)
    TaskFactory(team=world.team, title="Guest's work", assignee=guest.user, roadmap_item=item)
    slack_web_api.add_user(HOME_USER, guest.user.email, team_id="T12345678")
    with django_capture_on_commit_callbacks(execute=True):
        post_event(slack, home_opened())
    text = json.dumps(slack_web_api.of("views.publish")[0].body["view"]["blocks"])
    assert "Guest's work" in text
    assert "Your tasks" in text
    assert "Secret key result" not in text
    assert "Company secret objective" not in text
    assert "My key results" not in text
