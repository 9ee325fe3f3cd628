"""Slack's Events API: link unfurls and the Home tab, against a local Slack Web API."""

from __future__ import annotations

import json
import time

import pytest

from integrations.models import DeliveryStatus, InboundDelivery, OutboxMessage
from readmodel.selectors import rollups_for
from tests.factories.okrs import KeyResultFactory, ObjectiveFactory, PeriodFactory
from tests.factories.work import TaskFactory
from tests.integrations.slack_server import event_envelope, post_event, slack_fixture

SHARER = "Uxxxxxxx"  # the user of slack-go's link_shared events
HOME_USER = "U12345678"  # the user of slack-go's app_home_opened event


def link_shared(urls: list[str], *, composer: bool = False) -> dict:
    name = (
        "event__link_shared_composer_slack_go_test.json"
        if composer
        else ("event__link_shared_slack_go_test.json")
    )
    event = slack_fixture(name)
    event["links"] = [{"domain": "127.0.0.1", "url": url} for url in urls]
    return event


@pytest.fixture
def sharer(world, slack, slack_web_api):
    slack_web_api.add_user(SHARER, world.member.user.email)
    return world.member


@pytest.fixture
def objective(world):
    period = PeriodFactory(workspace=world.workspace, name="Q2")
    objective = ObjectiveFactory(period=period, title="Delight developers", team=world.team)
    KeyResultFactory(objective=objective, title="Cut build time", baseline=0, target=10, current=4)
    return objective


def test_links_to_this_workspace_are_unfurled_with_read_model_numbers(
    world,
    world_b,
    slack,
    sharer,
    objective,
    slack_web_api,
    settings,
    django_capture_on_commit_callbacks,
):
    task = TaskFactory(team=world.team, title="Fix <login> & SSO")
    key_result = objective.key_results.get()
    theirs = TaskFactory(team=world_b.team, title="Globex secret")
    site = settings.SITE_URL
    ours = [
        f"{site}/w/{world.workspace.slug}/tasks/{task.key}/",
        f"{site}/w/{world.workspace.slug}/okrs/objectives/{objective.pk}/",
        f"{site}/w/{world.workspace.slug}/okrs/key-results/{key_result.pk}/check-in/",
    ]
    foreign = [
        f"{site}/w/{world_b.workspace.slug}/tasks/{theirs.key}/",  # same server, not ours
        f"https://elsewhere.example.com/w/{world.workspace.slug}/tasks/{task.key}/",
        f"{site}/w/{world.workspace.slug}/tasks/NOPE-404/",
    ]
    with django_capture_on_commit_callbacks(execute=True):
        response = post_event(slack, event_envelope(link_shared(ours + foreign)))
    assert (response.status_code, response.content) == (200, b"")
    [call] = slack_web_api.of("chat.unfurl")
    assert (call.body["channel"], call.body["ts"]) == ("Cxxxxxx", "123456789.9875")
    unfurls = call.body["unfurls"]
    assert sorted(unfurls) == sorted(ours)
    task_text = json.dumps(unfurls[ours[0]], ensure_ascii=False)
    assert f"*{task.key}*> Fix &lt;login&gt; &amp; SSO · Backlog" in task_text
    rows = rollups_for(
        world.workspace.pk, {"objective": [objective.pk], "key_result": [key_result.pk]}
    )
    objective_text = unfurls[ours[1]]["blocks"][0]["text"]["text"]
    assert f"{rows[('objective', objective.pk)].percent}% · " in objective_text
    assert "40% · " in unfurls[ours[2]]["blocks"][0]["text"]["text"]
    assert "Globex secret" not in json.dumps(call.body)


def test_composer_unfurl_names_the_draft_by_unfurl_id(
    world, slack, sharer, slack_web_api, settings, django_capture_on_commit_callbacks
):
    task = TaskFactory(team=world.team)
    url = f"{settings.SITE_URL}/w/{world.workspace.slug}/tasks/{task.key}/"
    event = link_shared([url], composer=True)
    with django_capture_on_commit_callbacks(execute=True):
        post_event(slack, event_envelope(event))
    [call] = slack_web_api.of("chat.unfurl")
    assert call.body["unfurl_id"] == event["unfurl_id"]
    assert call.body["source"] == "composer"
    assert "channel" not in call.body
    assert list(call.body["unfurls"]) == [url]


def test_links_shared_by_an_unlinked_person_are_not_unfurled(
    world, slack, slack_web_api, settings, django_capture_on_commit_callbacks
):
    task = TaskFactory(team=world.team)
    url = f"{settings.SITE_URL}/w/{world.workspace.slug}/tasks/{task.key}/"
    with django_capture_on_commit_callbacks(execute=True):
        post_event(slack, event_envelope(link_shared([url])))
    assert slack_web_api.of("chat.unfurl") == []
    delivery = InboundDelivery.objects.get()
    assert (delivery.status, delivery.error) == (
        DeliveryStatus.IGNORED,
        "The person who shared the links is not a linked member.",
    )


def test_a_retried_event_is_unfurled_once(
    world, slack, sharer, slack_web_api, settings, django_capture_on_commit_callbacks
):
    task = TaskFactory(team=world.team)
    url = f"{settings.SITE_URL}/w/{world.workspace.slug}/tasks/{task.key}/"
    envelope = event_envelope(link_shared([url]), event_id="Ev0RETRY1")
    with django_capture_on_commit_callbacks(execute=True):
        post_event(slack, envelope)
        # Slack retries with the same event_id, a new timestamp and X-Slack-Retry-Num.
        retry = post_event(
            slack,
            envelope,
            timestamp=str(int(time.time()) - 2),
            HTTP_X_SLACK_RETRY_NUM="1",
            HTTP_X_SLACK_RETRY_REASON="http_timeout",
        )
    assert (retry.status_code, retry.content) == (200, b"")
    assert len(slack_web_api.of("chat.unfurl")) == 1
    delivery = InboundDelivery.objects.get()
    assert (delivery.delivery_id, delivery.redeliveries) == ("event:Ev0RETRY1", 1)


def test_event_with_a_bad_signature_is_refused_and_not_stored(
    world, slack, sharer, slack_web_api, settings, django_capture_on_commit_callbacks
):
    url = f"{settings.SITE_URL}/w/{world.workspace.slug}/tasks/ENG-1/"
    with django_capture_on_commit_callbacks(execute=True):
        response = post_event(slack, event_envelope(link_shared([url])), signature="v0=bad")
    assert response.status_code == 401
    assert InboundDelivery.objects.count() == 0
    assert slack_web_api.calls == []


def test_unfurl_refused_by_slack_goes_to_the_dead_letters(
    world, slack, sharer, slack_web_api, settings, django_capture_on_commit_callbacks
):
    slack_web_api.fail("chat.unfurl", "cannot_unfurl_url")
    task = TaskFactory(team=world.team)
    url = f"{settings.SITE_URL}/w/{world.workspace.slug}/tasks/{task.key}/"
    with django_capture_on_commit_callbacks(execute=True):
        post_event(slack, event_envelope(link_shared([url])))
    message = OutboxMessage.objects.get()
    assert (message.status, message.last_error) == ("dead", "Slack error: cannot_unfurl_url")


# --- The Home tab -----------------------------------------------------------------------------


def home_opened(tab: str = "home") -> dict:
    envelope = slack_fixture("event_callback__app_home_opened_home_tab_slack_go_test.json")
    envelope["event"]["tab"] = tab
    return envelope


def test_home_tab_shows_my_open_work_and_my_key_results(
    world, slack, objective, slack_web_api, django_capture_on_commit_callbacks
):
    slack_web_api.add_user(HOME_USER, world.member.user.email, team_id="T12345678")
    mine = TaskFactory(team=world.team, title="Mine to do", assignee=world.member.user)
    TaskFactory(team=world.team, title="Someone else's", assignee=world.admin.user)
    key_result = objective.key_results.get()
    key_result.owner = world.member.user
    key_result.save()
    with django_capture_on_commit_callbacks(execute=True):
        response = post_event(slack, home_opened())
    assert (response.status_code, response.content) == (200, b"")
    [call] = slack_web_api.of("views.publish")
    assert call.body["user_id"] == HOME_USER
    view = call.body["view"]
    assert view["type"] == "home"
    text = json.dumps(view["blocks"], ensure_ascii=False)
    assert "My work · 1 open" in text
    assert f"*{mine.key}*> Mine to do" in text
    assert "Someone else's" not in text
    row = rollups_for(world.workspace.pk, {"key_result": [key_result.pk]})[
        ("key_result", key_result.pk)
    ]
    assert f"Cut build time>*\\n{row.percent}% · " in text
    assert InboundDelivery.objects.get().delivery_id == "event:Ev12345678"


def test_home_tab_of_an_unlinked_person_says_how_to_link(
    world, slack, slack_web_api, django_capture_on_commit_callbacks
):
    slack_web_api.team_id = "T12345678"  # the fixture's team, where the bot is installed
    with django_capture_on_commit_callbacks(execute=True):
        post_event(slack, home_opened())
    view = slack_web_api.of("views.publish")[0].body["view"]
    assert "Link your Slack account" in json.dumps(view["blocks"])


def test_messages_tab_publishes_nothing(
    world, slack, slack_web_api, django_capture_on_commit_callbacks
):
    envelope = slack_fixture("event_callback__app_home_opened_org_app_bolt_python_test.json")
    with django_capture_on_commit_callbacks(execute=True):
        post_event(slack, envelope)
    assert [c.method for c in slack_web_api.calls] in ([], ["auth.test"])  # no views.publish
    assert InboundDelivery.objects.get().status == DeliveryStatus.IGNORED


def test_other_events_are_stored_as_ignored(world, slack, django_capture_on_commit_callbacks):
    envelope = event_envelope({"type": "reaction_added", "user": SHARER}, event_id="Ev0OTHER")
    with django_capture_on_commit_callbacks(execute=True):
        post_event(slack, envelope)
    delivery = InboundDelivery.objects.get()
    assert (delivery.status, delivery.error) == (
        DeliveryStatus.IGNORED,
        "No handler for the 'reaction_added' Slack event.",
    )
    assert delivery.headers.get("Content-Type") == "application/json"
