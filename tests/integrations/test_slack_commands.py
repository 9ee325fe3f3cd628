"""`/align` slash commands: acknowledged at once, answered later through response_url."""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

from integrations.models import DeliveryStatus, InboundDelivery
from readmodel.selectors import rollups_for
from tests.factories.okrs import KeyResultFactory, ObjectiveFactory, PeriodFactory
from tests.factories.work import TaskFactory
from tests.integrations.conftest import load_fixture
from tests.integrations.test_inbound import _post_slack


def command(fixtures_dir, text: str, response_url: str) -> str:
    """Slack's documented slash-command form, with our text and a response_url."""
    fields = dict(load_fixture(fixtures_dir, "slack/slash_command__docs_example.json")["fields"])
    fields.update(command="/align", text=text, response_url=response_url)
    return urlencode(fields)


def run(fixtures_dir, slack, capture, text: str, response_url: str):
    # The on-commit processing runs as the block exits, before the response is returned.
    with capture(execute=True):
        return _post_slack(slack, command(fixtures_dir, text, response_url), str(int(time.time())))


COMMAND_USER = "U2147483697"  # the user_id of Slack's documented slash-command example


def test_task_command_answers_through_response_url(
    world,
    slack,
    slack_web_api,
    http_peer,
    settings,
    fixtures_dir,
    django_capture_on_commit_callbacks,
):
    slack_web_api.add_user(COMMAND_USER, world.member.user.email, team_id="T0001")
    slack_hooks = http_peer().peer
    settings.SLACK_RESPONSE_URL_PREFIXES = [slack_hooks.url + "/"]
    task = TaskFactory(team=world.team, title="Speed up search", assignee=world.member.user)
    response = run(
        fixtures_dir,
        slack,
        django_capture_on_commit_callbacks,
        f"task {task.key.lower()}",
        slack_hooks.url + "/commands/T1/1/x",
    )
    assert (response.status_code, response.content) == (200, b"")
    [answer] = slack_hooks.received
    assert answer.path == "/commands/T1/1/x"
    body = json.loads(answer.body)
    assert body["response_type"] == "ephemeral"
    link = f"<{settings.SITE_URL}/w/{world.workspace.slug}/tasks/{task.key}/|*{task.key}*>"
    assert f"{link} Speed up search · Backlog · {world.member.user.display_name}" in body["text"]
    assert InboundDelivery.objects.get().status == DeliveryStatus.PROCESSED


def test_mine_matches_the_slack_user_by_email(
    world, slack, http_peer, settings, fixtures_dir, django_capture_on_commit_callbacks
):
    # The connection's Slack team is known (typed in, or learned once from auth.test).
    slack.config = {**slack.config, "slack_team_id": "T0001"}
    slack.save(update_fields=["config"])
    user = {"team_id": "T0001", "profile": {"email": world.member.user.email}}
    api = http_peer(responses=[(200, {}, {"ok": True, "user": user})]).peer
    hooks = http_peer().peer
    settings.SLACK_API_BASE = api.url
    settings.SLACK_RESPONSE_URL_PREFIXES = [hooks.url + "/"]
    TaskFactory(team=world.team, title="Mine", assignee=world.member.user)
    TaskFactory(team=world.team, title="Not mine", assignee=world.admin.user)
    run(fixtures_dir, slack, django_capture_on_commit_callbacks, "mine", hooks.url + "/r")
    assert api.received[0].path == "/users.info?user=U2147483697"
    assert api.received[0].headers["Authorization"] == "Bearer xoxb-test-bot-token-1234"
    text = json.loads(hooks.received[0].body)["text"]
    assert "Mine" in text
    assert "Not mine" not in text


def test_okr_lists_the_current_periods_objectives(
    world,
    slack,
    slack_web_api,
    http_peer,
    settings,
    fixtures_dir,
    django_capture_on_commit_callbacks,
):
    slack_web_api.add_user(COMMAND_USER, world.viewer.user.email, team_id="T0001")
    hooks = http_peer().peer
    settings.SLACK_RESPONSE_URL_PREFIXES = [hooks.url + "/"]
    period = PeriodFactory(workspace=world.workspace, name="Q4")
    objective = ObjectiveFactory(period=period, title="Delight developers", team=world.team)
    KeyResultFactory(objective=objective, baseline=0, target=10, current=4)
    run(fixtures_dir, slack, django_capture_on_commit_callbacks, "okr", hooks.url + "/r")
    text = json.loads(hooks.received[0].body)["text"]
    assert text.startswith("Objectives for Q4:")
    # Progress and health are the objective's read-model row, as on its page.
    row = rollups_for(world.workspace.pk, {"objective": [objective.pk]})[
        ("objective", objective.pk)
    ]
    label = {"on_track": "on track", "at_risk": "at risk", "off_track": "off track"}[row.status]
    assert row.percent == 40
    assert f"Delight developers (ENG) · 40% · {label}" in text


def test_unknown_command_answers_with_help(
    world, slack, http_peer, settings, fixtures_dir, django_capture_on_commit_callbacks
):
    hooks = http_peer().peer
    settings.SLACK_RESPONSE_URL_PREFIXES = [hooks.url + "/"]
    run(fixtures_dir, slack, django_capture_on_commit_callbacks, "dance", hooks.url + "/r")
    assert json.loads(hooks.received[0].body)["text"].startswith("Try `/align task ENG-123`")


def test_response_url_outside_slack_is_never_called(
    world, slack, http_peer, fixtures_dir, django_capture_on_commit_callbacks
):
    elsewhere = http_peer().peer  # not in SLACK_RESPONSE_URL_PREFIXES
    run(fixtures_dir, slack, django_capture_on_commit_callbacks, "okr", elsewhere.url + "/r")
    assert elsewhere.received == []
    delivery = InboundDelivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED
    assert "not a Slack URL" in delivery.error
