"""Slack, acting: the message shortcut and its modal, the check-in modal, buttons on messages.

Driven by Slack's payload shapes (tests/integrations/fixtures/slack/), signed as Slack signs
them, against a local server speaking Slack's Web API (slack_server.py).
"""

from __future__ import annotations

import json
import time

import pytest

from integrations import slack_blocks
from integrations.models import DeliveryStatus, InboundDelivery, OutboxMessage, SlackUserLink
from integrations.notifications.services import About, notify
from integrations.slack_interactivity import (
    CHECK_IN_SHORTCUT,
    CHECK_IN_VIEW,
    CREATE_TASK_SHORTCUT,
    CREATE_TASK_VIEW,
)
from okrs.models import CheckIn, KeyResultSource
from readmodel.selectors import rollups_for
from tasks.models import Task, WorkflowState
from tests.factories.okrs import KeyResultFactory, ObjectiveFactory, PeriodFactory
from tests.factories.work import TaskFactory
from tests.integrations.slack_server import (
    TEAM_ID,
    post_interaction,
    post_signed,
    slack_fixture,
)

SLACK_USER = "W111"  # the acting user of the bolt-python payloads


@pytest.fixture
def linked(world, slack, slack_web_api):
    """The member's Slack account: users.info knows its verified e-mail."""
    slack_web_api.add_user(SLACK_USER, world.member.user.email)
    return world.member


def message_shortcut() -> dict:
    payload = slack_fixture("message_action__bolt_python_test.json")
    payload["callback_id"] = CREATE_TASK_SHORTCUT
    return payload


def submission(callback_id: str, values: dict, metadata: str = "") -> dict:
    """Slack's view_submission payload with our modal's callback_id and input values."""
    payload = slack_fixture("view_submission__bolt_python_test.json")
    payload["view"]["callback_id"] = callback_id
    payload["view"]["private_metadata"] = metadata
    payload["view"]["state"] = {"values": values}
    return payload


def text_value(block: str, value: str) -> dict:
    return {block: {block: {"type": "plain_text_input", "value": value}}}


def selected(block: str, value: str) -> dict:
    option = {"text": {"type": "plain_text", "text": value}, "value": value}
    return {block: {block: {"type": "static_select", "selected_option": option}}}


def view_text(view: dict) -> str:
    return json.dumps(view["blocks"], ensure_ascii=False)


# --- Create a task from a message -------------------------------------------------------------


def test_message_shortcut_opens_the_new_task_modal_in_the_request(
    world, slack, linked, slack_web_api, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_interaction(slack, message_shortcut())
    assert (response.status_code, response.content) == (200, b"")
    [call] = slack_web_api.of("views.open")
    assert call.token == "xoxb-test-bot-token-1234"
    assert call.content_type == "application/json; charset=utf-8"
    assert call.body["trigger_id"] == "111.222.xxx"
    view = call.body["view"]
    assert view["callback_id"] == CREATE_TASK_VIEW
    assert view["blocks"][0]["element"]["initial_value"] == "<@W222> test"
    assert json.loads(view["private_metadata"])["channel"] == "C111"
    delivery = InboundDelivery.objects.get()
    assert (delivery.delivery_id, delivery.status) == ("trigger:111.222.xxx", "processed")
    link = SlackUserLink.objects.get()
    assert (link.slack_team_id, link.slack_user_id, link.user) == (
        TEAM_ID,
        SLACK_USER,
        world.member.user,
    )
    assert link.method == "email"


def test_duplicate_shortcut_delivery_opens_one_modal(
    slack, linked, slack_web_api, django_capture_on_commit_callbacks
):
    payload = message_shortcut()
    with django_capture_on_commit_callbacks(execute=True):
        first = post_interaction(slack, payload)
        # The same action delivered again, at another second: Slack's trigger_id names it.
        second = post_interaction(slack, payload, timestamp=str(int(time.time()) - 1))
    assert (first.status_code, second.status_code, second.content) == (200, 200, b"")
    assert len(slack_web_api.of("views.open")) == 1
    delivery = InboundDelivery.objects.get()
    assert delivery.redeliveries == 1


def test_shortcut_with_a_bad_signature_is_401_and_nothing_happens(
    slack, linked, slack_web_api, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_interaction(slack, message_shortcut(), signature="v0=" + "0" * 64)
    assert response.status_code == 401
    assert InboundDelivery.objects.count() == 0
    assert slack_web_api.calls == []
    slack.refresh_from_db()
    assert slack.bad_signature_count == 1


def test_unknown_slack_user_gets_a_modal_with_a_personal_link(
    world, slack, slack_web_api, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        post_interaction(slack, message_shortcut())
    assert slack_web_api.of("users.info")[0].body == {"user": SLACK_USER}
    [call] = slack_web_api.of("views.open")
    text = view_text(call.body["view"])
    assert "I don't know who you are in Alignment (Acme Inc)" in text
    assert f"{settings.SITE_URL}/w/{world.workspace.slug}/integrations/slack/link/?t=" in text
    assert "callback_id" not in call.body["view"]  # nothing to submit
    assert SlackUserLink.objects.count() == 0


def test_unconfirmed_slack_email_links_nobody(
    world, slack, slack_web_api, django_capture_on_commit_callbacks
):
    slack_web_api.add_user(SLACK_USER, world.member.user.email, confirmed=False)
    with django_capture_on_commit_callbacks(execute=True):
        post_interaction(slack, message_shortcut())
    assert "Link your account" in json.dumps(slack_web_api.of("views.open")[0].body["view"])
    assert SlackUserLink.objects.count() == 0


def test_viewer_is_told_in_the_modal_that_viewers_cannot_create_tasks(
    world, slack, slack_web_api, django_capture_on_commit_callbacks
):
    slack_web_api.add_user(SLACK_USER, world.viewer.user.email)
    with django_capture_on_commit_callbacks(execute=True):
        post_interaction(slack, message_shortcut())
    view = slack_web_api.of("views.open")[0].body["view"]
    assert "viewers can read but not create tasks" in view_text(view)
    assert "submit" not in view


def test_expired_trigger_marks_the_delivery_failed_with_slacks_error(
    slack, linked, slack_web_api, django_capture_on_commit_callbacks
):
    slack_web_api.fail("views.open", "expired_trigger_id")
    with django_capture_on_commit_callbacks(execute=True):
        response = post_interaction(slack, message_shortcut())
    assert response.status_code == 200
    delivery = InboundDelivery.objects.get()
    assert (delivery.status, delivery.error) == (
        DeliveryStatus.FAILED,
        "views.open: expired_trigger_id",
    )


def test_submitting_the_task_modal_creates_the_task_and_replies_with_its_link(
    world, slack, linked, slack_web_api, settings, django_capture_on_commit_callbacks
):
    values = {
        **text_value("title", "Search is slow on mobile"),
        **selected("team", str(world.team.pk)),
        **text_value("description", "From #dev"),
    }
    payload = submission(CREATE_TASK_VIEW, values, json.dumps({"channel": "C111"}))
    with django_capture_on_commit_callbacks(execute=True):
        response = post_interaction(slack, payload)
    assert (response.status_code, response.content) == (200, b"")  # the modal closes
    task = Task.objects.get()
    assert (task.title, task.team, task.created_by) == (
        "Search is slow on mobile",
        world.team,
        world.member.user,
    )
    [reply] = slack_web_api.of("chat.postEphemeral")
    assert (reply.body["channel"], reply.body["user"]) == ("C111", SLACK_USER)
    url = f"{settings.SITE_URL}/w/{world.workspace.slug}/tasks/{task.key}/"
    assert reply.body["text"].startswith(f"Created <{url}|*{task.key}*> Search is slow on mobile")
    assert OutboxMessage.objects.get().status == "delivered"


def test_task_modal_naming_another_workspaces_team_is_refused_in_the_modal(
    world, world_b, slack, linked, slack_web_api, django_capture_on_commit_callbacks
):
    values = {**text_value("title", "Sneaky"), **selected("team", str(world_b.team.pk))}
    with django_capture_on_commit_callbacks(execute=True):
        response = post_interaction(slack, submission(CREATE_TASK_VIEW, values))
    assert response.json() == {
        "response_action": "errors",
        "errors": {"team": "Choose one of your teams of Acme Inc."},
    }
    assert Task.objects.count() == 0
    assert slack_web_api.of("chat.postEphemeral") == []
    assert InboundDelivery.objects.get().status == DeliveryStatus.IGNORED


def test_task_modal_without_a_title_shows_the_services_message(
    world, slack, linked, django_capture_on_commit_callbacks
):
    values = {**text_value("title", "   "), **selected("team", str(world.team.pk))}
    with django_capture_on_commit_callbacks(execute=True):
        response = post_interaction(slack, submission(CREATE_TASK_VIEW, values))
    assert response.json()["errors"] == {"title": "Give the task a title."}
    assert Task.objects.count() == 0


def test_viewer_submitting_the_task_modal_is_refused(
    world, slack, slack_web_api, django_capture_on_commit_callbacks
):
    slack_web_api.add_user(SLACK_USER, world.viewer.user.email)
    values = {**text_value("title", "Hello"), **selected("team", str(world.team.pk))}
    with django_capture_on_commit_callbacks(execute=True):
        response = post_interaction(slack, submission(CREATE_TASK_VIEW, values))
    assert "viewers can read but not create tasks" in response.json()["errors"]["title"]
    assert Task.objects.count() == 0


# --- Check in on a key result -----------------------------------------------------------------


@pytest.fixture
def key_result(world):
    period = PeriodFactory(workspace=world.workspace, name="Q2")
    objective = ObjectiveFactory(period=period, title="Delight developers", team=world.team)
    return KeyResultFactory(
        objective=objective,
        title="Cut build time",
        baseline=0,
        target=10,
        current=4,
        owner=world.member.user,
    )


def check_in_shortcut() -> dict:
    payload = message_shortcut()
    payload["type"] = "shortcut"
    payload["callback_id"] = CHECK_IN_SHORTCUT
    for field in ("channel", "message", "message_ts", "response_url"):
        payload.pop(field)  # a global shortcut has no message
    return payload


def test_check_in_shortcut_opens_a_modal_with_read_model_numbers(
    world, slack, linked, key_result, slack_web_api, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        post_interaction(slack, check_in_shortcut())
    view = slack_web_api.of("views.open")[0].body["view"]
    assert view["callback_id"] == CHECK_IN_VIEW
    row = rollups_for(world.workspace.pk, {"key_result": [key_result.pk]})[
        ("key_result", key_result.pk)
    ]
    assert row.percent == 40
    [option] = view["blocks"][0]["element"]["options"]
    assert option == {
        "text": {"type": "plain_text", "text": "Cut build time · 40%", "emoji": True},
        "value": str(key_result.pk),
    }


def test_align_checkin_command_opens_the_same_modal_in_the_request(
    world, slack, linked, key_result, slack_web_api, django_capture_on_commit_callbacks
):
    fields = slack_fixture("slash_command__docs_example.json")["fields"]
    fields.update(command="/align", text="checkin", user_id=SLACK_USER, team_id=TEAM_ID)
    from urllib.parse import urlencode

    with django_capture_on_commit_callbacks(execute=True):
        response = post_signed(slack, urlencode(fields), "application/x-www-form-urlencoded")
    assert (response.status_code, response.content) == (200, b"")
    [call] = slack_web_api.of("views.open")
    assert call.body["trigger_id"] == fields["trigger_id"]
    assert call.body["view"]["callback_id"] == CHECK_IN_VIEW


def test_check_in_submission_goes_through_the_service_and_shows_read_model_numbers(
    world, slack, linked, key_result, django_capture_on_commit_callbacks
):
    values = {
        **selected("key_result", str(key_result.pk)),
        **text_value("value", "7"),
        **selected("confidence", "8"),
        **text_value("note", "Caching landed"),
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = post_interaction(slack, submission(CHECK_IN_VIEW, values))
    check_in = CheckIn.objects.get()
    assert (check_in.value, check_in.confidence, check_in.note, check_in.author) == (
        7,
        8,
        "Caching landed",
        world.member.user,
    )
    answer = response.json()
    assert answer["response_action"] == "update"
    row = rollups_for(world.workspace.pk, {"key_result": [key_result.pk]})[
        ("key_result", key_result.pk)
    ]
    assert row.percent == 70
    assert f"Now 7 of 10 · {slack_blocks.rollup_text(row)} · confidence 8/10" in view_text(
        answer["view"]
    )


def test_check_in_with_a_value_on_a_measured_key_result_is_refused_in_the_modal(
    world, slack, linked, key_result, django_capture_on_commit_callbacks
):
    key_result.source = KeyResultSource.TASKS
    key_result.save()
    values = {**selected("key_result", str(key_result.pk)), **text_value("value", "9")}
    with django_capture_on_commit_callbacks(execute=True):
        response = post_interaction(slack, submission(CHECK_IN_VIEW, values))
    errors = response.json()["errors"]
    assert list(errors) == ["value"]
    assert "linked work" in errors["value"]
    assert CheckIn.objects.count() == 0


def test_check_in_on_another_workspaces_key_result_is_refused(
    world, world_b, slack, linked, django_capture_on_commit_callbacks
):
    theirs = KeyResultFactory(
        objective=ObjectiveFactory(period=PeriodFactory(workspace=world_b.workspace))
    )
    values = {**selected("key_result", str(theirs.pk)), **text_value("value", "9")}
    with django_capture_on_commit_callbacks(execute=True):
        response = post_interaction(slack, submission(CHECK_IN_VIEW, values))
    assert response.json()["errors"] == {"key_result": "Choose a key result of Acme Inc."}
    assert CheckIn.objects.count() == 0


# --- Buttons on task messages -----------------------------------------------------------------


def button_press(action: dict) -> dict:
    payload = slack_fixture("block_actions__message_docs_example.json")
    payload["user"] = {"id": SLACK_USER, "username": "member", "team_id": TEAM_ID}
    payload["team"] = {"id": TEAM_ID, "domain": "example"}
    payload["message"]["blocks"] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": "acme admin assigned ENG-1"}}
    ]
    payload["actions"] = [{**payload["actions"][0], **action}]
    return payload


def assign(task) -> dict:
    return {"action_id": slack_blocks.ASSIGN_TO_ME, "type": "button", "value": str(task.pk)}


def move(task, state) -> dict:
    option = {"text": {"type": "plain_text", "text": state.name}, "value": f"{task.pk}:{state.pk}"}
    return {
        "action_id": slack_blocks.MOVE_TO_STATE,
        "type": "static_select",
        "selected_option": option,
    }


def test_assign_to_me_acts_as_the_linked_member_and_updates_the_message(
    world, slack, linked, slack_web_api, django_capture_on_commit_callbacks
):
    task = TaskFactory(team=world.team, title="Fix login")
    with django_capture_on_commit_callbacks(execute=True):
        response = post_interaction(slack, button_press(assign(task)))
    assert (response.status_code, response.content) == (200, b"")
    task.refresh_from_db()
    assert task.assignee == world.member.user
    [update] = slack_web_api.of("chat.update")
    assert (update.body["channel"], update.body["ts"]) == ("CBR2V3XEX", "1548261231.000200")
    blocks = json.dumps(update.body["blocks"], ensure_ascii=False)
    assert "acme admin assigned ENG-1" in blocks  # the notification's sentence stays
    assert f"Assigned to {world.member.user.display_name}." in blocks
    assert slack_blocks.ASSIGN_TO_ME in blocks  # the buttons stay


def test_move_to_a_state_uses_the_teams_workflow(
    world, slack, linked, slack_web_api, django_capture_on_commit_callbacks
):
    task = TaskFactory(team=world.team, title="Fix login")
    done = WorkflowState.objects.filter(team=world.team, category="done").first()
    with django_capture_on_commit_callbacks(execute=True):
        post_interaction(slack, button_press(move(task, done)))
    task.refresh_from_db()
    assert task.state == done
    blocks = json.dumps(slack_web_api.of("chat.update")[0].body["blocks"])
    assert f"moved it to {done.name}" in blocks


def test_viewer_pressing_a_button_changes_nothing_and_is_told_privately(
    world, slack, slack_web_api, django_capture_on_commit_callbacks
):
    slack_web_api.add_user(SLACK_USER, world.viewer.user.email)
    task = TaskFactory(team=world.team, title="Fix login")
    with django_capture_on_commit_callbacks(execute=True):
        post_interaction(slack, button_press(assign(task)))
    task.refresh_from_db()
    assert task.assignee is None
    assert slack_web_api.of("chat.update") == []
    [told] = slack_web_api.of("chat.postEphemeral")
    assert (told.body["channel"], told.body["user"]) == ("CBR2V3XEX", SLACK_USER)
    assert "viewers can read but not change tasks" in told.body["text"]


def test_button_naming_another_workspaces_task_changes_nothing(
    world, world_b, slack, linked, slack_web_api, django_capture_on_commit_callbacks
):
    theirs = TaskFactory(team=world_b.team, title="Not yours")
    with django_capture_on_commit_callbacks(execute=True):
        post_interaction(slack, button_press(assign(theirs)))
    theirs.refresh_from_db()
    assert theirs.assignee is None
    assert slack_web_api.of("chat.update") == []
    assert "no longer exists" in slack_web_api.of("chat.postEphemeral")[0].body["text"]


def test_state_of_another_team_is_refused(
    world, slack, linked, slack_web_api, django_capture_on_commit_callbacks
):
    from tests.factories.work import TeamFactory

    other_team = TeamFactory(workspace=world.workspace, key="OPS")
    task = TaskFactory(team=world.team)
    foreign_state = WorkflowState.objects.filter(team=other_team).first()
    before = task.state_id
    with django_capture_on_commit_callbacks(execute=True):
        post_interaction(slack, button_press(move(task, foreign_state)))
    task.refresh_from_db()
    assert task.state_id == before
    assert "not in the workflow" in slack_web_api.of("chat.postEphemeral")[0].body["text"]


def test_button_on_an_ephemeral_message_is_answered_through_its_response_url(
    world, slack, linked, slack_web_api, http_peer, settings, django_capture_on_commit_callbacks
):
    hooks = http_peer().peer
    settings.SLACK_RESPONSE_URL_PREFIXES = [hooks.url + "/"]
    task = TaskFactory(team=world.team, title="Fix login")
    payload = slack_fixture("block_actions__ephemeral_message_bolt_python_test.json")
    payload["actions"] = [{**payload["actions"][0], **assign(task)}]
    payload["response_url"] = hooks.url + "/actions/T111/111/random-value"
    with django_capture_on_commit_callbacks(execute=True):
        post_interaction(slack, payload)
    task.refresh_from_db()
    assert task.assignee == world.member.user
    [answer] = hooks.received
    body = json.loads(answer.body)
    assert body["replace_original"] is True
    assert "Assigned to" in json.dumps(body["blocks"])
    assert slack_web_api.of("chat.update") == []


def test_task_notification_in_slack_carries_the_buttons(
    world, slack, django_capture_on_commit_callbacks
):
    from integrations.notifications.models import NotificationPreference

    NotificationPreference.objects.create(
        workspace=world.workspace, user=world.member.user, slack_user_id="U0MEMBER1"
    )
    task = TaskFactory(team=world.team, title="Fix login")
    notify(
        workspace=world.workspace,
        recipient=world.member.user,
        actor=world.admin.user,
        kind="assigned",
        sentence=f"acme admin assigned {task.key} to you",
        about=About("task", task.pk, f"/w/{world.workspace.slug}/tasks/{task.key}/"),
    )
    message = OutboxMessage.objects.get(channel="slack")
    actions = message.payload["blocks"][-1]
    assert actions["type"] == "actions"
    assign_button, menu = actions["elements"]
    assert (assign_button["action_id"], assign_button["value"]) == (
        slack_blocks.ASSIGN_TO_ME,
        str(task.pk),
    )
    states = WorkflowState.objects.filter(team=world.team).order_by("position", "pk")
    assert [o["value"] for o in menu["options"]] == [f"{task.pk}:{s.pk}" for s in states]
    assert menu["initial_option"]["value"] == f"{task.pk}:{task.state_id}"
    assert message.payload["text"].startswith(f"acme admin assigned {task.key} to you")
