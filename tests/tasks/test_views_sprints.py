"""The sprint pages: list, plan, edit, start, delete, one sprint with its scope history."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from alignment.models import TeamMember
from readmodel.selectors import rollups_for
from tasks import services
from tasks.models import Sprint, SprintCapacity, SprintStatus, Task, TaskEvent, TaskEventKind
from tasks.models import StateCategory as C
from tests.factories.core import TeamFactory
from tests.factories.work import SprintFactory, state_of
from tests.querycount import assert_flat_queries

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 2, 9, tzinfo=UTC)


def page(world, name: str, sprint: Sprint | None = None, team=None) -> str:
    kwargs = {"slug": world.workspace.slug, "team_id": (team or world.team).pk}
    if sprint is not None:
        kwargs["sprint_id"] = sprint.pk
    return reverse(f"tasks:{name}", kwargs=kwargs)


@pytest.fixture
def members(world):
    """The admin and the member (in name order) are members of the team; the owner is not."""
    for membership in (world.member, world.admin):
        TeamMember.objects.create(workspace=world.workspace, team=world.team, user=membership.user)
    return [world.admin.user, world.member.user]


def plan(world, **values):
    data = {
        "name": "Sprint 1",
        "start_date": "2026-05-18",
        "end_date": "2026-05-31",
        "goal": "Ship the importer",
    }
    data.update(values)
    return data


# ---- the list ---------------------------------------------------------------------------


def test_a_team_without_sprints_gets_a_next_step(member_client, world):
    html = member_client.get(page(world, "sprints")).content.decode()

    assert "No sprints yet" in html
    assert "Plan the first sprint" in html
    assert page(world, "sprint_new") in html


def test_a_viewer_sees_the_sprints_but_no_way_to_change_them(viewer_client, world):
    SprintFactory(team=world.team, name="Sprint 1")
    SprintFactory(team=world.team, name="Sprint 2", status="active")

    html = viewer_client.get(page(world, "sprints")).content.decode()

    assert "Sprint 1" in html
    assert "Sprint 2" in html
    for word in ("Plan a sprint", "Start…", "Close…", "Edit", page(world, "sprint_new")):
        assert word not in html


def test_the_list_groups_sprints_and_pages_the_closed_ones(member_client, world):
    active = SprintFactory(team=world.team, name="Now", status="active")
    planned = SprintFactory(team=world.team, name="Next", start_date=date(2026, 6, 1))
    closed = [
        SprintFactory(
            team=world.team, name=f"Old {n}", status="closed", start_date=date(2025, 1, n)
        )
        for n in range(1, 24)
    ]
    SprintFactory(team=TeamFactory(workspace=world.workspace, key="OPS"), name="Elsewhere")

    first = member_client.get(page(world, "sprints")).context["sprints"]
    second = member_client.get(page(world, "sprints") + f"?before={first.next_cursor}").context[
        "sprints"
    ]

    assert [r.sprint for r in first.active] == [active]
    assert [r.sprint for r in first.planned] == [planned]
    assert [r.sprint for r in first.closed] == closed[::-1][:20]
    assert [r.sprint for r in second.closed] == closed[2::-1]
    assert second.next_cursor is None


def test_a_broken_page_link_is_a_bad_request(member_client, world):
    response = member_client.get(page(world, "sprints") + "?before=yesterday.1")

    assert response.status_code == 400


def test_the_list_shows_progress_from_the_read_model(member_client, world):
    sprint = SprintFactory(team=world.team, name="Now", status="active")
    services.task_create(actor=world.member, team=world.team, title="A", estimate=3, sprint=sprint)

    [row] = member_client.get(page(world, "sprints")).context["sprints"].active

    stored = rollups_for(world.workspace.pk, {"sprint": [sprint.pk]})[("sprint", sprint.pk)]
    assert row.progress == stored
    assert (row.progress.done_points, row.progress.total_points) == (0, 3)


# ---- plan and edit ----------------------------------------------------------------------


def test_the_plan_form_offers_capacity_for_the_teams_members_only(member_client, world, members):
    form = member_client.get(page(world, "sprint_new")).context["form"]

    assert [f.name for f in form.capacity_fields()] == [f"capacity_{u.pk}" for u in members]
    assert f"capacity_{world.owner.user.pk}" not in form.fields


def test_planning_a_sprint_saves_its_plan_and_capacities(member_client, world, members):
    response = member_client.post(
        page(world, "sprint_new"),
        plan(world, **{f"capacity_{members[0].pk}": "8", f"capacity_{members[1].pk}": ""}),
    )

    sprint = Sprint.objects.get(team=world.team)
    assert response.status_code == 303
    assert response["Location"] == page(world, "sprint", sprint)
    assert (sprint.name, sprint.goal, sprint.status) == ("Sprint 1", "Ship the importer", "planned")
    assert (sprint.start_date, sprint.end_date) == (date(2026, 5, 18), date(2026, 5, 31))
    assert dict(SprintCapacity.objects.values_list("user_id", "points")) == {
        members[0].pk: Decimal(8)
    }


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"name": ""}, "name", "Give the sprint a name."),
        ({"end_date": "2026-05-10"}, "end_date", "The end date cannot be before the start date."),
        ({"start_date": "next week"}, "start_date", "Enter a valid date."),
    ],
)
def test_a_bad_plan_is_refused_with_a_clear_message(member_client, world, values, field, message):
    response = member_client.post(page(world, "sprint_new"), plan(world, **values))

    assert response.status_code == 422
    assert response.context["form"].errors[field] == [message]
    assert message in response.content.decode()
    assert not Sprint.objects.exists()


def test_a_second_sprint_with_the_same_name_is_refused(member_client, world):
    SprintFactory(team=world.team, name="Sprint 1")

    response = member_client.post(page(world, "sprint_new"), plan(world, name="sprint 1"))

    assert response.status_code == 422
    assert response.context["form"].errors["name"] == [
        "This team already has a sprint called sprint 1."
    ]
    assert Sprint.objects.count() == 1


def test_a_new_sprint_is_suggested_after_the_last_one(member_client, world):
    SprintFactory(team=world.team, name="Sprint 7", start_date=date(2026, 5, 4))

    initial = member_client.get(page(world, "sprint_new")).context["form"].initial

    assert (initial["name"], initial["start_date"], initial["end_date"]) == (
        "Sprint 8",
        date(2026, 5, 18),
        date(2026, 5, 31),
    )


def test_editing_a_sprint_is_a_versioned_save(member_client, world, members):
    sprint = SprintFactory(team=world.team, name="Sprint 1")
    stale = sprint.version
    services.sprint_update(actor=world.admin, sprint=sprint, goal="Someone else's goal")

    refused = member_client.post(
        page(world, "sprint_edit", sprint), plan(world, name="Renamed", version=stale)
    )
    sprint.refresh_from_db()
    saved = member_client.post(
        page(world, "sprint_edit", sprint),
        plan(world, name="Renamed", version=sprint.version, **{f"capacity_{members[0].pk}": "5"}),
    )

    assert refused.status_code == 422
    assert "was changed by someone else" in refused.content.decode()
    assert saved.status_code == 303
    sprint.refresh_from_db()
    assert (sprint.name, sprint.goal) == ("Renamed", "Ship the importer")
    assert SprintCapacity.objects.get(sprint=sprint).points == Decimal(5)


def test_a_closed_sprint_is_not_edited(member_client, world):
    sprint = SprintFactory(team=world.team, name="Done", status="closed")

    response = member_client.get(page(world, "sprint_edit", sprint))

    assert response.status_code == 303
    assert response["Location"] == page(world, "sprint", sprint)


@pytest.mark.parametrize("name", ["sprint_new", "sprint_edit", "sprint_start", "sprint_delete"])
def test_a_viewer_never_gets_a_sprint_form(viewer_client, world, name):
    sprint = SprintFactory(team=world.team)

    response = viewer_client.get(page(world, name, None if name == "sprint_new" else sprint))

    assert response.status_code == 403
    assert b'name="start_date"' not in response.content
    assert f"{sprint.name}</button>".encode() not in response.content


# ---- start ------------------------------------------------------------------------------


def test_the_start_page_compares_committed_points_with_capacity(member_client, world, members):
    sprint = SprintFactory(team=world.team, name="Sprint 1")
    for user, points in ((members[0], 5), (members[0], 8), (members[1], 2)):
        services.task_create(
            actor=world.member,
            team=world.team,
            title="Work",
            estimate=points,
            sprint=sprint,
            assignee=user,
        )
    services.sprint_set_capacities(
        actor=world.member, sprint=sprint, capacities={members[0]: 10, members[1]: 6}
    )

    response = member_client.get(page(world, "sprint_start", sprint))

    preview = response.context["preview"]
    by_user = {load.user: (load.committed, load.capacity) for load in preview.loads}
    assert by_user == {members[0]: (13, 10), members[1]: (2, 6)}
    assert (preview.committed, preview.capacity) == (15, 16)
    assert [load.user for load in preview.over_capacity] == [members[0]]
    html = response.content.decode()
    assert "1 person is over their own capacity" in html
    assert "Start Sprint 1" in html


def test_a_total_over_capacity_is_warned(member_client, world, members):
    sprint = SprintFactory(team=world.team, name="Sprint 1")
    services.task_create(
        actor=world.member, team=world.team, title="Big", estimate=20, sprint=sprint
    )
    services.sprint_set_capacities(actor=world.member, sprint=sprint, capacities={members[0]: 10})

    html = member_client.get(page(world, "sprint_start", sprint)).content.decode()

    assert "20 points are committed against a capacity of 10" in html


def test_starting_a_sprint_makes_it_active(member_client, world):
    sprint = SprintFactory(team=world.team, name="Sprint 1")

    response = member_client.post(page(world, "sprint_start", sprint))

    sprint.refresh_from_db()
    assert response.status_code == 303
    assert response["Location"] == reverse(
        "tasks:board", kwargs={"slug": world.workspace.slug, "team_id": world.team.pk}
    )
    assert sprint.status == SprintStatus.ACTIVE


def test_a_start_is_refused_while_another_sprint_runs(member_client, world):
    running = SprintFactory(team=world.team, name="Running", status="active")
    sprint = SprintFactory(team=world.team, name="Sprint 2")

    shown = member_client.get(page(world, "sprint_start", sprint)).content.decode()
    response = member_client.post(page(world, "sprint_start", sprint))

    assert "already has an active sprint" in shown
    assert "Start Sprint 2</button>" not in shown
    assert response.status_code == 409
    assert "already has an active sprint (Running); close it first." in response.content.decode()
    sprint.refresh_from_db()
    running.refresh_from_db()
    assert (sprint.status, running.status) == ("planned", "active")


# ---- delete -----------------------------------------------------------------------------


def test_deleting_an_unstarted_sprint_sends_its_work_to_the_backlog(member_client, world):
    sprint = SprintFactory(team=world.team, name="Sprint 1")
    task = services.task_create(actor=world.member, team=world.team, title="A", sprint=sprint)

    response = member_client.post(page(world, "sprint_delete", sprint), {"version": sprint.version})

    assert response.status_code == 303
    assert not Sprint.objects.filter(pk=sprint.pk).exists()
    task.refresh_from_db()
    assert task.sprint is None
    last = TaskEvent.objects.filter(task=task).order_by("created_at", "id").last()
    assert (last.kind, last.before, last.after) == (
        TaskEventKind.SPRINT,
        {"sprint": sprint.pk},
        {"sprint": None},
    )


@pytest.mark.parametrize("status", ["active", "closed"])
def test_a_started_sprint_is_never_deleted(member_client, world, status):
    sprint = SprintFactory(team=world.team, name="Sprint 1", status=status)

    shown = member_client.get(page(world, "sprint_delete", sprint))
    response = member_client.post(page(world, "sprint_delete", sprint), {"version": sprint.version})

    message = "only a sprint that has not started can be deleted"
    assert shown.status_code == 409
    assert message in shown.content.decode()
    assert b"Delete Sprint 1</button>" not in shown.content
    assert response.status_code == 409
    assert message in response.content.decode()
    assert Sprint.objects.filter(pk=sprint.pk).exists()


def test_a_delete_from_a_stale_page_is_refused(member_client, world):
    sprint = SprintFactory(team=world.team, name="Sprint 1")
    services.sprint_update(actor=world.admin, sprint=sprint, goal="Changed")

    response = member_client.post(page(world, "sprint_delete", sprint), {"version": 1})

    assert response.status_code == 409
    assert Sprint.objects.filter(pk=sprint.pk).exists()


# ---- one sprint -------------------------------------------------------------------------


@pytest.fixture
def history(world):
    """Planned in (A, 3), started, B (5) added after start, A re-estimated to 4, C created
    and canceled, closed with A carried to the backlog."""
    sprint = SprintFactory(team=world.team, name="Sprint 7", start_date=START.date())
    with time_machine.travel(START - timedelta(hours=1), tick=False):
        a = services.task_create(
            actor=world.member, team=world.team, title="A", estimate=3, sprint=sprint
        )
    with time_machine.travel(START, tick=False):
        services.sprint_start(actor=world.member, sprint=sprint)
    with time_machine.travel(START + timedelta(hours=2), tick=False):
        b = services.task_create(
            actor=world.admin, team=world.team, title="B", estimate=5, sprint=sprint
        )
        services.task_transition(actor=world.admin, task=b, to_state=state_of(world.team, C.DONE))
    with time_machine.travel(START + timedelta(hours=3), tick=False):
        services.task_update(actor=world.member, task=Task.objects.get(pk=a.pk), estimate=4)
        c = services.task_create(
            actor=world.member, team=world.team, title="C", estimate=1, sprint=sprint
        )
        services.task_transition(
            actor=world.member, task=c, to_state=state_of(world.team, C.CANCELED)
        )
    with time_machine.travel(START + timedelta(days=1), tick=False):
        services.sprint_close(actor=world.member, sprint=sprint, carry_to=None)
    sprint.refresh_from_db()
    return sprint, a, b, c


def test_the_sprint_page_shows_its_scope_history(viewer_client, world, history):
    sprint, a, b, c = history

    response = viewer_client.get(page(world, "sprint", sprint))

    lines = [
        (line.key, line.label, line.how, line.change.points, line.change.after_start)
        for line in response.context["history"].lines
    ]
    assert lines == [
        (a.key, "Carried over", "Carried over at the close", Decimal(4), True),
        (c.key, "Removed", "Canceled", Decimal(1), True),
        (c.key, "Added", "Created in the sprint", Decimal(1), True),
        (a.key, "Re-estimated", "Estimate changed", Decimal(4), True),
        (b.key, "Added", "Created in the sprint", Decimal(5), True),
        (a.key, "Added", "Created in the sprint", Decimal(3), False),
    ]
    html = response.content.decode()
    assert "Scope history" in html
    assert f"{world.admin.user.display_name}" in html


def test_a_viewer_sees_a_sprint_without_its_actions(viewer_client, world):
    sprint = SprintFactory(team=world.team, name="Sprint 1")

    html = viewer_client.get(page(world, "sprint", sprint)).content.decode()

    for action in ("sprint_start", "sprint_edit", "sprint_delete", "sprint_close"):
        assert page(world, action, sprint) not in html


def test_a_member_sees_what_a_planned_sprint_allows(member_client, world):
    sprint = SprintFactory(team=world.team, name="Sprint 1")

    html = member_client.get(page(world, "sprint", sprint)).content.decode()

    for action in ("sprint_start", "sprint_edit", "sprint_delete"):
        assert page(world, action, sprint) in html
    assert page(world, "sprint_close", sprint) not in html


def test_the_sprint_page_progress_is_the_read_model_row(member_client, world, history):
    sprint = history[0]

    progress = member_client.get(page(world, "sprint", sprint)).context["progress"]

    assert (
        progress == rollups_for(world.workspace.pk, {"sprint": [sprint.pk]})[("sprint", sprint.pk)]
    )


def test_another_teams_sprint_is_not_found_under_this_team(member_client, world):
    other = SprintFactory(team=TeamFactory(workspace=world.workspace, key="OPS"))

    for name in ("sprint", "sprint_edit", "sprint_start", "sprint_delete"):
        assert member_client.get(page(world, name, other)).status_code == 404


# ---- the board's sprint switcher ---------------------------------------------------------


def test_the_board_switcher_lists_only_the_teams_sprints(member_client, world):
    mine = SprintFactory(team=world.team, name="Mine", status="active")
    SprintFactory(team=TeamFactory(workspace=world.workspace, key="OPS"), name="Theirs")

    response = member_client.get(
        reverse("tasks:board", kwargs={"slug": world.workspace.slug, "team_id": world.team.pk})
    )

    assert response.context["sprints"] == [mine]
    assert "Theirs" not in response.content.decode()


# ---- query counts -----------------------------------------------------------------------


def test_the_sprints_list_runs_the_same_queries_for_1_and_20_sprints(member_client, world):
    SprintFactory(team=world.team, name="Now", status="active")

    def grow():
        for n in range(1, 20):
            SprintFactory(
                team=world.team, name=f"Old {n}", status="closed", start_date=date(2025, 1, n)
            )
        member_client.get(page(world, "sprints"))  # this load computes the new sprints' rows

    assert_flat_queries(member_client, page(world, "sprints"), grow=grow)


def test_the_sprint_page_runs_the_same_queries_for_1_and_20_tasks(member_client, world):
    sprint = SprintFactory(team=world.team, name="Now")
    services.task_create(actor=world.member, team=world.team, title="First", sprint=sprint)

    def grow():
        for n in range(19):
            services.task_create(
                actor=world.admin, team=world.team, title=f"Task {n}", estimate=n, sprint=sprint
            )
        member_client.get(page(world, "sprint", sprint))  # the read model catches up here

    assert_flat_queries(member_client, page(world, "sprint", sprint), grow=grow)
