"""Archive, delete (undo window) and restore; the undo toast of moves, shortcuts and bulk
changes; sub-task progress on cards; the board's key-result choices; the capacity form."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import unquote

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from alignment.errors import StaleVersion
from alignment.models import Team, TeamMember
from okrs.models import Period
from readmodel.models import Rollup
from tasks import page_selectors, services, undo
from tasks.errors import RestoreWindowClosed, UndoExpired, UndoRefused
from tasks.forms import CapacityForm
from tasks.models import Sprint, StateCategory, Task, TaskEvent, TaskEventKind, TaskLabel
from tests.conftest import World
from tests.factories.core import MembershipFactory, UserFactory
from tests.factories.work import (
    LabelFactory,
    RoadmapItemFactory,
    SprintFactory,
    TaskFactory,
    key_result_in,
    state_of,
)
from tests.tasks.test_views_board import HTMX, backlog_url, board_url, move_url


@pytest.fixture
def sprint(team: Team) -> Sprint:
    return SprintFactory(team=team, name="Sprint 7", status="active")


def task_path(world: World, task: Task, name: str) -> str:
    return reverse(f"tasks:{name}", kwargs={"slug": world.workspace.slug, "key": task.key})


# ---- archive, delete, restore -----------------------------------------------------------


def test_archived_tasks_leave_board_backlog_search_and_api(
    member_client, member_api, world, team, sprint
):
    on_board = TaskFactory(team=team, sprint=sprint, title="Board card")
    in_backlog = TaskFactory(team=team, title="Backlog row")
    for task in (on_board, in_backlog):
        services.task_archive(actor=world.member, task=task)
    assert "Board card" not in member_client.get(board_url(world, team)).content.decode()
    assert "Backlog row" not in member_client.get(backlog_url(world, team)).content.decode()
    api = member_api.get(f"/api/v1/workspaces/{world.workspace.slug}/tasks/").json()
    assert api["results"] == []
    assert Task.objects.count() == 0
    assert Task.all_objects.count() == 2  # history kept
    assert TaskEvent.objects.filter(kind=TaskEventKind.ARCHIVED).count() == 2


def test_archive_is_versioned(world, team):
    task = TaskFactory(team=team)
    with pytest.raises(StaleVersion):
        services.task_archive(actor=world.member, task=task, expected_version=task.version + 1)
    assert Task.objects.filter(pk=task.pk).exists()


def test_an_archived_task_leaves_the_read_model_and_comes_back(
    world, team, django_capture_on_commit_callbacks
):
    item = RoadmapItemFactory(roadmap__workspace=world.workspace)
    with django_capture_on_commit_callbacks(execute=True):
        keep = TaskFactory(team=team, roadmap_item=item, estimate=3)
        gone = TaskFactory(team=team, roadmap_item=item, estimate=5)
        services.task_update(actor=world.member, task=keep, title="Touch")  # first rollup
    row = Rollup.objects.get(kind="roadmap_item", node_id=item.pk)
    assert row.total_count == 2
    with django_capture_on_commit_callbacks(execute=True):
        services.task_archive(actor=world.member, task=gone)
    row = Rollup.objects.get(kind="roadmap_item", node_id=item.pk)
    assert (row.total_count, row.total_points) == (1, Decimal("3"))
    with django_capture_on_commit_callbacks(execute=True):
        services.task_restore(actor=world.member, task=Task.all_objects.get(pk=gone.pk))
    assert Rollup.objects.get(kind="roadmap_item", node_id=item.pk).total_count == 2


def test_a_deleted_task_can_be_restored_only_within_the_window(world, team, settings):
    settings.TASK_UNDO_MINUTES = 10
    early = services.task_delete(actor=world.member, task=TaskFactory(team=team))
    late = services.task_delete(actor=world.member, task=TaskFactory(team=team))
    services.task_restore(actor=world.member, task=Task.all_objects.get(pk=early.pk))
    assert Task.objects.filter(pk=early.pk).exists()
    later = timezone.now() + timedelta(minutes=11)
    with time_machine.travel(later, tick=False), pytest.raises(RestoreWindowClosed):
        services.task_restore(actor=world.member, task=Task.all_objects.get(pk=late.pk))
    assert not Task.objects.filter(pk=late.pk).exists()
    assert Task.all_objects.filter(pk=late.pk).exists()  # a tombstone: its history stays


def test_archived_tasks_leave_the_sprint_scope_from_then_on(world, team, sprint):
    from tasks.sprint_scope import load_histories

    task = TaskFactory(team=team, sprint=sprint, estimate=2)
    services.task_update(actor=world.member, task=task, estimate=3)  # a history row
    services.task_archive(actor=world.member, task=task)
    history = load_histories([task.pk])[task.pk]
    assert history[-1].merged  # out of scope
    services.task_restore(actor=world.member, task=Task.all_objects.get(pk=task.pk))
    assert not load_histories([task.pk])[task.pk][-1].merged


def test_viewers_cannot_archive(world, team):
    from alignment.errors import RoleRequired

    with pytest.raises(RoleRequired):
        services.task_archive(actor=world.viewer, task=TaskFactory(team=team))


def test_archive_from_the_task_page_offers_undo_then_restores(member_client, world, team):
    task = TaskFactory(team=team, title="Archive me")
    detail = member_client.get(task_path(world, task, "task")).content.decode()
    assert "Archive" in detail
    assert "Delete" in detail
    response = member_client.post(task_path(world, task, "archive"), {"version": task.version})
    assert response.status_code == 303
    board = member_client.get(response["Location"]).content.decode()
    assert f"{task.key} archived." in board
    assert "data-undo" in board
    token = board.split('name="token" value="')[1].split('"')[0]
    undone = member_client.post(
        reverse("tasks:undo", kwargs={"slug": world.workspace.slug}), {"token": token}
    )
    assert undone.status_code == 303
    assert Task.objects.filter(pk=task.pk).exists()


def test_the_archived_page_lists_and_restores(member_client, viewer_client, world, team):
    task = services.task_archive(actor=world.member, task=TaskFactory(team=team, title="Old"))
    url = reverse("tasks:archived", kwargs={"slug": world.workspace.slug, "team_id": team.pk})
    page = member_client.get(url).content.decode()
    assert "Old" in page
    assert "Restore" in page
    assert 'aria-label="Restore' not in viewer_client.get(url).content.decode()
    restore = reverse(
        "tasks:restore",
        kwargs={"slug": world.workspace.slug, "team_id": team.pk, "key": task.key},
    )
    assert viewer_client.post(restore).status_code == 403
    assert member_client.post(restore).status_code == 303
    assert Task.objects.filter(pk=task.pk).exists()


# ---- undo -------------------------------------------------------------------------------


def test_a_move_answers_an_undo_toast_that_reverts_it(member_client, world, team, sprint):
    todo = state_of(team, StateCategory.UNSTARTED)
    doing = state_of(team, StateCategory.STARTED)
    task = TaskFactory(team=team, sprint=sprint, state=todo, state_category=todo.category)
    rank = task.rank
    response = member_client.post(
        move_url(world, task), {"version": task.version, "state": doing.pk}, **HTMX
    )
    assert response.status_code == 200
    toast = unquote(response["X-Undo-Toast"])
    assert f"{task.key} moved to {doing.name}." in toast
    token = toast.split('name="token" value="')[1].split('"')[0]
    undone = member_client.post(
        reverse("tasks:undo", kwargs={"slug": world.workspace.slug}), {"token": token}, **HTMX
    )
    assert undone.status_code == 200
    assert undone.get("HX-Refresh") == "true" or undone.get("HX-Redirect")
    task.refresh_from_db()
    assert (task.state_id, task.rank) == (todo.pk, rank)


def test_undo_is_refused_when_the_task_changed_since(world, team, sprint):
    todo = state_of(team, StateCategory.UNSTARTED)
    doing = state_of(team, StateCategory.STARTED)
    task = TaskFactory(team=team, sprint=sprint, state=todo, state_category=todo.category)
    before = undo.snapshot([task], ("state", "rank"))
    services.task_transition(actor=world.member, task=task, to_state=doing)
    token = undo.token(world.member, [task], before, "moved")
    services.task_update(actor=world.admin, task=Task.objects.get(pk=task.pk), title="Edited")
    with pytest.raises(UndoRefused) as caught:
        undo.undo(actor=world.member, raw_token=token)
    assert "was changed since" in str(caught.value)
    assert Task.objects.get(pk=task.pk).state_id == doing.pk


def test_undo_tokens_are_bound_to_their_maker_and_expire(world, team, settings):
    task = TaskFactory(team=team)
    before = undo.snapshot([task], ("priority",))
    services.task_update(actor=world.member, task=task, priority=1)
    token = undo.token(world.member, [task], before, "changed")
    with pytest.raises(UndoExpired):
        undo.undo(actor=world.admin, raw_token=token)
    with pytest.raises(UndoExpired):
        undo.undo(actor=world.member, raw_token=token + "x")
    later = timezone.now() + timedelta(minutes=settings.TASK_UNDO_MINUTES + 1)
    with time_machine.travel(later), pytest.raises(UndoExpired):
        undo.undo(actor=world.member, raw_token=token)


def test_a_bulk_change_is_undone_for_every_task_or_none(member_client, world, team, sprint):
    first, second = TaskFactory(team=team), TaskFactory(team=team)
    bulk = reverse("tasks:backlog_bulk", kwargs={"slug": world.workspace.slug, "team_id": team.pk})
    response = member_client.post(
        bulk, {"tasks": [first.pk, second.pk], "action": "sprint", "sprint": sprint.pk}
    )
    assert response.status_code == 303
    page = member_client.get(response["Location"]).content.decode()
    assert "Moved 2 task(s) to Sprint 7." in page
    token = page.split('name="token" value="')[1].split('"')[0]
    # Someone edits one of them: the whole undo is refused, nothing moves back.
    services.task_update(actor=world.admin, task=Task.objects.get(pk=second.pk), title="Edited")
    refused = member_client.post(
        reverse("tasks:undo", kwargs={"slug": world.workspace.slug}), {"token": token}, **HTMX
    )
    assert refused.status_code == 409
    assert "was changed since" in refused.content.decode()
    assert set(Task.objects.filter(sprint=sprint).values_list("pk", flat=True)) == {
        first.pk,
        second.pk,
    }


def test_a_bulk_label_is_undone(world, team):
    bug = LabelFactory(workspace=world.workspace, name="bug")
    task = TaskFactory(team=team)
    before = undo.snapshot([task], ("labels",))
    tasks = services.task_bulk_update(actor=world.member, task_ids=[task.pk], add_labels=[bug])
    undo.undo(actor=world.member, raw_token=undo.token(world.member, tasks, before, "labelled"))
    assert not TaskLabel.objects.filter(task=task).exists()


# ---- card shortcuts ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value", "check"),
    [
        ("priority", "1", lambda t: t.priority == 1),
        ("points", "5", lambda t: t.estimate == Decimal("5")),
        ("assignee", "", lambda t: t.assignee_id is None),
    ],
)
def test_a_shortcut_field_saves_and_answers_the_card_with_undo(
    member_client, world, team, name, value, check
):
    task = TaskFactory(team=team, assignee=world.member.user)
    url = reverse(
        "tasks:shortcut", kwargs={"slug": world.workspace.slug, "key": task.key, "name": name}
    )
    form = member_client.get(url, **HTMX)
    assert form.status_code == 200
    assert "data-field-form" in form.content.decode()
    response = member_client.post(url, {"value": value, "version": task.version}, **HTMX)
    assert response.status_code == 200, response.content
    assert f'id="task-{task.key}"' in response.content.decode()
    assert "X-Undo-Toast" in response
    assert check(Task.objects.get(pk=task.pk))


def test_shortcut_state_and_labels(member_client, world, team):
    task = TaskFactory(team=team)
    bug = LabelFactory(workspace=world.workspace, name="bug")
    doing = state_of(team, StateCategory.STARTED)
    base = {"slug": world.workspace.slug, "key": task.key}
    member_client.post(
        reverse("tasks:shortcut", kwargs={**base, "name": "state"}),
        {"value": doing.pk, "version": 1},
        **HTMX,
    )
    member_client.post(
        reverse("tasks:shortcut", kwargs={**base, "name": "labels"}),
        {"value": [bug.pk], "version": 2},
        **HTMX,
    )
    task.refresh_from_db()
    assert task.state_id == doing.pk
    assert list(TaskLabel.objects.filter(task=task).values_list("label_id", flat=True)) == [bug.pk]


def test_shortcut_bad_input_and_stale_versions_change_nothing(
    member_client, viewer_client, world, team
):
    task = TaskFactory(team=team)
    url = reverse(
        "tasks:shortcut", kwargs={"slug": world.workspace.slug, "key": task.key, "name": "points"}
    )
    assert member_client.post(url, {"value": "-3", "version": 1}, **HTMX).status_code == 422
    assert member_client.post(url, {"value": "3", "version": 7}, **HTMX).status_code == 409
    assert viewer_client.get(url, **HTMX).status_code == 403  # no form for a viewer at all
    bogus = url.replace("/points/", "/colour/")
    assert member_client.get(bogus, **HTMX).status_code == 404
    assert Task.objects.get(pk=task.pk).estimate is None


def test_the_help_lists_the_card_shortcuts_and_g_d(member_client, world):
    page = member_client.get(reverse("tasks:boards", kwargs={"slug": world.workspace.slug}))
    text = page.content.decode()
    for line in (
        "change its state",
        "change its assignee",
        "change its priority",
        "change its labels",
        "change its points",
        "Dashboard",
    ):
        assert line in text


# ---- cards, filters, capacity -----------------------------------------------------------


def test_cards_show_sub_task_progress_without_a_query_per_card(
    member_client, world, team, sprint, django_assert_num_queries
):
    parent = TaskFactory(team=team, sprint=sprint, title="Parent")
    done = state_of(team, StateCategory.DONE)
    TaskFactory(team=team, parent=parent, state=done, state_category="done")
    TaskFactory(team=team, parent=parent)
    canceled = state_of(team, StateCategory.CANCELED)
    TaskFactory(team=team, parent=parent, state=canceled, state_category="canceled")
    facts = page_selectors.card_facts(world.workspace, [parent])
    assert facts.subtask_progress(parent.pk) == (1, 2)
    assert "1/2 sub-tasks" in member_client.get(board_url(world, team)).content.decode()


def test_board_key_result_choices_are_the_sprints_periods(world, team):
    old = key_result_in(world.workspace, "Old KR")  # in Q1 2026
    current = Period.objects.create(
        workspace=world.workspace, name="Q3", start=date(2026, 7, 1), end=date(2026, 9, 30)
    )
    new = key_result_in(world.workspace, "New KR")
    new.objective.period = current
    new.objective.save()
    choices = page_selectors.filter_choices(world.workspace, world.member, on=date(2026, 8, 1))
    assert [k.title for k in choices.key_results] == ["New KR"]
    kept = page_selectors.filter_choices(
        world.workspace, world.member, on=date(2026, 8, 1), keep={"key_result": old.pk}
    )
    assert {k.title for k in kept.key_results} == {"New KR", "Old KR"}


def test_the_capacity_form_lists_only_the_teams_members(world, team):
    TeamMember.objects.create(workspace=world.workspace, team=team, user=world.member.user)
    outsider = MembershipFactory(workspace=world.workspace, user=UserFactory())
    form = CapacityForm(workspace=world.workspace, team=team)
    people = list(form.fields["user"].queryset)
    assert people == [world.member.user]
    assert outsider.user not in people
