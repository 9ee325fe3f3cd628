"""Key result pages and check-ins: adding and editing KRs, milestone steps, check-ins swapping the
row in place (and the no-JavaScript fallback), role and validation refusals."""

from __future__ import annotations

from decimal import Decimal

from okrs import services
from okrs.models import CheckIn, KeyResult
from tests.factories.okrs import KeyResultFactory
from tests.okrs.pages import htmx, okrs_url

# --- key results -------------------------------------------------------------------------------


def test_a_member_adds_a_key_result(member_client, objective, world):
    response = member_client.post(
        okrs_url("key_result_new", objective_id=objective.pk),
        {
            "title": "Activation from 40% to 60%",
            "kind": "percentage",
            "unit": "%",
            "baseline": "40",
            "target": "60",
            "source": "manual",
            "weight": "1",
            "confidence": "6",
            "owner": world.member.user.pk,
        },
    )

    kr = KeyResult.objects.get(objective=objective)
    assert response.status_code == 303
    assert (kr.baseline, kr.target, kr.current, kr.confidence) == (40, 60, 40, 6)


def test_a_target_equal_to_the_baseline_is_422_with_the_field_message(member_client, objective):
    response = member_client.post(
        okrs_url("key_result_new", objective_id=objective.pk),
        {
            "title": "Activation stays at 40%",
            "kind": "percentage",
            "baseline": "40",
            "target": "40",
            "source": "manual",
            "weight": "1",
            "confidence": "5",
        },
    )

    assert response.status_code == 422
    assert "The target must differ from the baseline." in response.content.decode()
    assert KeyResult.objects.count() == 0


def test_a_stale_key_result_edit_is_409_and_keeps_the_newer_value(member_client, world, key_result):
    url = okrs_url("key_result_edit", key_result_id=key_result.pk)
    data = {
        "title": "My stale title",
        "kind": "percentage",
        "unit": "%",
        "baseline": "40",
        "target": "60",
        "source": "manual",
        "weight": "1",
        "version": key_result.version,
    }
    services.key_result_update(actor=world.admin, key_result=key_result, title="Theirs")

    response = member_client.post(url, data)

    key_result.refresh_from_db()
    assert response.status_code == 409
    assert "changed by someone else" in response.content.decode()
    assert key_result.title == "Theirs"


# --- check-ins ---------------------------------------------------------------------------------


def test_a_check_in_swaps_the_row_and_triggers_progress_changed(member_client, key_result):
    response = member_client.post(
        okrs_url("key_result_check_in", key_result_id=key_result.pk),
        {"value": "50", "confidence": "7", "note": "Tour shipped"},
        **htmx(),
    )

    body = response.content.decode()
    key_result.refresh_from_db()
    assert response.status_code == 200
    assert body.lstrip().startswith(f'<tr id="kr-{key_result.pk}">')
    assert "50%</span>" in body
    assert "progress-changed" in response["HX-Trigger"]
    assert key_result.current == 50
    assert CheckIn.objects.get().note == "Tour shipped"


def test_a_check_in_without_javascript_redirects_to_the_objective(member_client, key_result):
    response = member_client.post(
        okrs_url("key_result_check_in", key_result_id=key_result.pk),
        {"value": "50", "confidence": "7"},
    )

    assert response.status_code == 303
    assert response["Location"] == okrs_url(
        "objective_detail", objective_id=key_result.objective_id
    )


def test_a_check_in_with_a_confidence_of_11_is_422_in_the_dialog(member_client, key_result):
    response = member_client.post(
        okrs_url("key_result_check_in", key_result_id=key_result.pk),
        {"value": "50", "confidence": "11"},
        **htmx(),
    )

    key_result.refresh_from_db()
    assert response.status_code == 422
    assert response["HX-Retarget"] == f"#check-in-form-{key_result.pk}"
    assert "less than or equal to 10" in response.content.decode()
    assert (key_result.current, CheckIn.objects.count()) == (40, 0)


def test_a_viewer_cannot_check_in(viewer_client, key_result):
    response = viewer_client.post(
        okrs_url("key_result_check_in", key_result_id=key_result.pk),
        {"value": "50", "confidence": "7"},
    )

    key_result.refresh_from_db()
    assert response.status_code == 403
    assert (key_result.current, CheckIn.objects.count()) == (40, 0)


def test_a_boolean_key_result_checks_in_as_done(member_client, objective):
    kr = KeyResultFactory(objective=objective, kind="boolean", baseline=0, target=1, current=0)

    member_client.post(
        okrs_url("key_result_check_in", key_result_id=kr.pk), {"done": "on", "confidence": "8"}
    )

    kr.refresh_from_db()
    assert kr.current == 1


def test_the_objective_header_refreshes_as_a_partial(viewer_client, objective):
    url = okrs_url("objective_detail", objective_id=objective.pk) + "?part=header"

    body = viewer_client.get(url, **htmx()).content.decode()

    assert body.startswith('<section class="card objective-header" id="objective-header"')
    assert 'hx-trigger="progress-changed from:body"' in body


def test_a_milestone_key_result_is_created_with_its_steps(member_client, objective):
    response = member_client.post(
        okrs_url("key_result_new", objective_id=objective.pk),
        {
            "title": "Self-serve setup live in 3 regions",
            "kind": "milestone",
            "milestones": "Europe\nUS | 2\nAsia",
            "source": "manual",
            "weight": "1",
            "confidence": "5",
        },
    )

    kr = KeyResult.objects.get(objective=objective)
    assert response.status_code == 303
    assert [(s["title"], s["weight"]) for s in kr.milestones] == [
        ("Europe", 1.0),
        ("US", 2.0),
        ("Asia", 1.0),
    ]


def test_a_milestone_check_in_marks_the_steps_done(member_client, objective):
    kr = KeyResultFactory(
        objective=objective,
        kind="milestone",
        baseline=0,
        target=1,
        current=0,
        milestones=[
            {"title": "Europe", "weight": 1, "done": False},
            {"title": "US", "weight": 3, "done": False},
        ],
    )
    url = okrs_url("key_result_check_in", key_result_id=kr.pk)

    page = member_client.get(url).content.decode()
    response = member_client.post(url, {"steps_done": ["1"], "confidence": "6"})

    kr.refresh_from_db()
    assert 'name="steps_done" value="1"' in page
    assert response.status_code == 303
    assert kr.current == Decimal("0.75")
    assert [s["done"] for s in kr.milestones] == [False, True]


def test_the_check_in_page_is_the_no_javascript_fallback(member_client, key_result):
    response = member_client.get(okrs_url("key_result_check_in", key_result_id=key_result.pk))

    body = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Check in: Raise activation from 40% to 60%</h1>" in body
    assert 'name="value"' in body
    # The current value as written, not normalize()'s exponent form ("4E+1").
    assert 'name="value" value="40"' in body


def test_the_edit_form_shows_round_numbers_as_written(member_client, objective):
    kr = KeyResultFactory(objective=objective, baseline=Decimal("100.000"), target=Decimal("2000"))

    body = member_client.get(okrs_url("key_result_edit", key_result_id=kr.pk)).content.decode()

    assert 'name="baseline" value="100"' in body
    assert 'name="target" value="2000"' in body
    assert "E+" not in body
