"""Standards pages: list, adopt, waive, edit the mode, compliance, the task page and the card."""

from __future__ import annotations

from standards.models import Adoption, Standard
from tasks import services as task_services
from tasks.models import StateCategory
from tests.factories.work import SprintFactory, TaskFactory
from tests.querycount import assert_flat_queries
from tests.standards.conftest import link_pr, state

BASE = "/w/acme-inc/standards"


def test_viewers_see_the_standards_and_who_adopted_them(world, viewer_client, done_standard):
    page = viewer_client.get(f"{BASE}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Definition of Done" in html
    assert "Adopted" in html
    assert "Adopt" not in html.replace("Adopted", "")  # no admin buttons for viewers


def test_an_admin_adds_a_template_and_adopts_it(world, admin_client):
    response = admin_client.post(f"{BASE}/from-template/", {"template": "definition-of-done"})
    assert response.status_code == 303
    standard = Standard.objects.get(key="definition-of-done")
    response = admin_client.post(
        f"{BASE}/{standard.pk}/teams/{world.team.pk}/", {"action": "adopt"}
    )
    assert response.status_code == 303
    assert Adoption.objects.filter(team=world.team, standard=standard).exists()


def test_members_cannot_adopt(world, member_client, done_standard):
    response = member_client.post(
        f"{BASE}/{done_standard.pk}/teams/{world.team.pk}/", {"action": "drop"}
    )
    assert response.status_code == 403
    assert Adoption.objects.filter(standard=done_standard).exists()


def test_a_waiver_shows_its_reason_to_viewers(world, admin_client, viewer_client, done_standard):
    admin_client.post(
        f"{BASE}/{done_standard.pk}/teams/{world.team.pk}/",
        {"action": "waive", "reason": "Migration week: no PRs for config."},
    )
    assert (
        "Migration week: no PRs for config."
        in viewer_client.get(f"{BASE}/compliance/").content.decode()
    )


def test_an_admin_switches_the_standard_to_warn(world, admin_client, done_standard):
    response = admin_client.post(
        f"{BASE}/{done_standard.pk}/",
        {
            "name": "Definition of Done",
            "gate": "done",
            "mode": "warn",
            "checks": ["estimate_present", "pr_merged"],
        },
    )
    assert response.status_code == 303, response.content
    assert Standard.objects.get().mode == "warn"


def test_the_task_page_lists_failing_checks_with_their_fix(
    world, member_client, done_standard, task
):
    html = member_client.get(f"/w/acme-inc/tasks/{task.key}/").content.decode()
    assert 'id="standards"' in html
    assert "The task has no estimate." in html
    assert f'href="/w/acme-inc/tasks/{task.key}/edit/#id_estimate">Add an estimate</a>' in html


def test_the_board_card_says_it_is_blocked(world, member_client, done_standard, task):
    task.sprint = SprintFactory(team=world.team, name="Sprint 7", status="active")
    task.save()
    html = member_client.get(f"/w/acme-inc/teams/{world.team.pk}/board/").content.decode()
    assert 'data-standards="blocked"' in html
    assert "Blocked: Estimate present, Linked pull request merged" in html


def test_a_board_drop_into_done_is_refused_with_the_reasons(
    world, member_client, done_standard, task
):
    response = member_client.post(
        f"/w/acme-inc/tasks/{task.key}/move/",
        {"state": state(world.team, StateCategory.DONE).pk, "version": task.version},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 409
    assert "Definition of Done fails: Estimate present, Linked pull request merged" in (
        response.content.decode()
    )


def test_the_board_badges_cost_the_same_queries_for_more_cards(world, member_client, done_standard):
    sprint = SprintFactory(team=world.team, name="Sprint 7", status="active")

    def grow() -> None:
        for _ in range(6):
            task = TaskFactory(team=world.team, sprint=sprint, state=state(world.team, "started"))
            link_pr(task, review="approved")
            task_services.task_subtask_create(actor=world.member, parent=task, title="Step")

    grow()
    assert_flat_queries(member_client, f"/w/acme-inc/teams/{world.team.pk}/board/", grow=grow)


def test_the_board_badge_appears_on_the_next_request_after_an_adoption(world, admin_client, task):
    """The "does any team follow a standard" flag is cached per workspace (standards.presence):
    adopting and dropping must reach the very next board, not one minutes later."""
    task.sprint = SprintFactory(team=world.team, name="Sprint 7", status="active")
    task.save()
    board = f"/w/acme-inc/teams/{world.team.pk}/board/"
    assert "data-standards" not in admin_client.get(board).content.decode()  # caches "no"

    admin_client.post(f"{BASE}/from-template/", {"template": "definition-of-done"})
    standard = Standard.objects.get(key="definition-of-done")
    admin_client.post(f"{BASE}/{standard.pk}/teams/{world.team.pk}/", {"action": "adopt"})
    assert 'data-standards="blocked"' in admin_client.get(board).content.decode()

    admin_client.post(f"{BASE}/{standard.pk}/teams/{world.team.pk}/", {"action": "drop"})
    assert "data-standards" not in admin_client.get(board).content.decode()
