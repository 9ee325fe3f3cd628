"""Notifications from real domain changes: the task services (assign, mention, transition) and
a published RollupChanged write inbox and outbox rows in the change's own transaction."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from alignment.events import publish_on_commit
from alignment.models import Role
from dashboards.events import RollupChanged
from integrations.models import Channel, OutboxMessage
from integrations.notifications import notification_wants, notify
from integrations.notifications.models import Notification, NotificationKind
from integrations.notifications.preferences import preferences_update
from integrations.notifications.services import About
from readmodel.models import NodeKind, Rollup
from tasks import services as tasks
from tasks.models import StateCategory
from tests.factories import UserFactory
from tests.factories.okrs import KeyResultFactory, ObjectiveFactory, PeriodFactory
from tests.factories.work import TaskFactory, state_of


@pytest.fixture
def task(world):
    return TaskFactory(team=world.team, title="Fix the login page", created_by=world.owner.user)


def inbox(user):
    return list(Notification.objects.filter(recipient=user).order_by("pk"))


def outbox(channel=None):
    rows = OutboxMessage.objects.filter(event_type__startswith="notification.")
    return list(rows.filter(channel=channel) if channel else rows)


# --- assigned -------------------------------------------------------------------------------


def test_assigning_a_task_writes_an_inbox_row_and_an_email(world, task):
    tasks.task_assign(actor=world.admin, task=task, assignee=world.member.user)

    [row] = inbox(world.member.user)
    assert row.kind == NotificationKind.ASSIGNED
    assert row.workspace == world.workspace
    assert row.actor == world.admin.user
    assert row.sentence == f"acme admin assigned {task.key} “Fix the login page” to you."
    assert row.url == f"/w/{world.workspace.slug}/tasks/{task.key}/"
    assert (row.object_type, row.object_id, row.read_at) == ("task", task.pk, None)
    [email] = outbox(Channel.EMAIL)
    assert email.destination == world.member.user.email
    assert email.event_type == "notification.assigned"
    assert email.payload["subject"] == f"[Acme Inc] {row.sentence}"
    assert outbox(Channel.SLACK) == []  # no Slack integration in this workspace


def test_creating_a_task_with_an_assignee_notifies_them(world):
    task = tasks.task_create(
        actor=world.admin, team=world.team, title="Write docs", assignee=world.member.user
    )

    [row] = inbox(world.member.user)
    assert (row.kind, row.object_id) == (NotificationKind.ASSIGNED, task.pk)


def test_assigning_yourself_notifies_nobody(world, task):
    tasks.task_assign(actor=world.member, task=task, assignee=world.member.user)

    assert Notification.objects.count() == 0
    assert outbox() == []


def test_unassigning_notifies_nobody(world):
    task = TaskFactory(team=world.team, assignee=world.member.user)

    tasks.task_assign(actor=world.admin, task=task, assignee=None)

    assert Notification.objects.count() == 0


# --- mentioned ------------------------------------------------------------------------------


def test_a_mention_in_a_comment_notifies_the_mentioned_member(world, task):
    comment = tasks.task_comment_add(
        actor=world.admin, task=task, body="@member can you check the redirect? cc @admin"
    )

    [row] = inbox(world.member.user)
    assert row.kind == NotificationKind.MENTIONED
    assert row.sentence == f"acme admin mentioned you in a comment on {task.key} “{task.title}”."
    assert row.url.endswith(f"/tasks/{task.key}/#comment-{comment.pk}")
    assert inbox(world.admin.user) == []  # mentioning yourself is not news
    [email] = outbox(Channel.EMAIL)
    assert "can you check the redirect?" in email.payload["text"]


def test_a_comment_without_mentions_notifies_nobody(world, task):
    tasks.task_comment_add(actor=world.admin, task=task, body="Looks good to me.")

    assert Notification.objects.count() == 0


# --- status_changed -------------------------------------------------------------------------


def test_a_state_change_tells_the_assignee_and_the_creator_but_not_the_actor(world):
    task = TaskFactory(
        team=world.team, assignee=world.member.user, created_by=world.owner.user, title="Ship it"
    )
    started = state_of(world.team, StateCategory.STARTED)

    tasks.task_transition(actor=world.admin, task=task, to_state=started)

    for user in (world.member.user, world.owner.user):
        [row] = inbox(user)
        assert row.kind == NotificationKind.STATUS_CHANGED
        assert row.sentence == f"acme admin moved {task.key} “Ship it” to {started.name}."
    assert inbox(world.admin.user) == []
    assert outbox() == []  # status changes are in-app only by default


def test_the_assignee_moving_their_own_task_tells_only_the_creator(world):
    task = TaskFactory(team=world.team, assignee=world.member.user, created_by=world.owner.user)

    tasks.task_transition(
        actor=world.member, task=task, to_state=state_of(world.team, StateCategory.STARTED)
    )

    assert inbox(world.member.user) == []
    assert len(inbox(world.owner.user)) == 1


def test_other_field_changes_notify_nobody(world):
    task = TaskFactory(team=world.team, assignee=world.member.user)

    tasks.task_update(actor=world.admin, task=task, title="A better title")

    assert Notification.objects.count() == 0


# --- transactions ---------------------------------------------------------------------------


def test_a_rolled_back_change_leaves_no_inbox_or_outbox_rows(world, task):
    class Abort(Exception):
        pass

    written_inside = []

    def change_then_fail() -> None:
        with transaction.atomic():
            tasks.task_assign(actor=world.admin, task=task, assignee=world.member.user)
            tasks.task_comment_add(actor=world.admin, task=task, body="@member over to you")
            written_inside.append(len(inbox(world.member.user)))
            raise Abort

    with pytest.raises(Abort):
        change_then_fail()

    assert written_inside == [2]  # written inside the transaction…

    assert Notification.objects.count() == 0  # …and gone with it
    assert outbox() == []


def test_the_same_news_twice_in_one_transaction_is_sent_once(world, task):
    with transaction.atomic():
        tasks.task_assign(actor=world.admin, task=task, assignee=world.member.user)
        tasks.task_assign(actor=world.admin, task=task, assignee=None)
        tasks.task_assign(actor=world.admin, task=task, assignee=world.member.user)

    assert len(inbox(world.member.user)) == 1
    assert len(outbox(Channel.EMAIL)) == 1


def test_the_same_news_in_separate_transactions_is_sent_each_time(
    world, task, django_capture_on_commit_callbacks
):
    for assignee in (world.member.user, None, world.member.user):
        with django_capture_on_commit_callbacks(execute=True):  # each one commits
            tasks.task_assign(actor=world.admin, task=task, assignee=assignee)

    assert len(inbox(world.member.user)) == 2


# --- preferences ----------------------------------------------------------------------------


def test_turned_off_channels_are_not_used(world, task):
    preferences_update(actor=world.member, choices={"assigned": {"in_app": False, "email": False}})

    tasks.task_assign(actor=world.admin, task=task, assignee=world.member.user)

    assert inbox(world.member.user) == []
    assert outbox() == []


def test_email_only_writes_no_inbox_row(world, task):
    preferences_update(actor=world.member, choices={"assigned": {"in_app": False}})

    tasks.task_assign(actor=world.admin, task=task, assignee=world.member.user)

    assert inbox(world.member.user) == []
    assert len(outbox(Channel.EMAIL)) == 1


def test_turning_a_channel_on_sends_what_the_default_does_not(world):
    task = TaskFactory(team=world.team, assignee=world.member.user)
    preferences_update(actor=world.member, choices={"status_changed": {"email": True}})

    tasks.task_transition(
        actor=world.admin, task=task, to_state=state_of(world.team, StateCategory.DONE)
    )

    [email] = outbox(Channel.EMAIL)
    assert email.destination == world.member.user.email


# --- tenancy --------------------------------------------------------------------------------


def test_people_outside_the_workspace_are_never_notified(world, world_b):
    stranger = world_b.member.user

    sent = notify(
        workspace=world.workspace,
        recipient=stranger,
        kind=NotificationKind.ASSIGNED,
        sentence="Leaked",
        about=About("task", 1, "/"),
    )

    assert sent is None
    assert Notification.objects.count() == 0
    assert notification_wants(stranger, world.workspace, "assigned", "in_app") is False


# --- kr_at_risk (RollupChanged) -------------------------------------------------------------


@pytest.fixture
def key_result(world):
    period = PeriodFactory(workspace=world.workspace)
    objective = ObjectiveFactory(period=period, team=world.team, owner=world.owner.user)
    return KeyResultFactory(objective=objective, owner=world.member.user, title="Cut churn to 2%")


def rollup_changed(world, key_result, before, after, kind=NodeKind.KEY_RESULT):
    with transaction.atomic():
        publish_on_commit(
            RollupChanged(
                workspace_id=world.workspace.pk,
                kind=kind,
                node_id=key_result.pk,
                progress_before="0.2",
                progress_after="0.2",
                status_before=before,
                status_after=after,
            )
        )


@pytest.mark.parametrize(
    ("before", "after"),
    [("on_track", "at_risk"), ("on_track", "off_track"), ("at_risk", "off_track")],
)
def test_a_key_result_getting_worse_tells_its_owner(world, key_result, before, after):
    rollup_changed(world, key_result, before, after)

    [row] = inbox(world.member.user)
    assert row.kind == NotificationKind.KR_AT_RISK
    label = after.replace("_", " ")
    assert row.sentence == f"Your key result “Cut churn to 2%” is now {label}."
    assert row.url.endswith(f"/okrs/objectives/{key_result.objective_id}/#kr-{key_result.pk}")
    assert row.actor is None
    assert len(outbox(Channel.EMAIL)) == 1


@pytest.mark.parametrize(
    ("before", "after", "kind"),
    [
        ("off_track", "at_risk", NodeKind.KEY_RESULT),  # better, not worse
        ("at_risk", "on_track", NodeKind.KEY_RESULT),
        ("at_risk", "at_risk", NodeKind.KEY_RESULT),
        ("on_track", "off_track", NodeKind.OBJECTIVE),  # not a key result
    ],
)
def test_other_rollup_changes_notify_nobody(world, key_result, before, after, kind):
    rollup_changed(world, key_result, before, after, kind=kind)

    assert Notification.objects.count() == 0


def test_the_at_risk_email_says_why(world, key_result):
    Rollup.objects.create(
        workspace=world.workspace,
        kind=NodeKind.KEY_RESULT,
        node_id=key_result.pk,
        status="at_risk",
        reasons=[
            {
                "code": "stale_check_in",
                "numbers": {"days": 20, "limit": 14},
                "objects": [["key_result", key_result.pk]],
            }
        ],
    )

    rollup_changed(world, key_result, "on_track", "at_risk")

    [email] = outbox(Channel.EMAIL)
    assert (
        "The last check-in was 20 days ago (expected at least every 14 days)."
        in (email.payload["text"])
    )


def test_an_unowned_key_result_notifies_nobody(world, key_result):
    key_result.owner = None
    key_result.save()

    rollup_changed(world, key_result, "on_track", "off_track")

    assert Notification.objects.count() == 0


# --- notification_wants ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "expected"),
    [(Role.OWNER, True), (Role.ADMIN, True), (Role.MEMBER, False), (Role.VIEWER, False)],
)
def test_the_weekly_digest_is_on_by_default_for_leaders_only(world, role, expected):
    user = world.membership(role).user

    assert notification_wants(user, world.workspace, "weekly_digest", "email") is expected
    assert notification_wants(user, world.workspace, "weekly_digest", "in_app") is False


def test_a_member_can_opt_into_the_digest_and_an_owner_out(world):
    preferences_update(actor=world.member, choices={"weekly_digest": {"email": True}})
    preferences_update(actor=world.owner, choices={"weekly_digest": {"email": False}})

    assert notification_wants(world.member.user, world.workspace, "weekly_digest", "email")
    assert not notification_wants(world.owner.user, world.workspace, "weekly_digest", "email")


def test_unknown_kinds_and_channels_are_refused(world):
    with pytest.raises(ValueError, match="Unknown notification kind"):
        notification_wants(world.member.user, world.workspace, "birthday", "email")
    with pytest.raises(ValueError, match="Unknown channel"):
        notification_wants(world.member.user, world.workspace, "assigned", "pager")


def test_inactive_accounts_want_nothing(world):
    user = world.member.user
    user.is_active = False
    user.save()

    assert notification_wants(user, world.workspace, "assigned", "in_app") is False


def test_a_user_with_no_membership_wants_nothing(world):
    assert notification_wants(UserFactory(), world.workspace, "assigned", "email") is False


def test_notifications_are_kept_newest_first(world, task):
    older = Notification.objects.create(
        workspace=world.workspace,
        recipient=world.member.user,
        kind="assigned",
        sentence="old",
        object_type="task",
        object_id=task.pk,
        created_at=timezone.now() - timedelta(days=1),
    )
    tasks.task_assign(actor=world.admin, task=task, assignee=world.member.user)

    assert list(Notification.objects.filter(recipient=world.member.user))[-1] == older
