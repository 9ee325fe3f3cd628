from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from alignment.errors import CrossWorkspaceLink, FieldErrors, RoleRequired, StaleVersion
from alignment.models import AuditEvent
from tasks import services
from tasks.errors import (
    DependencyCycle,
    MergeNotAllowed,
    SprintAlreadyActive,
    SprintOfAnotherTeam,
    StateInUse,
    TransitionNotAllowed,
)
from tasks.models import (
    DEFAULT_STATES,
    SprintCarryOver,
    SprintStatus,
    StateCategory,
    Task,
    TaskAlias,
    TaskComment,
    TaskDependency,
    TaskEvent,
    WorkflowState,
)
from tasks.selectors import task_by_key
from tests.factories import MembershipFactory, TeamFactory, UserFactory
from tests.factories.work import (
    LabelFactory,
    SprintFactory,
    TaskCommentFactory,
    TaskDependencyFactory,
    TaskFactory,
    state_of,
)

# ---- workflow ---------------------------------------------------------------------------


def test_a_new_team_gets_the_default_workflow(world):
    team = TeamFactory(workspace=world.workspace, key="NEW")
    states = list(WorkflowState.objects.filter(team=team).values_list("name", "category"))
    assert states == [(name, category) for name, category, _ in DEFAULT_STATES]


def test_changing_a_states_category_updates_its_tasks(world, team, doing):
    task = TaskFactory(team=team, state=doing)
    services.workflow_state_update(actor=world.admin, state=doing, category=StateCategory.DONE)
    task.refresh_from_db()
    assert task.state_category == StateCategory.DONE


def test_members_cannot_edit_workflow_states(world, doing):
    with pytest.raises(RoleRequired):
        services.workflow_state_update(actor=world.member, state=doing, name="Coding")
    doing.refresh_from_db()
    assert doing.name == "In Progress"


def test_a_state_with_tasks_cannot_be_deleted(world, team, doing):
    TaskFactory(team=team, state=doing)
    with pytest.raises(StateInUse):
        services.workflow_state_delete(actor=world.admin, state=doing)
    assert WorkflowState.objects.filter(pk=doing.pk).exists()


# ---- create -----------------------------------------------------------------------------


def test_tasks_get_consecutive_keys_per_team(world, team, other_team):
    first = services.task_create(actor=world.member, team=team, title="One")
    second = services.task_create(actor=world.member, team=team, title="Two")
    elsewhere = services.task_create(actor=world.member, team=other_team, title="Three")
    assert [first.key, second.key, elsewhere.key] == ["ENG-1", "ENG-2", "DES-1"]


def test_a_failed_create_gives_its_number_back(world, team):
    with pytest.raises(FieldErrors):
        services.task_create(actor=world.member, team=team, title="x", estimate="-3")
    assert services.task_create(actor=world.member, team=team, title="Ok").number == 1


def test_new_tasks_are_appended_after_the_last_rank(world, team):
    first = services.task_create(actor=world.member, team=team, title="One")
    second = services.task_create(actor=world.member, team=team, title="Two")
    assert first.rank < second.rank


def test_a_backlog_task_starts_in_the_backlog_state(world, team):
    task = services.task_create(actor=world.member, team=team, title="One")
    assert (task.state.category, task.state_category) == ("backlog", "backlog")


def test_a_sprint_task_starts_in_the_todo_state(world, team):
    sprint = SprintFactory(team=team)
    task = services.task_create(actor=world.member, team=team, title="One", sprint=sprint)
    assert task.state_category == StateCategory.UNSTARTED


def test_create_records_a_created_event(world, team):
    task = services.task_create(actor=world.member, team=team, title="One", estimate=3)
    event = TaskEvent.objects.get(task=task)
    assert (event.kind, event.estimate, event.actor_id) == (
        "created",
        Decimal("3.0"),
        world.member.user_id,
    )


def test_description_is_stored_as_sanitized_html(world, team):
    task = services.task_create(
        actor=world.member, team=team, title="x", description="**hi** <script>alert(1)</script>"
    )
    assert task.description_html == "<p><strong>hi</strong> </p>"


def test_estimate_text_is_refused(world, team):
    with pytest.raises(FieldErrors) as caught:
        services.task_create(actor=world.member, team=team, title="x", estimate="three")
    assert list(caught.value.fields) == ["estimate"]
    assert not Task.objects.exists()


def test_another_workspaces_assignee_is_not_found(world, world_b, team):
    with pytest.raises(CrossWorkspaceLink):
        services.task_create(actor=world.member, team=team, title="x", assignee=world_b.member.user)
    assert not Task.objects.exists()


def test_another_workspaces_label_is_not_found(world, world_b, team):
    label = LabelFactory(workspace=world_b.workspace)
    with pytest.raises(CrossWorkspaceLink):
        services.task_create(actor=world.member, team=team, title="x", labels=[label])
    assert not Task.objects.exists()


def test_another_teams_sprint_is_refused(world, team, other_team):
    sprint = SprintFactory(team=other_team)
    with pytest.raises(SprintOfAnotherTeam):
        services.task_create(actor=world.member, team=team, title="x", sprint=sprint)
    assert not Task.objects.exists()


def test_viewers_cannot_create_tasks(world, team):
    with pytest.raises(RoleRequired):
        services.task_create(actor=world.viewer, team=team, title="x")
    assert not Task.objects.exists()


# ---- update, transition, move -----------------------------------------------------------


def test_transition_moves_the_task_and_records_history(world, team, doing):
    task = TaskFactory(team=team)
    services.task_transition(actor=world.member, task=task, to_state=doing, expected_version=1)
    event = TaskEvent.objects.get(task=task, kind="state")
    assert (task.state_id, task.version, event.before["state"]["category"]) == (
        doing.pk,
        2,
        "backlog",
    )
    assert task.started_at is not None


def test_transition_with_a_stale_version_is_refused(world, team, doing):
    task = TaskFactory(team=team, version=3)
    with pytest.raises(StaleVersion):
        services.task_transition(actor=world.member, task=task, to_state=doing, expected_version=2)
    task.refresh_from_db()
    assert (task.state.category, task.version) == ("backlog", 3)


def test_transition_to_another_teams_state_is_refused(world, team, other_team):
    task = TaskFactory(team=team)
    foreign = state_of(other_team, StateCategory.STARTED)
    with pytest.raises(TransitionNotAllowed):
        services.task_transition(actor=world.member, task=task, to_state=foreign)
    task.refresh_from_db()
    assert task.state_category == "backlog"


def test_moving_to_done_sets_completed_at_and_back_clears_it(world, team, done, doing):
    task = TaskFactory(team=team)
    services.task_transition(actor=world.member, task=task, to_state=done)
    assert task.completed_at is not None
    services.task_transition(actor=world.member, task=task, to_state=doing)
    assert task.completed_at is None


def test_update_records_estimate_and_assignee_events(world, team):
    task = TaskFactory(team=team)
    services.task_update(
        actor=world.member, task=task, expected_version=1, estimate=5, assignee=world.member.user
    )
    kinds = sorted(TaskEvent.objects.filter(task=task).values_list("kind", flat=True))
    assert kinds == ["assignee", "estimate"]


def test_update_without_changes_writes_nothing(world, team):
    task = TaskFactory(team=team, title="Same")
    services.task_update(actor=world.member, task=task, expected_version=1, title="Same")
    task.refresh_from_db()
    assert task.version == 1
    assert not TaskEvent.objects.filter(task=task).exists()


def test_update_sets_labels(world, team):
    task = TaskFactory(team=team)
    label = LabelFactory(workspace=world.workspace)
    services.task_update(actor=world.member, task=task, labels=[label])
    assert list(task.labels.all()) == [label]


def test_a_task_cannot_become_its_own_grandparent(world, team):
    parent = TaskFactory(team=team)
    child = TaskFactory(team=team, parent=parent)
    with pytest.raises(FieldErrors):
        services.task_update(actor=world.member, task=parent, parent=child)
    parent.refresh_from_db()
    assert parent.parent_id is None


def test_move_ranks_the_task_between_its_neighbours(world, team):
    a, b, c = TaskFactory(team=team), TaskFactory(team=team), TaskFactory(team=team)
    services.task_move(actor=world.member, task=c, expected_version=1, after=a, before=b)
    ordered = list(Task.objects.filter(team=team).values_list("pk", flat=True))
    assert ordered == [a.pk, c.pk, b.pk]


def test_move_between_neighbours_with_equal_ranks_still_succeeds(world, team):
    a = TaskFactory(team=team, rank="i5")
    b = TaskFactory(team=team, rank="i5")
    later = TaskFactory(team=team, rank="i9")
    mover = TaskFactory(team=team, rank="j00")
    services.task_move(actor=world.member, task=mover, expected_version=1, after=a, before=b)
    assert "i5" < mover.rank < later.rank


def test_move_with_a_stale_version_changes_nothing(world, team, doing):
    a, b = TaskFactory(team=team), TaskFactory(team=team)
    mover = TaskFactory(team=team, version=2)
    rank = mover.rank
    with pytest.raises(StaleVersion):
        services.task_move(
            actor=world.member, task=mover, expected_version=1, after=a, before=b, state=doing
        )
    mover.refresh_from_db()
    assert (mover.rank, mover.state_category, mover.version) == (rank, "backlog", 2)


def test_move_to_another_team_rekeys_and_keeps_the_old_key(world, team, other_team):
    task = TaskFactory(team=team)
    old_key = task.key
    services.task_move_to_team(actor=world.member, task=task, team=other_team)
    assert task.key == "DES-1"
    assert task_by_key(world.workspace, old_key) == task
    assert task.state.team_id == other_team.pk


def test_move_to_another_workspaces_team_is_impossible(world, world_b, team):
    task = TaskFactory(team=team)
    with pytest.raises(CrossWorkspaceLink):
        services.task_move_to_team(actor=world.member, task=task, team=world_b.team)
    task.refresh_from_db()
    assert (task.team_id, task.workspace_id) == (team.pk, world.workspace.pk)
    assert not TaskAlias.objects.exists()


def test_move_to_team_leaves_the_sprint(world, team, other_team):
    sprint = SprintFactory(team=team)
    task = TaskFactory(team=team, sprint=sprint)
    services.task_move_to_team(actor=world.member, task=task, team=other_team)
    assert task.sprint_id is None
    assert TaskEvent.objects.filter(task=task, kind="sprint").count() == 1


# ---- sprints ----------------------------------------------------------------------------


def test_a_team_can_have_only_one_active_sprint(world, team):
    SprintFactory(team=team, status=SprintStatus.ACTIVE)
    planned = SprintFactory(team=team)
    with pytest.raises(SprintAlreadyActive):
        services.sprint_start(actor=world.member, sprint=planned)
    planned.refresh_from_db()
    assert planned.status == SprintStatus.PLANNED


def test_closing_a_sprint_carries_unfinished_work_to_the_next_sprint(world, team, done):
    current = SprintFactory(team=team, status=SprintStatus.ACTIVE)
    following = SprintFactory(team=team, start_date=date(2026, 2, 1))
    unfinished = TaskFactory(team=team, sprint=current, estimate=3)
    finished = TaskFactory(team=team, sprint=current, state=done)
    carried = services.sprint_close(actor=world.member, sprint=current)
    unfinished.refresh_from_db()
    finished.refresh_from_db()
    assert [c.task_id for c in carried] == [unfinished.pk]
    assert (unfinished.sprint_id, finished.sprint_id) == (following.pk, current.pk)
    assert SprintCarryOver.objects.get().estimate == Decimal("3")
    assert current.status == SprintStatus.CLOSED


def test_closing_the_last_sprint_returns_unfinished_work_to_the_backlog(world, team):
    current = SprintFactory(team=team, status=SprintStatus.ACTIVE)
    task = TaskFactory(team=team, sprint=current)
    services.sprint_close(actor=world.member, sprint=current)
    task.refresh_from_db()
    event = TaskEvent.objects.get(task=task, kind="sprint")
    assert task.sprint_id is None
    assert event.after == {"sprint": None, "carried_over": True}


# ---- bulk -------------------------------------------------------------------------------


def test_bulk_moves_tasks_to_a_sprint(world, team):
    sprint = SprintFactory(team=team)
    tasks = TaskFactory.create_batch(3, team=team)
    services.task_bulk_update(actor=world.member, task_ids=[t.pk for t in tasks], sprint=sprint)
    assert set(Task.objects.values_list("sprint_id", flat=True)) == {sprint.pk}


def test_bulk_with_a_foreign_id_changes_nothing(world, world_b, team):
    mine = TaskFactory(team=team)
    theirs = TaskFactory(team=world_b.team)
    with pytest.raises(CrossWorkspaceLink):
        services.task_bulk_update(
            actor=world.member, task_ids=[mine.pk, theirs.pk], assignee=world.member.user
        )
    assert set(Task.objects.values_list("assignee_id", flat=True)) == {None}


def test_bulk_is_all_or_nothing_when_one_task_refuses(world, team, other_team):
    sprint = SprintFactory(team=team)
    ours = TaskFactory(team=team)
    foreign_team_task = TaskFactory(team=other_team)
    with pytest.raises(SprintOfAnotherTeam):
        services.task_bulk_update(
            actor=world.member, task_ids=[ours.pk, foreign_team_task.pk], sprint=sprint
        )
    assert set(Task.objects.values_list("sprint_id", flat=True)) == {None}
    assert not TaskEvent.objects.exists()


def test_bulk_adds_labels(world, team):
    label = LabelFactory(workspace=world.workspace)
    tasks = TaskFactory.create_batch(2, team=team)
    services.task_bulk_update(
        actor=world.member, task_ids=[t.pk for t in tasks], add_labels=[label]
    )
    assert [list(t.labels.all()) for t in tasks] == [[label], [label]]


# ---- comments, dependencies, merge ------------------------------------------------------


def test_comment_stores_mentioned_members_only(world, world_b, team):
    task = TaskFactory(team=team)
    body = "Ping @member and @owner@acme.example.com, not @member@globex.example.com"
    comment = services.task_comment_add(actor=world.admin, task=task, body=body)
    assert set(comment.mentions.values_list("pk", flat=True)) == {
        world.member.user_id,
        world.owner.user_id,
    }


def test_ambiguous_mentions_mention_nobody(world, team):
    MembershipFactory(workspace=world.workspace, user=UserFactory(email="member@elsewhere.example"))
    comment = services.task_comment_add(
        actor=world.admin, task=TaskFactory(team=team), body="@member"
    )
    assert list(comment.mentions.all()) == []


def test_dependencies_across_teams_are_allowed(world, team, other_team):
    a, b = TaskFactory(team=team), TaskFactory(team=other_team)
    dependency = services.task_dependency_add(actor=world.member, blocking=a, blocked=b)
    assert (dependency.blocking_id, dependency.blocked_id) == (a.pk, b.pk)


def test_a_dependency_cycle_is_refused(world, team):
    a, b, c = TaskFactory.create_batch(3, team=team)
    services.task_dependency_add(actor=world.member, blocking=a, blocked=b)
    services.task_dependency_add(actor=world.member, blocking=b, blocked=c)
    with pytest.raises(DependencyCycle):
        services.task_dependency_add(actor=world.member, blocking=c, blocked=a)
    assert TaskDependency.objects.count() == 2


def test_a_dependency_on_another_workspaces_task_is_not_found(world, world_b, team):
    with pytest.raises(CrossWorkspaceLink):
        services.task_dependency_add(
            actor=world.member,
            blocking=TaskFactory(team=team),
            blocked=TaskFactory(team=world_b.team),
        )
    assert not TaskDependency.objects.exists()


def test_merge_moves_comments_and_links_and_keeps_the_key(world, team):
    source, into, other = TaskFactory.create_batch(3, team=team)
    TaskCommentFactory(task=source)
    TaskDependencyFactory(blocking=source, blocked=other)
    source_key = source.key
    services.task_merge(actor=world.member, source=source, into=into)
    assert not Task.objects.filter(pk=source.pk).exists()
    assert TaskComment.objects.get().task_id == into.pk
    assert TaskDependency.objects.get().blocking_id == into.pk
    assert task_by_key(world.workspace, source_key) == into
    assert AuditEvent.objects.filter(verb="task.merged").count() == 1


def test_merge_into_itself_is_refused(world, team):
    task = TaskFactory(team=team)
    with pytest.raises(MergeNotAllowed):
        services.task_merge(actor=world.member, source=task, into=task)
    assert Task.objects.filter(pk=task.pk).exists()


def test_merge_drops_a_dependency_that_would_point_at_itself(world, team):
    source, into = TaskFactory.create_batch(2, team=team)
    TaskDependencyFactory(blocking=source, blocked=into)
    services.task_merge(actor=world.member, source=source, into=into)
    assert not TaskDependency.objects.exists()
