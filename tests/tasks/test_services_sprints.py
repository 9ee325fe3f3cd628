"""Sprint services the pages added: delete an unstarted sprint, capacities of team members."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from alignment.errors import FieldErrors, RoleRequired, StaleVersion
from alignment.models import TeamMember
from tasks import services
from tasks.errors import SprintStarted
from tasks.models import Sprint, SprintCapacity, Task
from tests.factories.work import SprintFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def member_user(world):
    TeamMember.objects.create(workspace=world.workspace, team=world.team, user=world.member.user)
    return world.member.user


def test_a_sprint_is_planned_with_its_members_capacity(world, member_user):
    sprint = services.sprint_create(
        actor=world.member,
        team=world.team,
        name="Sprint 1",
        start_date=date(2026, 5, 18),
        end_date=date(2026, 5, 31),
        capacities={member_user: "7.5"},
    )

    assert SprintCapacity.objects.get(sprint=sprint, user=member_user).points == Decimal("7.5")


def test_capacity_for_someone_outside_the_team_is_refused_and_nothing_is_planned(world):
    with pytest.raises(FieldErrors) as refused:
        services.sprint_create(
            actor=world.member,
            team=world.team,
            name="Sprint 1",
            start_date=date(2026, 5, 18),
            end_date=date(2026, 5, 31),
            capacities={world.owner.user: 5},
        )

    assert refused.value.fields == {
        "user": [f"{world.owner.user.display_name} is not a member of {world.team.name}."]
    }
    assert not Sprint.objects.exists()


def test_a_negative_capacity_is_refused(world, member_user):
    sprint = SprintFactory(team=world.team)

    with pytest.raises(FieldErrors) as refused:
        services.sprint_set_capacities(
            actor=world.member, sprint=sprint, capacities={member_user: "-1"}
        )

    assert refused.value.fields == {f"capacity_{member_user.pk}": ["Use a number from 0 to 99999."]}
    assert not SprintCapacity.objects.exists()


def test_a_blank_capacity_clears_it(world, member_user):
    sprint = SprintFactory(team=world.team)
    services.sprint_set_capacities(actor=world.member, sprint=sprint, capacities={member_user: 4})

    services.sprint_set_capacities(actor=world.member, sprint=sprint, capacities={member_user: ""})

    assert not SprintCapacity.objects.exists()


def test_deleting_a_planned_sprint_moves_its_tasks_to_the_backlog(world):
    sprint = SprintFactory(team=world.team)
    task = services.task_create(actor=world.member, team=world.team, title="A", sprint=sprint)

    moved = services.sprint_delete(actor=world.member, sprint=sprint, expected_version=1)

    assert moved == 1
    assert not Sprint.objects.filter(pk=sprint.pk).exists()
    assert Task.objects.get(pk=task.pk).sprint_id is None


@pytest.mark.parametrize("status", ["active", "closed"])
def test_a_started_sprint_cannot_be_deleted(world, status):
    sprint = SprintFactory(team=world.team, status=status)
    task = services.task_create(actor=world.member, team=world.team, title="A")
    Task.objects.filter(pk=task.pk).update(sprint=sprint)

    with pytest.raises(SprintStarted):
        services.sprint_delete(actor=world.member, sprint=sprint)

    assert Sprint.objects.filter(pk=sprint.pk).exists()
    assert Task.objects.get(pk=task.pk).sprint_id == sprint.pk


def test_a_stale_delete_is_refused(world):
    sprint = SprintFactory(team=world.team)
    services.sprint_update(actor=world.member, sprint=sprint, goal="Changed")

    with pytest.raises(StaleVersion):
        services.sprint_delete(actor=world.member, sprint=sprint, expected_version=1)

    assert Sprint.objects.filter(pk=sprint.pk).exists()


def test_a_viewer_cannot_delete_a_sprint(world):
    sprint = SprintFactory(team=world.team)

    with pytest.raises(RoleRequired):
        services.sprint_delete(actor=world.viewer, sprint=sprint)

    assert Sprint.objects.filter(pk=sprint.pk).exists()
