"""Private teams and guests: the visible_to rule, its services, pages and API answers."""

from __future__ import annotations

import pytest
from django.urls import reverse

from alignment import services
from alignment.errors import CrossWorkspaceLink, FieldErrors, RoleRequired
from alignment.models import AuditEvent, Invitation, Role, Team, TeamMember
from dashboards.reasons import PRIVATE_WORK, Names
from integrations.notifications import notify
from integrations.notifications.models import Notification
from integrations.notifications.services import About
from roadmaps.models import RoadmapItem
from tasks.models import Task
from tests.conftest import api_client_for, build_guest, client_for
from tests.factories import TeamFactory, UserFactory
from tests.factories.work import RoadmapFactory, RoadmapItemFactory, TaskFactory


@pytest.fixture
def private_team(world):
    team = TeamFactory(workspace=world.workspace, name="Skunkworks", key="SKW", is_private=True)
    insider = UserFactory(email="insider@acme.example.com")
    world.workspace.memberships.create(user=insider, role=Role.MEMBER)
    TeamMember.objects.create(workspace=world.workspace, team=team, user=insider)
    return team


def test_a_private_team_is_seen_by_its_members_and_admins_only(world, private_team):
    TeamMember.objects.create(workspace=world.workspace, team=private_team, user=world.viewer.user)

    def seen_by(role):
        return set(Team.objects.visible_to(world.membership(role)))

    assert private_team in seen_by(Role.OWNER)
    assert private_team in seen_by(Role.ADMIN)
    assert private_team in seen_by(Role.VIEWER)  # on the team
    assert private_team not in seen_by(Role.MEMBER)
    assert world.team in seen_by(Role.MEMBER)


def test_a_guest_sees_only_the_teams_they_are_on(world, private_team):
    guest = build_guest(world)
    other = TeamFactory(workspace=world.workspace, key="OPS")
    TeamMember.objects.create(workspace=world.workspace, team=other, user=guest.user)

    assert list(Team.objects.visible_to(guest)) == [other]


def test_tasks_and_items_of_a_private_team_are_hidden_from_non_members(world, private_team):
    hidden_task = TaskFactory(team=private_team, title="Secret plan")
    shown_task = TaskFactory(team=world.team, title="Public plan")
    roadmap = RoadmapFactory(workspace=world.workspace)
    item = RoadmapItemFactory(roadmap=roadmap, owner_team=private_team)
    teamless = RoadmapItemFactory(roadmap=roadmap, owner_team=None)

    tasks = set(Task.objects.visible_to(world.member))
    items = set(RoadmapItem.objects.visible_to(world.member))

    assert shown_task in tasks
    assert hidden_task not in tasks
    assert teamless in items
    assert item not in items
    assert hidden_task in set(Task.objects.visible_to(world.admin))


@pytest.mark.parametrize("role", ["admin", "member", "viewer", "guest"])
def test_the_rule_on_one_row_labels_exactly_the_rows_visible_to_keeps(world, private_team, role):
    # Names.load labels hidden rows instead of leaving them out, with the rule on the row
    # itself (a `pk IN (every visible row)` subquery hashed every visible task per call).
    if role == "guest":
        build_guest(world)
        TeamMember.objects.create(workspace=world.workspace, team=world.team, user=world.guest.user)
    viewer = world.membership(role)
    roadmap = RoadmapFactory(workspace=world.workspace)
    for team in (world.team, private_team, TeamFactory(workspace=world.workspace)):
        TaskFactory(team=team)
        RoadmapItemFactory(roadmap=roadmap, owner_team=team)
    RoadmapItemFactory(roadmap=roadmap, owner_team=None)

    for model in (Task, RoadmapItem, Team):
        rows = model.objects.for_workspace(world.workspace)
        labelled = set(rows.filter(rows.visible_condition(viewer)).values_list("pk", flat=True))
        kept = set(model.objects.visible_to(viewer).values_list("pk", flat=True))
        assert labelled == kept, model.__name__
        assert kept != set(rows.values_list("pk", flat=True)) or role == "admin", model.__name__


def test_an_admins_visible_to_adds_no_filter(world, private_team):
    # Performance: admins and owners must not pay for a subquery they do not need.
    sql = str(Task.objects.visible_to(world.admin).query)

    assert "team_member" not in sql.lower()


def test_making_a_team_private_is_audited_and_admin_only(world):
    with pytest.raises(RoleRequired):
        services.team_set_private(actor=world.member, team=world.team, is_private=True)
    assert not Team.objects.get(pk=world.team.pk).is_private

    services.team_set_private(actor=world.admin, team=world.team, is_private=True)
    services.team_set_private(actor=world.admin, team=world.team, is_private=True)  # no-op

    assert Team.objects.get(pk=world.team.pk).is_private
    events = AuditEvent.objects.filter(verb="team.made_private", object_id=str(world.team.pk))
    assert events.count() == 1
    assert events.get().after == {"is_private": True}


def test_a_guest_invitation_names_teams_and_accepting_puts_the_guest_on_them(world):
    invitation, raw = services.invitation_create(
        actor=world.admin, email="contractor@agency.example", role=Role.GUEST, teams=[world.team]
    )
    user = UserFactory(email="contractor@agency.example")

    membership = services.invitation_accept(user=user, raw_token=raw)

    assert membership.role == Role.GUEST
    assert list(Team.objects.visible_to(membership)) == [world.team]
    assert AuditEvent.objects.get(verb="invitation.created").after["teams"] == ["ENG"]


def test_a_guest_invitation_needs_teams_and_others_take_none(world, world_b):
    with pytest.raises(FieldErrors):
        services.invitation_create(actor=world.admin, email="g@x.example", role=Role.GUEST)
    with pytest.raises(FieldErrors):
        services.invitation_create(
            actor=world.admin, email="m@x.example", role=Role.MEMBER, teams=[world.team]
        )
    with pytest.raises(CrossWorkspaceLink):
        services.invitation_create(
            actor=world.admin, email="g@x.example", role=Role.GUEST, teams=[world_b.team]
        )
    assert not Invitation.objects.exists()


def test_reasons_word_a_private_teams_records_for_non_members(world, private_team):
    task = TaskFactory(team=private_team, title="Secret plan")

    outsider = Names.load(world.workspace, [("task", task.pk)], viewer=world.member)
    admin = Names.load(world.workspace, [("task", task.pk)], viewer=world.admin)

    assert outsider.get("task", task.pk).label == PRIVATE_WORK
    assert outsider.get("task", task.pk).url is None
    assert "Secret plan" in admin.get("task", task.pk).label


def test_a_private_task_page_is_404_to_a_non_member_and_shown_to_an_admin(world, private_team):
    task = TaskFactory(team=private_team, title="Secret plan")
    url = reverse("tasks:task", kwargs={"slug": world.workspace.slug, "key": task.key})

    assert client_for(world.member.user).get(url).status_code == 404
    assert client_for(world.admin.user).get(url).status_code == 200


def test_the_api_lists_no_private_task_to_a_non_member(world, private_team):
    TaskFactory(team=private_team, title="Secret plan")
    TaskFactory(team=world.team, title="Public plan")
    url = f"/api/v1/workspaces/{world.workspace.slug}/tasks/"

    titles = [t["title"] for t in api_client_for(world.member).get(url).json()["results"]]
    admin_titles = [t["title"] for t in api_client_for(world.admin).get(url).json()["results"]]

    assert titles == ["Public plan"]
    assert sorted(admin_titles) == ["Public plan", "Secret plan"]


def test_a_guest_is_refused_okrs_and_sent_to_their_boards(world):
    guest = build_guest(world)
    TeamMember.objects.create(workspace=world.workspace, team=world.team, user=guest.user)
    client = client_for(guest.user)
    slug = world.workspace.slug

    assert client.get(reverse("okrs:tree", kwargs={"slug": slug})).status_code == 403
    home = client.get(reverse("workspace:home", kwargs={"slug": slug}))
    assert home.status_code == 302
    assert home["Location"] == reverse("tasks:boards", kwargs={"slug": slug})
    answer = api_client_for(guest).get(f"/api/v1/workspaces/{slug}/objectives/")
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "role_required"


def test_no_notification_about_a_private_task_reaches_a_non_member(world, private_team):
    task = TaskFactory(team=private_team, title="Secret plan")

    about = About("task", task.pk, f"/w/{world.workspace.slug}/tasks/{task.key}/")
    sent = notify(
        workspace=world.workspace,
        recipient=world.member.user,
        kind="assigned",
        sentence="You were assigned.",
        about=about,
    )

    assert sent is None
    assert not Notification.objects.filter(recipient=world.member.user).exists()


def test_the_team_settings_page_explains_privacy_and_toggles_it(world):
    client = client_for(world.admin.user)
    slug = world.workspace.slug
    edit = reverse("workspace:team_edit", kwargs={"slug": slug, "team_id": world.team.pk})
    privacy = reverse("workspace:team_privacy", kwargs={"slug": slug, "team_id": world.team.pk})

    page = client.get(edit).content.decode()
    response = client.post(privacy, {"is_private": "on"})

    assert "only by the people on it and by the workspace" in page
    assert response.status_code == 303
    assert Team.objects.get(pk=world.team.pk).is_private
