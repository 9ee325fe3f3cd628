from __future__ import annotations

from datetime import date

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tasks import board_selectors, page_selectors, selectors
from tasks.models import SprintCapacity
from tests.factories.work import (
    KeyResultLinkFactory,
    LabelFactory,
    RoadmapItemFactory,
    SprintFactory,
    TaskDependencyFactory,
    TaskFactory,
    state_of,
)


def count(fn):
    with CaptureQueriesContext(connection) as captured:
        fn()
    return len(captured)


def test_board_puts_tasks_in_their_columns_in_rank_order(world, team, doing):
    sprint = SprintFactory(team=team, status="active")
    first = TaskFactory(team=team, sprint=sprint, state=doing)
    second = TaskFactory(team=team, sprint=sprint, state=doing)
    board = board_selectors.sprint_board(world.workspace, team)
    column = next(c for c in board.columns if c.state == doing)
    assert column.tasks == [first, second]


def test_board_flags_a_column_over_its_wip_limit(world, team, doing):
    doing.wip_limit = 1
    doing.save()
    sprint = SprintFactory(team=team, status="active")
    TaskFactory.create_batch(2, team=team, sprint=sprint, state=doing)
    board = board_selectors.sprint_board(world.workspace, team)
    assert [c.state.name for c in board.columns if c.over_wip_limit] == ["In Progress"]


def test_board_query_count_is_the_same_for_1_and_30_tasks(world, team, other_team):
    sprint = SprintFactory(team=team, status="active")
    label = LabelFactory(workspace=world.workspace)

    def grow(n):
        for _ in range(n):
            task = TaskFactory(team=team, sprint=sprint, assignee=world.member.user)
            task.labels.add(label, through_defaults={"workspace": world.workspace})
            TaskDependencyFactory(blocking=TaskFactory(team=other_team), blocked=task)

    def load():
        board = board_selectors.sprint_board(world.workspace, team)
        facts = page_selectors.card_facts(world.workspace, board.tasks)
        assert all((t.key, t.state.name, t.assignee, facts.labels[t.pk]) for t in board.tasks)
        assert all(facts.blocked_by[task.pk] for task in board.tasks)

    grow(1)
    small = count(load)
    grow(29)
    # active sprint, states, tasks (with column counts), card facts
    assert count(load) == small == 4


def test_backlog_query_count_is_the_same_for_1_and_40_tasks(world, team):
    TaskFactory(team=team)

    def load():
        page = page_selectors.backlog_page(world.workspace, team, size=200)
        assert all((t.key, t.state.name, t.assignee_id and t.assignee) for t in page.tasks)

    small = count(load)
    TaskFactory.create_batch(39, team=team, assignee=world.member.user)
    assert count(load) == small == 1


def test_backlog_leaves_out_sprint_and_closed_work(world, team, done):
    open_task = TaskFactory(team=team)
    TaskFactory(team=team, state=done)
    TaskFactory(team=team, sprint=SprintFactory(team=team))
    assert list(board_selectors.backlog_for_team(world.workspace, team)) == [open_task]


def test_schedule_conflict_is_flagged_on_both_tasks(world, team, other_team):
    early = SprintFactory(team=team, start_date=date(2026, 1, 5))
    late = SprintFactory(team=other_team, start_date=date(2026, 2, 2))
    blocking = TaskFactory(team=other_team, sprint=late)
    blocked = TaskFactory(team=team, sprint=early)
    TaskDependencyFactory(blocking=blocking, blocked=blocked)
    conflicts = selectors.schedule_conflicts(world.workspace, [blocked.pk])
    assert conflicts == {blocked.pk: [blocking.key], blocking.pk: [blocked.key]}


def test_alignment_line_reaches_the_objective(world, team):
    link = KeyResultLinkFactory(item=RoadmapItemFactory(roadmap__workspace=world.workspace))
    task = TaskFactory(team=team, roadmap_item=link.item)
    line = selectors.alignment_line(world.workspace, task, today=date(2026, 2, 1))
    objective_chain = line.objectives[link.key_result_id]
    assert line.is_aligned
    assert [s.obj for s in line.key_results] == [link.key_result]
    assert objective_chain[0].obj == link.key_result.objective
    assert line.key_results[0].progress == 0.0


def test_unaligned_task_has_an_empty_line(world, team):
    line = selectors.alignment_line(world.workspace, TaskFactory(team=team))
    assert not line.is_aligned


def test_task_detail_query_count_does_not_grow(world, team, other_team):
    task = TaskFactory(team=team)
    TaskDependencyFactory(blocking=TaskFactory(team=other_team), blocked=task)
    TaskFactory(team=team, parent=task)
    small = count(lambda: selectors.task_detail(world.workspace, task, viewer=world.viewer))
    for _ in range(5):
        TaskDependencyFactory(blocking=TaskFactory(team=other_team), blocked=task)
        TaskFactory(team=team, parent=task)
    assert count(lambda: selectors.task_detail(world.workspace, task, viewer=world.viewer)) == small


def test_my_work_groups_by_objective_with_unaligned_last(world, team):
    link = KeyResultLinkFactory(item=RoadmapItemFactory(roadmap__workspace=world.workspace))
    aligned = TaskFactory(team=team, assignee=world.member.user, roadmap_item=link.item)
    loose = TaskFactory(team=team, assignee=world.member.user)
    groups = selectors.my_work(world.workspace, world.member)
    assert [(g.objective, g.tasks) for g in groups] == [
        (link.key_result.objective, [aligned]),
        (None, [loose]),
    ]


def test_planning_compares_capacity_with_committed_points(world, team):
    sprint = SprintFactory(team=team)
    TaskFactory(team=team, sprint=sprint, assignee=world.member.user, estimate=5)
    TaskFactory(team=team, sprint=sprint, assignee=world.member.user, estimate=3)
    SprintCapacity.objects.create(
        workspace=world.workspace, sprint=sprint, user=world.member.user, points=6
    )
    [load] = selectors.sprint_planning(world.workspace, sprint)
    assert (load.committed, load.capacity, load.over_capacity) == (8, 6, True)


def test_old_key_resolves_after_a_team_move(world, team, other_team):
    from tasks import services

    task = TaskFactory(team=team)
    services.task_move_to_team(actor=world.member, task=task, team=other_team)
    assert selectors.task_by_key(world.workspace, "eng-1") == task


def test_state_of_helper_finds_started(team):
    assert state_of(team, "started").name == "In Progress"
