"""The OKR API: shapes, roles, versions (409/412/304) and ids in bodies scoped to the workspace."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from okrs.models import CheckIn, KeyResult, Objective, Period
from tests.factories.okrs import KeyResultFactory, ObjectiveFactory, PeriodFactory

pytestmark = pytest.mark.django_db


def url(world, path):
    return f"/api/v1/workspaces/{world.workspace.slug}/{path}"


def send(client, method, path, body=None, **headers):
    return client.generic(
        method, path, json.dumps(body or {}), content_type="application/json", **headers
    )


# ---- periods ------------------------------------------------------------------------------


def test_admin_creates_a_period(admin_api, world):
    response = send(
        admin_api,
        "POST",
        url(world, "periods/"),
        {"name": "Q3", "start": "2025-07-01", "end": "2025-09-30"},
    )
    assert response.status_code == 201
    assert response.json()["name"] == "Q3"


def test_member_cannot_create_a_period(member_api, world):
    response = send(
        member_api,
        "POST",
        url(world, "periods/"),
        {"name": "Q3", "start": "2025-07-01", "end": "2025-09-30"},
    )
    assert response.status_code == 403
    assert not Period.objects.exists()


def test_period_with_end_before_start_is_422(admin_api, world):
    response = send(
        admin_api,
        "POST",
        url(world, "periods/"),
        {"name": "Q3", "start": "2025-07-01", "end": "2025-06-30"},
    )
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"end": ["The period must end after it starts."]}


def test_close_with_carry_over_copies_unfinished_objectives(
    admin_api, world, key_result, next_period
):
    response = send(
        admin_api,
        "POST",
        url(world, f"periods/{key_result.objective.period_id}/close/"),
        {"carry_over": True},
    )
    assert response.status_code == 200
    assert response.json()["is_closed"] is True
    assert (
        Objective.objects.filter(period=next_period, carried_from=key_result.objective).count() == 1
    )


def test_close_into_another_workspaces_period_is_404(admin_api, world, world_b, period):
    foreign = PeriodFactory(workspace=world_b.workspace)
    response = send(
        admin_api,
        "POST",
        url(world, f"periods/{period.pk}/close/"),
        {"carry_over": True, "next_period": foreign.pk},
    )
    assert response.status_code == 404
    assert response.json()["error"]["fields"] == {
        "next_period": ["The next period was not found in this workspace."]
    }
    period.refresh_from_db()
    assert period.closed_at is None


# ---- objectives ------------------------------------------------------------------------------


def test_member_creates_an_objective(member_api, world, period):
    response = send(
        member_api,
        "POST",
        url(world, "objectives/"),
        {
            "period": period.pk,
            "title": "Ship faster",
            "team": world.team.pk,
            "owner": world.member.user.pk,
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["title"], body["version"], body["progress"]["health"]) == (
        "Ship faster",
        1,
        "at_risk",
    )
    assert response["ETag"] == '"v1"'


def test_viewer_cannot_create_an_objective(viewer_api, world, period):
    response = send(
        viewer_api,
        "POST",
        url(world, "objectives/"),
        {"period": period.pk, "title": "Ship faster", "team": world.team.pk},
    )
    assert response.status_code == 403
    assert not Objective.objects.exists()


@pytest.mark.parametrize("field", ["team", "parent", "period", "parent_key_result", "owner"])
def test_ids_of_another_workspace_in_the_body_are_404(member_api, world, world_b, period, field):
    foreign_objective = ObjectiveFactory(period=PeriodFactory(workspace=world_b.workspace))
    foreign = {
        "team": world_b.team.pk,
        "parent": foreign_objective.pk,
        "period": foreign_objective.period_id,
        "parent_key_result": KeyResultFactory(objective=foreign_objective).pk,
        "owner": world_b.member.user.pk,
    }
    body = {"period": period.pk, "title": "Ship faster", "team": world.team.pk}
    body[field] = foreign[field]
    response = send(member_api, "POST", url(world, "objectives/"), body)
    assert response.status_code == 404
    assert list(response.json()["error"]["fields"]) == [field]
    assert not Objective.objects.filter(workspace=world.workspace).exists()


def test_list_filters_by_team(member_api, world, objective, period):
    ObjectiveFactory(period=period)  # another team
    response = member_api.get(url(world, f"objectives/?team={world.team.pk}"))
    assert response.status_code == 200
    assert [o["id"] for o in response.json()["results"]] == [objective.pk]


def test_list_does_not_show_another_workspaces_objectives(member_api, world, world_b):
    ObjectiveFactory(period=PeriodFactory(workspace=world_b.workspace))
    assert member_api.get(url(world, "objectives/")).json()["results"] == []


def test_tree_view_nests_children(member_api, world, objective):
    child = ObjectiveFactory(period=objective.period, parent=objective, team=world.team)
    response = member_api.get(url(world, f"objectives/tree/?period={objective.period_id}"))
    assert response.status_code == 200
    roots = response.json()["roots"]
    assert [(r["id"], [c["id"] for c in r["children"]]) for r in roots] == [
        (objective.pk, [child.pk])
    ]


def test_view_tree_parameter_returns_the_tree(member_api, world, objective):
    response = member_api.get(url(world, "objectives/?view=tree"))
    assert [r["id"] for r in response.json()["roots"]] == [objective.pk]


def test_tree_of_another_workspaces_period_is_404(member_api, world, world_b):
    foreign = PeriodFactory(workspace=world_b.workspace)
    assert member_api.get(url(world, f"objectives/tree/?period={foreign.pk}")).status_code == 404


def test_retrieve_sends_an_etag_and_answers_304(member_api, world, objective):
    first = member_api.get(url(world, f"objectives/{objective.pk}/"))
    assert first["ETag"] == '"v1"'
    again = member_api.get(url(world, f"objectives/{objective.pk}/"), HTTP_IF_NONE_MATCH='"v1"')
    assert again.status_code == 304


def test_patch_with_a_stale_if_match_is_412(member_api, world, objective):
    Objective.objects.filter(pk=objective.pk).update(version=2)
    response = send(
        member_api,
        "PATCH",
        url(world, f"objectives/{objective.pk}/"),
        {"title": "Lost"},
        HTTP_IF_MATCH='"v1"',
    )
    assert response.status_code == 412
    objective.refresh_from_db()
    assert objective.title != "Lost"


def test_patch_with_a_stale_body_version_is_409(member_api, world, objective):
    Objective.objects.filter(pk=objective.pk).update(version=2)
    response = send(
        member_api,
        "PATCH",
        url(world, f"objectives/{objective.pk}/"),
        {"title": "Lost", "version": 1},
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "stale_version"
    objective.refresh_from_db()
    assert objective.title != "Lost"


def test_patch_with_the_current_version_succeeds(member_api, world, objective):
    response = send(
        member_api,
        "PATCH",
        url(world, f"objectives/{objective.pk}/"),
        {"title": "Calmer releases", "version": 1},
        HTTP_IF_MATCH='"v1"',
    )
    assert response.status_code == 200
    assert (response.json()["title"], response["ETag"]) == ("Calmer releases", '"v2"')


def test_reparent_into_a_cycle_is_409(member_api, world, objective):
    child = ObjectiveFactory(period=objective.period, parent=objective, team=world.team)
    response = send(
        member_api, "PATCH", url(world, f"objectives/{objective.pk}/"), {"parent": child.pk}
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "alignment_cycle"


def test_delete_archives(member_api, world, objective):
    response = member_api.delete(url(world, f"objectives/{objective.pk}/"))
    assert response.status_code == 204
    objective.refresh_from_db()
    assert objective.status == "archived"


def test_viewer_cannot_archive(viewer_api, world, objective):
    assert viewer_api.delete(url(world, f"objectives/{objective.pk}/")).status_code == 403
    objective.refresh_from_db()
    assert objective.status == "active"


def test_explanation_lists_key_result_contributions(member_api, world, key_result):
    response = member_api.get(url(world, f"objectives/{key_result.objective_id}/explanation/"))
    assert response.status_code == 200
    [row] = response.json()["key_results"]
    assert (row["id"], row["weight_share"], row["contribution"]) == (key_result.pk, 1.0, 0.0)


def test_comments_are_added_and_listed(member_api, world, objective):
    created = send(
        member_api, "POST", url(world, f"objectives/{objective.pk}/comments/"), {"body": "On it"}
    )
    assert created.status_code == 201
    listed = member_api.get(url(world, f"objectives/{objective.pk}/comments/")).json()
    assert [c["body"] for c in listed] == ["On it"]


def test_viewer_cannot_comment(viewer_api, world, objective):
    response = send(
        viewer_api, "POST", url(world, f"objectives/{objective.pk}/comments/"), {"body": "Hi"}
    )
    assert response.status_code == 403
    assert not objective.comments.exists()


def test_another_workspaces_objective_is_404(member_api, world, world_b):
    foreign = ObjectiveFactory(period=PeriodFactory(workspace=world_b.workspace))
    assert member_api.get(url(world, f"objectives/{foreign.pk}/")).status_code == 404


# ---- key results and check-ins ------------------------------------------------------------


def test_key_result_with_target_equal_to_baseline_is_422(member_api, world, objective):
    response = send(
        member_api,
        "POST",
        url(world, "key-results/"),
        {"objective": objective.pk, "title": "Flat line", "baseline": 5, "target": 5},
    )
    assert response.status_code == 422
    assert list(response.json()["error"]["fields"]) == ["target"]
    assert not KeyResult.objects.exists()


def test_key_result_for_another_workspaces_objective_is_404(member_api, world, world_b):
    foreign = ObjectiveFactory(period=PeriodFactory(workspace=world_b.workspace))
    response = send(
        member_api,
        "POST",
        url(world, "key-results/"),
        {"objective": foreign.pk, "title": "Sneaky", "target": 5},
    )
    assert response.status_code == 404
    assert not KeyResult.objects.filter(objective=foreign).exists()


def test_check_in_is_recorded_and_listed(member_api, world, key_result):
    created = send(
        member_api,
        "POST",
        url(world, f"key-results/{key_result.pk}/check-ins/"),
        {"value": "50", "confidence": 7, "note": "Half way"},
    )
    assert created.status_code == 201
    listed = member_api.get(url(world, f"check-ins/?key_result={key_result.pk}")).json()
    assert [(c["value"], c["note"]) for c in listed["results"]] == [("50.0000", "Half way")]
    key_result.refresh_from_db()
    assert key_result.current == Decimal("50")


def test_viewer_cannot_check_in(viewer_api, world, key_result):
    response = send(
        viewer_api, "POST", url(world, f"key-results/{key_result.pk}/check-ins/"), {"value": "50"}
    )
    assert response.status_code == 403
    assert not CheckIn.objects.exists()


def test_check_in_with_a_stale_version_is_409(member_api, world, key_result):
    response = send(
        member_api,
        "POST",
        url(world, f"key-results/{key_result.pk}/check-ins/"),
        {"value": "50", "version": 4},
    )
    assert response.status_code == 409
    assert not CheckIn.objects.exists()


def test_key_result_list_carries_progress(member_api, world, key_result):
    KeyResult.objects.filter(pk=key_result.pk).update(current=50)
    response = member_api.get(url(world, f"key-results/?objective={key_result.objective_id}"))
    [row] = response.json()["results"]
    assert row["progress"]["progress"] == 0.5


# ---- SMART review ---------------------------------------------------------------------------


def test_viewer_can_review_a_draft(viewer_api, world):
    response = send(
        viewer_api,
        "POST",
        url(world, "smart-review/"),
        {"key_result": {"title": "Improve the onboarding flow", "target": 5}},
    )
    assert response.status_code == 200
    assert [f["code"] for f in response.json()["findings"]] == [
        "vague_verb",
        "no_measure",
        "no_owner",
    ]


def test_review_needs_exactly_one_draft(viewer_api, world):
    response = send(viewer_api, "POST", url(world, "smart-review/"), {})
    assert response.status_code == 400
