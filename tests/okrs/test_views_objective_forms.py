"""Objective create and edit pages: field messages on 422, stale versions refused, and the SMART
panel reviewing input as it is typed."""

from __future__ import annotations

from okrs import services
from okrs.models import Objective, ObjectiveLevel
from tests.okrs.pages import htmx, okrs_url

# --- objective create and edit ----------------------------------------------------------------


def test_a_member_creates_an_objective_and_lands_on_it(member_client, world, period):
    response = member_client.post(
        okrs_url("objective_new"),
        {
            "title": "Cut onboarding time in half",
            "period": period.pk,
            "level": "team",
            "team": world.team.pk,
            "owner": world.member.user.pk,
            "status": "active",
            "weight": "1",
        },
    )

    objective = Objective.objects.get(title="Cut onboarding time in half")
    assert response.status_code == 303
    assert response["Location"] == okrs_url("objective_detail", objective_id=objective.pk)


def test_a_team_objective_without_a_team_is_422_with_the_field_message(member_client, period):
    response = member_client.post(
        okrs_url("objective_new"),
        {
            "title": "Cut onboarding time in half",
            "period": period.pk,
            "level": "team",
            "status": "active",
            "weight": "1",
        },
    )

    assert response.status_code == 422
    assert "A team objective needs a team." in response.content.decode()
    assert Objective.objects.count() == 0


def test_an_empty_title_is_422(member_client, period, world):
    response = member_client.post(
        okrs_url("objective_new"),
        {
            "title": "",
            "period": period.pk,
            "level": "team",
            "team": world.team.pk,
            "status": "active",
            "weight": "1",
        },
    )

    assert response.status_code == 422
    assert "This field is required." in response.content.decode()


def test_a_member_cannot_pick_the_company_level(member_client, period):
    body = member_client.get(okrs_url("objective_new")).content.decode()

    assert '<option value="company"' not in body


def test_a_viewer_cannot_create_an_objective(viewer_client, world, period):
    response = viewer_client.post(
        okrs_url("objective_new"),
        {
            "title": "Cut onboarding time in half",
            "period": period.pk,
            "level": "team",
            "team": world.team.pk,
            "status": "active",
            "weight": "1",
        },
    )

    assert response.status_code == 403
    assert Objective.objects.count() == 0


def edit_data(objective: Objective, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "title": objective.title,
        "description": objective.description,
        "period": objective.period_id,
        "level": objective.level,
        "team": objective.team_id or "",
        "owner": objective.owner_id or "",
        "parent": objective.parent_id or "",
        "status": objective.status,
        "weight": str(objective.weight),
        "version": objective.version,
    }
    data.update(changes)
    return data


def test_editing_with_the_current_version_saves(member_client, objective):
    response = member_client.post(
        okrs_url("objective_edit", objective_id=objective.pk),
        edit_data(objective, title="Make onboarding effortless for every new team"),
    )

    objective.refresh_from_db()
    assert response.status_code == 303
    assert objective.title == "Make onboarding effortless for every new team"
    assert objective.version == 2


def test_a_stale_version_is_409_with_a_reload_message_and_nothing_overwritten(
    member_client, world, objective
):
    form = edit_data(objective, title="My edit from an old page")
    services.objective_update(actor=world.admin, objective=objective, title="Their newer edit")

    response = member_client.post(okrs_url("objective_edit", objective_id=objective.pk), form)

    objective.refresh_from_db()
    body = response.content.decode()
    assert response.status_code == 409
    assert "changed by someone else" in body
    assert "Reload the latest version" in body
    assert objective.title == "Their newer edit"


def test_aligning_under_a_descendant_is_422_on_the_parent_field(admin_client, aligned):
    company = aligned.parent

    response = admin_client.post(
        okrs_url("objective_edit", objective_id=company.pk),
        edit_data(company, parent=aligned.pk),
    )

    company.refresh_from_db()
    assert response.status_code == 422
    assert "already aligns under it" in response.content.decode()
    assert (company.parent_id, company.version) == (None, 1)


def test_a_member_renames_a_company_objective_without_re_levelling_it(
    member_client, company_objective
):
    response = member_client.post(
        okrs_url("objective_edit", objective_id=company_objective.pk),
        edit_data(company_objective, title="Be the easiest planning tool to start with"),
    )

    company_objective.refresh_from_db()
    assert response.status_code == 303
    assert company_objective.title == "Be the easiest planning tool to start with"
    assert company_objective.level == ObjectiveLevel.COMPANY


def test_a_viewer_cannot_edit_an_objective(viewer_client, objective):
    response = viewer_client.post(
        okrs_url("objective_edit", objective_id=objective.pk), edit_data(objective, title="No")
    )

    objective.refresh_from_db()
    assert response.status_code == 403
    assert objective.title == "Make onboarding effortless for new teams"
    assert objective.version == 1


def test_the_edit_form_carries_the_hidden_version(member_client, objective):
    body = member_client.get(okrs_url("objective_edit", objective_id=objective.pk)).content

    assert b'<input type="hidden" name="version" value="1"' in body


# --- the SMART panel ----------------------------------------------------------------------


def test_form_inputs_ask_for_a_review_while_typing(member_client, period):
    body = member_client.get(okrs_url("objective_new")).content.decode()

    assert f'hx-post="{okrs_url("review_objective")}"' in body
    assert 'hx-trigger="input changed delay:500ms"' in body
    assert 'hx-target="#smart-panel"' in body


def test_the_smart_panel_flags_a_vague_objective_letter_by_letter(member_client, period):
    response = member_client.post(
        okrs_url("review_objective"),
        {"title": "Improve quality", "level": "team", "period": period.pk},
        **htmx(),
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert body.startswith('<aside class="card smart-panel" id="smart-panel"')
    assert "“improve” without a measure leaves “done” open to opinion." in body
    assert "Nobody owns this objective." in body
    assert "This team objective is not aligned to any company objective." in body
    assert 'data-letter="T"' in body


def test_the_smart_panel_of_a_key_result_asks_for_a_number(member_client):
    response = member_client.post(
        okrs_url("review_key_result"),
        {"title": "Launch the new onboarding flow", "kind": "boolean"},
        **htmx(),
    )

    assert "reads like a task (output), not a result (outcome)" in response.content.decode()


def test_a_viewer_gets_no_smart_review(viewer_client):
    response = viewer_client.post(okrs_url("review_objective"), {"title": "Improve quality"})

    assert response.status_code == 403
