"""Shaping work: sub-tasks from the task page, parent by key, dependencies with the picker
(cycles refused with their path), and the privacy of every lookup they make. The API's side
(a task by id or key) is in test_shaping_api.py."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from alignment.graph import path_between
from alignment.models import AuditEvent, TeamMember
from tasks import services
from tasks.errors import DependencyCycle, TaskDependencyCycle
from tasks.models import StateCategory, Task, TaskDependency, TaskEvent
from tasks.shaping import subtask_progress, task_picker
from tests.conftest import World, build_guest, client_for
from tests.factories import TeamFactory
from tests.factories.work import (
    RoadmapItemFactory,
    SprintFactory,
    TaskDependencyFactory,
    TaskFactory,
    state_of,
)
from tests.matrix_snapshot import Snapshot

HTMX = {"HTTP_HX_REQUEST": "true"}


def url(world: World, name: str, key: str, **kwargs: object) -> str:
    return reverse(f"tasks:{name}", kwargs={"slug": world.workspace.slug, "key": key, **kwargs})


def picker_url(world: World) -> str:
    return reverse("tasks:picker", kwargs={"slug": world.workspace.slug})


# --- services ----------------------------------------------------------------------------


def test_a_subtask_inherits_team_sprint_and_roadmap_item(world, team):
    sprint = SprintFactory(team=team, status="active")
    item = RoadmapItemFactory(roadmap__workspace=world.workspace)
    parent = TaskFactory(team=team, sprint=sprint, roadmap_item=item)

    sub = services.task_subtask_create(
        actor=world.member, parent=parent, title="  Write   the migration ", estimate="2"
    )

    assert (sub.team_id, sub.sprint_id, sub.roadmap_item_id, sub.parent_id) == (
        team.pk,
        sprint.pk,
        item.pk,
        parent.pk,
    )
    assert sub.title == "Write the migration"
    assert sub.estimate == Decimal("2.0")
    # In a sprint, a new task starts in the team's "to do" column, with history.
    assert sub.state_category == StateCategory.UNSTARTED
    assert TaskEvent.objects.filter(task=sub, kind="created").exists()


def test_a_subtask_of_a_task_in_a_closed_sprint_goes_to_the_backlog(world, team):
    parent = TaskFactory(team=team, sprint=SprintFactory(team=team, status="closed"))

    sub = services.task_subtask_create(actor=world.member, parent=parent, title="Leftover")

    assert sub.sprint_id is None
    assert sub.state_category == StateCategory.BACKLOG


def test_a_viewer_cannot_create_a_subtask(world, team):
    parent = TaskFactory(team=team)
    with pytest.raises(Exception, match="member"):
        services.task_subtask_create(actor=world.viewer, parent=parent, title="No")
    assert not Task.objects.filter(parent=parent).exists()


def test_path_between_follows_the_shortest_chain(world, team):
    a, b, c, d = (TaskFactory(team=team) for _ in range(4))
    for blocking, blocked in ((a, b), (b, c), (c, d), (a, d)):
        TaskDependencyFactory(blocking=blocking, blocked=blocked)

    assert path_between(
        TaskDependency, workspace_id=world.workspace.pk, start_id=a.pk, goal_id=d.pk
    ) == [a.pk, d.pk]
    assert path_between(
        TaskDependency, workspace_id=world.workspace.pk, start_id=b.pk, goal_id=d.pk
    ) == [b.pk, c.pk, d.pk]
    assert (
        path_between(TaskDependency, workspace_id=world.workspace.pk, start_id=d.pk, goal_id=a.pk)
        is None
    )


def test_a_cycle_is_refused_with_the_loop_it_would_close(world, team):
    first, second, third = (TaskFactory(team=team) for _ in range(3))
    TaskDependencyFactory(blocking=second, blocked=third)
    TaskDependencyFactory(blocking=third, blocked=first)

    with pytest.raises(TaskDependencyCycle) as refused:
        services.task_dependency_add(actor=world.member, blocking=first, blocked=second)

    loop = f"{first.key} → {second.key} → {third.key} → {first.key}"
    assert refused.value.details["path"] == loop
    assert loop in refused.value.text
    assert refused.value.code == "dependency_cycle"
    assert isinstance(refused.value, DependencyCycle)  # importers still catch it
    assert TaskDependency.objects.count() == 2


def test_a_task_cannot_block_itself_and_says_so(world, team):
    task = TaskFactory(team=team)
    with pytest.raises(TaskDependencyCycle) as refused:
        services.task_dependency_add(actor=world.member, blocking=task, blocked=task)
    assert refused.value.details["path"] == f"{task.key} → {task.key}"


def test_a_cycle_through_a_private_team_does_not_name_its_task(world, team, private_team):
    mine, other = TaskFactory(team=team), TaskFactory(team=team)
    hidden = TaskFactory(team=private_team)
    TaskDependencyFactory(blocking=other, blocked=hidden)
    TaskDependencyFactory(blocking=hidden, blocked=mine)

    with pytest.raises(TaskDependencyCycle) as refused:
        services.task_dependency_add(actor=world.member, blocking=mine, blocked=other)

    path = refused.value.details["path"]
    assert hidden.key not in path
    assert path == f"{mine.key} → {other.key} → (a task you cannot see) → {mine.key}"


# --- selectors ---------------------------------------------------------------------------


def test_subtask_progress_counts_done_work_and_leaves_canceled_out(team):
    parent = TaskFactory(team=team)
    done, doing, canceled = (
        state_of(team, c)
        for c in (StateCategory.DONE, StateCategory.STARTED, StateCategory.CANCELED)
    )
    subs = [
        TaskFactory(team=team, parent=parent, state=done, estimate=Decimal("3")),
        TaskFactory(team=team, parent=parent, state=doing, estimate=Decimal("2")),
        TaskFactory(team=team, parent=parent, state=doing),
        TaskFactory(team=team, parent=parent, state=canceled, estimate=Decimal("8")),
    ]

    progress = subtask_progress(subs)

    assert (progress.done, progress.total) == (1, 3)
    assert (progress.done_points, progress.total_points) == (Decimal("3"), Decimal("5"))
    assert progress.percent == 33
    assert subtask_progress([]).percent == 0


def test_the_picker_finds_by_key_and_title_among_visible_tasks_only(world, team, private_team):
    wanted = TaskFactory(team=team, title="Rotate the signing keys")
    other = TaskFactory(team=team, title="Rotate logs")
    hidden = TaskFactory(team=private_team, title="Rotate the vault")

    by_key = task_picker(world.member, wanted.key.lower())
    by_title = task_picker(world.member, "rotate")
    excluded = task_picker(world.member, "rotate", exclude=[other.pk])

    assert by_key[0] == wanted
    assert set(by_title) == {wanted, other}
    assert hidden not in by_title
    assert excluded == [wanted]
    assert task_picker(world.member, hidden.key) == []
    assert hidden in task_picker(world.admin, "rotate")
    assert task_picker(world.member, "   ") == []


# --- pages -------------------------------------------------------------------------------


def test_the_task_page_lists_subtasks_with_states_and_progress(member_client, world, team):
    parent = TaskFactory(team=team, title="Checkout")
    TaskFactory(
        team=team, parent=parent, state=state_of(team, StateCategory.DONE), estimate=Decimal(2)
    )
    TaskFactory(team=team, parent=parent, title="Pay by card", estimate=Decimal(3))

    html = member_client.get(url(world, "task", parent.key)).content.decode()

    assert "1 of 2 done" in html
    assert "2 of 5 points" in html
    assert "Pay by card" in html
    assert 'data-percent="50"' in html
    assert 'action="' + url(world, "subtask_add", parent.key) in html


def test_viewers_never_see_the_shaping_forms(viewer_client, world, team):
    task = TaskFactory(team=team)
    blocker = TaskFactory(team=team)
    TaskDependencyFactory(blocking=blocker, blocked=task)

    html = viewer_client.get(url(world, "task", task.key)).content.decode()

    assert 'id="shaping"' in html
    for name in ("subtask_add", "parent_set", "dependency_add"):
        assert url(world, name, task.key) not in html
    assert "/remove/" not in html
    assert "task-picker" not in html


def test_adding_a_subtask_with_htmx_answers_the_section(member_client, world, team):
    parent = TaskFactory(team=team)

    response = member_client.post(
        url(world, "subtask_add", parent.key), {"title": "Draft the copy", "estimate": "1"}, **HTMX
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert html.startswith('<div id="shaping"')
    sub = Task.objects.get(parent=parent)
    assert sub.title == "Draft the copy"
    assert f'id="subtask-{sub.key}"' in html


def test_adding_a_subtask_without_javascript_redirects_back(member_client, world, team):
    parent = TaskFactory(team=team)

    response = member_client.post(url(world, "subtask_add", parent.key), {"title": "Plain"})

    assert response.status_code == 303
    assert response["Location"].endswith(url(world, "task", parent.key) + "#subtasks")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"title": ""}, "This field is required."),
        ({"title": "Ok", "estimate": "-1"}, "greater than or equal to 0"),
        ({"title": "Ok", "estimate": "lots"}, "Enter a number."),
    ],
)
def test_a_bad_subtask_gets_a_message_and_changes_nothing(
    member_client, world, team, body, message
):
    parent = TaskFactory(team=team)
    before = Snapshot(world.workspace)

    response = member_client.post(url(world, "subtask_add", parent.key), body, **HTMX)

    assert response.status_code == 422
    assert message in response.content.decode()
    assert Snapshot(world.workspace) == before


def test_the_parent_is_set_by_key_and_cleared_by_an_empty_field(member_client, world, team):
    parent, task = TaskFactory(team=team), TaskFactory(team=team)

    response = member_client.post(
        url(world, "parent_set", task.key), {"parent": parent.key.lower(), "version": 1}
    )
    task.refresh_from_db()
    assert response.status_code == 303
    assert task.parent_id == parent.pk

    member_client.post(url(world, "parent_set", task.key), {"parent": "", "version": task.version})
    task.refresh_from_db()
    assert task.parent_id is None


@pytest.mark.parametrize(
    ("parent_key", "message"),
    [
        ("not a key", "is not a task key"),
        ("ENG-99999", "No task ENG-99999 in this workspace."),
        ("SELF", "A task cannot be its own ancestor."),
        ("CHILD", "A task cannot be its own ancestor."),
        ("HIDDEN", "No task"),
    ],
)
def test_a_bad_parent_gets_a_message_and_changes_nothing(
    member_client, world, team, private_team, parent_key, message
):
    task = TaskFactory(team=team)
    child = TaskFactory(team=team, parent=task)
    hidden = TaskFactory(team=private_team)
    parent_key = {"SELF": task.key, "CHILD": child.key, "HIDDEN": hidden.key}.get(
        parent_key, parent_key
    )
    before = Snapshot(world.workspace)

    response = member_client.post(
        url(world, "parent_set", task.key), {"parent": parent_key, "version": 1}, **HTMX
    )

    assert response.status_code == 422
    html = response.content.decode()
    assert message in html
    assert hidden.title not in html  # the typed key is echoed back, nothing of the task
    assert Snapshot(world.workspace) == before


def test_a_stale_parent_form_is_refused_with_409(member_client, world, team):
    parent, task = TaskFactory(team=team), TaskFactory(team=team)
    services.task_update(actor=world.member, task=task, title="Changed meanwhile")

    response = member_client.post(
        url(world, "parent_set", task.key), {"parent": parent.key, "version": 1}, **HTMX
    )

    assert response.status_code == 409
    assert "changed by someone else" in response.content.decode()
    task.refresh_from_db()
    assert task.parent_id is None


def test_dependencies_are_added_both_ways_and_removed(member_client, world, team):
    task, blocker, waiting = (TaskFactory(team=team) for _ in range(3))

    member_client.post(
        url(world, "dependency_add", task.key), {"direction": "blocked_by", "other": blocker.key}
    )
    response = member_client.post(
        url(world, "dependency_add", task.key),
        {"direction": "blocks", "other": waiting.key},
        **HTMX,
    )

    assert response.status_code == 200
    assert TaskDependency.objects.filter(blocking=blocker, blocked=task).exists()
    link = TaskDependency.objects.get(blocking=task, blocked=waiting)
    remove = url(world, "dependency_remove", task.key, task_dependency_id=link.pk)
    assert remove in response.content.decode()

    response = member_client.post(remove, **HTMX)

    assert response.status_code == 200
    assert not TaskDependency.objects.filter(pk=link.pk).exists()
    assert AuditEvent.objects.filter(
        workspace=world.workspace, verb="task.dependency_removed"
    ).exists()


def test_a_cycle_from_the_page_shows_the_path_and_changes_nothing(member_client, world, team):
    first, second = TaskFactory(team=team), TaskFactory(team=team)
    TaskDependencyFactory(blocking=first, blocked=second)
    before = Snapshot(world.workspace)

    response = member_client.post(
        url(world, "dependency_add", first.key),
        {"direction": "blocked_by", "other": second.key},
        **HTMX,
    )

    assert response.status_code == 409
    assert f"{second.key} → {first.key} → {second.key}" in response.content.decode()
    assert Snapshot(world.workspace) == before


def test_a_dependency_on_a_hidden_task_reads_as_missing(member_client, world, team, private_team):
    task, hidden = TaskFactory(team=team), TaskFactory(team=private_team)

    response = member_client.post(
        url(world, "dependency_add", task.key),
        {"direction": "blocked_by", "other": hidden.key},
        **HTMX,
    )

    assert response.status_code == 422
    assert f"No task {hidden.key} in this workspace." in response.content.decode()
    assert not TaskDependency.objects.exists()


def test_a_link_of_another_task_cannot_be_removed_through_this_one(member_client, world, team):
    task = TaskFactory(team=team)
    elsewhere = TaskDependencyFactory(
        blocking=TaskFactory(team=team), blocked=TaskFactory(team=team)
    )

    response = member_client.post(
        url(world, "dependency_remove", task.key, task_dependency_id=elsewhere.pk)
    )

    assert response.status_code == 404
    assert TaskDependency.objects.filter(pk=elsewhere.pk).exists()


def test_the_picker_answers_options_for_the_combobox(member_client, world, team, private_team):
    task = TaskFactory(team=team, title="Ship the export")
    other = TaskFactory(team=team, title="Ship the import")
    TaskFactory(team=private_team, title="Ship the secret")

    response = member_client.get(
        picker_url(world), {"q": "ship", "exclude": task.key, "field": "other"}
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert f'id="other-option-{other.pk}"' in html
    assert f'data-key="{other.key}"' in html
    assert "Ship the export" not in html
    assert "secret" not in html
    none = member_client.get(picker_url(world), {"q": "zzz", "field": "<script>"}).content
    assert b"No matching task" in none
    assert b"<script>" not in none


def test_a_guest_picks_only_among_their_teams_tasks(world, team):
    guest = build_guest(world)
    TeamMember.objects.create(workspace=world.workspace, team=team, user=guest.user)
    other_team = TeamFactory(workspace=world.workspace, name="Ops", key="OPS")
    mine = TaskFactory(team=team, title="Guest visible work")
    TaskFactory(team=other_team, title="Guest invisible work")

    html = client_for(guest.user).get(picker_url(world), {"q": "work"}).content.decode()

    assert mine.key in html
    assert "invisible" not in html


# --- a task straight from a roadmap item ----------------------------------------------


def test_the_item_page_adds_a_task_for_its_owner_team(member_client, viewer_client, world):
    design = TeamFactory(workspace=world.workspace, name="Design", key="DES")
    item = RoadmapItemFactory(roadmap__workspace=world.workspace, owner_team=design)
    item_url = reverse(
        "roadmaps:item",
        kwargs={"slug": world.workspace.slug, "roadmap_id": item.roadmap_id, "item_id": item.pk},
    )

    page = member_client.get(item_url).content.decode()
    link = f"/w/{world.workspace.slug}/tasks/new/?roadmap_item={item.pk}&amp;team={design.pk}"
    assert link in page
    assert "Add a task" not in viewer_client.get(item_url).content.decode()

    form = member_client.get(link.replace("&amp;", "&")).context["form"]
    assert form.initial == {"team": design.pk, "roadmap_item": item.pk}
    created = member_client.post(
        reverse("tasks:task_new", kwargs={"slug": world.workspace.slug}),
        {"title": "Sketch the flow", "team": design.pk, "roadmap_item": item.pk, "priority": 0},
    )
    assert created.status_code == 303
    task = Task.objects.get(title="Sketch the flow")
    assert (task.team_id, task.roadmap_item_id) == (design.pk, item.pk)


def test_a_hidden_item_or_team_in_the_link_is_ignored(member_client, world, private_team):
    item = RoadmapItemFactory(roadmap__workspace=world.workspace, owner_team=private_team)
    new = reverse("tasks:task_new", kwargs={"slug": world.workspace.slug})

    form = member_client.get(new, {"roadmap_item": item.pk, "team": private_team.pk}).context[
        "form"
    ]

    assert form.initial == {"team": None, "roadmap_item": None}
    assert member_client.get(new, {"roadmap_item": "x"}).status_code == 200
