"""The OKR status thresholds page and API: who may see and change them, validation messages,
versions (409/412/422 with the other person's values) and the audit log."""

from __future__ import annotations

import json

import pytest

from alignment.models import AuditEvent, Workspace
from dashboards import rollups
from okrs.services import key_result_check_in
from okrs.services.settings import okr_thresholds_update
from tests.conftest import api_client_for
from tests.okrs.pages import okrs_url

pytestmark = pytest.mark.django_db

VALID = {
    "at_risk_points": "2",
    "off_track_points": "5",
    "at_risk_confidence": "4",
    "off_track_confidence": "2",
    "stale_after_days": "5",
    "version": "0",
}


def stored(world) -> dict:
    return Workspace.objects.get(pk=world.workspace.pk).settings.get("okrs", {})


def api_url(world) -> str:
    return f"/api/v1/workspaces/{world.workspace.slug}/okr-settings/"


def send(client, method, path, body=None, **headers):
    return client.generic(
        method, path, json.dumps(body or {}), content_type="application/json", **headers
    )


# ---- the page ----------------------------------------------------------------------------


def test_an_admin_sees_current_values_and_defaults(admin_client, world):
    okr_thresholds_update(actor=world.admin, stale_after_days=7)

    body = admin_client.get(okrs_url("settings")).content.decode()

    assert "At risk when this many percentage points behind pace" in body
    assert 'name="stale_after_days" value="7"' in body
    assert "Default: 14." in body
    assert "changed 1 of the 5 values from the defaults" in body
    assert 'aria-current="page">OKR status</a>' in body


@pytest.mark.parametrize("who", ["member_client", "viewer_client"])
def test_members_and_viewers_get_403_and_no_link(request, who):
    client = request.getfixturevalue(who)

    assert client.get(okrs_url("settings")).status_code == 403
    assert client.post(okrs_url("settings"), VALID).status_code == 403
    members_page = client.get(okrs_url("settings").replace("okrs/settings/", "settings/members/"))
    assert members_page.status_code == 200
    assert "OKR status" not in members_page.content.decode()


def test_the_settings_tabs_link_the_page_for_admins(admin_client, world):
    body = admin_client.get(f"/w/{world.workspace.slug}/settings/members/").content.decode()

    assert okrs_url("settings") in body


def test_an_admin_saves_thresholds_and_it_is_audited(admin_client, world):
    response = admin_client.post(okrs_url("settings"), VALID)

    assert response.status_code == 303
    assert (stored(world)["at_risk_gap"], stored(world)["off_track_gap"]) == (0.02, 0.05)
    assert AuditEvent.objects.get(verb="okr_thresholds.updated").actor == world.admin.user
    shown = admin_client.get(response["Location"]).content.decode()
    assert "Thresholds saved." in shown


def test_off_track_closer_than_at_risk_is_422_with_the_reason(admin_client, world):
    response = admin_client.post(
        okrs_url("settings"), {**VALID, "at_risk_points": "8", "off_track_points": "5"}
    )

    assert response.status_code == 422
    assert "Off track must be at least as far behind pace as at risk (8 points)" in (
        response.content.decode()
    )
    assert stored(world) == {}


def test_a_non_number_is_422(admin_client, world):
    response = admin_client.post(okrs_url("settings"), {**VALID, "stale_after_days": "soon"})

    assert response.status_code == 422
    assert "Enter a whole number." in response.content.decode()
    assert stored(world) == {}


def test_a_save_over_someone_elses_shows_their_values(admin_client, world):
    okr_thresholds_update(actor=world.owner, stale_after_days=9)

    response = admin_client.post(okrs_url("settings"), VALID)

    body = response.content.decode()
    assert response.status_code == 422
    assert "Someone else changed the thresholds while you were editing" in body
    assert 'name="stale_after_days" value="9"' in body
    assert stored(world)["stale_after_days"] == 9


def test_use_the_defaults_resets_every_value(admin_client, world):
    okr_thresholds_update(actor=world.admin, stale_after_days=9, at_risk_points=3)

    response = admin_client.post(okrs_url("settings"), {"action": "reset", "version": "1"})

    assert response.status_code == 303
    assert (stored(world)["stale_after_days"], stored(world)["at_risk_gap"]) == (14, 0.1)


# ---- the API -----------------------------------------------------------------------------


def test_a_viewer_reads_the_thresholds_with_an_etag(viewer_api, world):
    response = viewer_api.get(api_url(world))

    assert response.status_code == 200
    assert response["ETag"] == '"v0"'
    data = response.json()
    assert (
        data["thresholds"]
        == data["defaults"]
        == {
            "at_risk_points": 10.0,
            "off_track_points": 25.0,
            "at_risk_confidence": 4,
            "off_track_confidence": 2,
            "stale_after_days": 14,
        }
    )
    assert (data["customized"], data["version"]) == ([], 0)


def test_an_admin_puts_every_threshold(admin_api, world):
    body = {k: float(v) if "points" in k else int(v) for k, v in VALID.items() if k != "version"}

    response = send(admin_api, "PUT", api_url(world), body, HTTP_IF_MATCH='"v0"')

    assert response.status_code == 200
    assert response["ETag"] == '"v1"'
    assert response.json()["customized"] == [
        "at_risk_points",
        "off_track_points",
        "stale_after_days",
    ]
    assert stored(world)["off_track_gap"] == 0.05


def test_put_without_every_field_is_400_naming_the_missing_ones(admin_api, world):
    response = send(admin_api, "PUT", api_url(world), {"stale_after_days": 5})

    assert response.status_code == 400
    assert "at_risk_points" in response.json()["error"]["fields"]
    assert stored(world) == {}


def test_patch_changes_only_the_fields_sent(admin_api, world):
    response = send(admin_api, "PATCH", api_url(world), {"stale_after_days": 5})

    assert response.status_code == 200
    assert response.json()["thresholds"]["stale_after_days"] == 5
    assert response.json()["thresholds"]["at_risk_points"] == 10.0


def test_patch_with_an_out_of_range_value_names_the_field(admin_api, world):
    response = send(admin_api, "PATCH", api_url(world), {"off_track_confidence": 7})

    assert response.status_code == 422
    fields = response.json()["error"]["fields"]
    assert list(fields) == ["off_track_confidence"]
    assert "at or below the at-risk confidence (4)" in fields["off_track_confidence"][0]
    assert stored(world) == {}


def test_a_boolean_is_not_a_number(admin_api, world):
    response = send(admin_api, "PATCH", api_url(world), {"stale_after_days": True})

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["stale_after_days"]
    assert stored(world) == {}


def test_an_old_if_match_is_412_and_an_old_body_version_409(admin_api, world):
    okr_thresholds_update(actor=world.owner, stale_after_days=9)

    header = send(admin_api, "PATCH", api_url(world), {"stale_after_days": 5}, HTTP_IF_MATCH='"v0"')
    in_body = send(admin_api, "PATCH", api_url(world), {"stale_after_days": 5, "version": 0})

    assert (header.status_code, in_body.status_code) == (412, 409)
    assert in_body.json()["error"]["code"] == "stale_version"
    assert stored(world)["stale_after_days"] == 9


@pytest.mark.parametrize("role", ["member", "viewer"])
def test_members_and_viewers_cannot_write(world, role):
    client = api_client_for(getattr(world, role))

    response = send(client, "PATCH", api_url(world), {"stale_after_days": 5})

    assert response.status_code == 403
    assert stored(world) == {}


def test_a_read_only_token_of_an_admin_cannot_write(world):
    client = api_client_for(world.admin, scope="read")

    response = send(client, "PATCH", api_url(world), {"stale_after_days": 5})

    assert response.status_code == 403
    assert stored(world) == {}


def test_another_workspace_is_404(admin_api, world, world_b):
    path = f"/api/v1/workspaces/{world_b.workspace.slug}/okr-settings/"

    assert admin_api.get(path).status_code == 404
    assert send(admin_api, "PATCH", path, {"stale_after_days": 5}).status_code == 404
    assert Workspace.objects.get(pk=world_b.workspace.pk).settings.get("okrs") is None


def test_new_thresholds_show_on_the_okr_page_and_the_dashboard(
    admin_client, world, key_result, django_capture_on_commit_callbacks
):
    # 45% done with 50% of the period passed, checked in today: on track by default.
    key_result_check_in(actor=world.member, key_result=key_result, value=49, confidence=7)
    objective_page = okrs_url("objective_detail", objective_id=key_result.objective_id)
    dashboard = f"/w/{world.workspace.slug}/dashboards/"
    rollups.recompute_all(world.workspace)
    assert (
        f'id="risk-key_result-{key_result.pk}"' not in admin_client.get(dashboard).content.decode()
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            okrs_url("settings"), {**VALID, "off_track_points": "4", "at_risk_points": "2"}
        )

    assert response.status_code == 303
    page = admin_client.get(objective_page).content.decode()
    row = page.split(f'id="kr-{key_result.pk}"')[1].split("</tr>")[0]
    assert "Off track" in row
    risky = admin_client.get(dashboard).content.decode()
    assert f'id="risk-key_result-{key_result.pk}"' in risky
    assert "Off track" in risky.split(f'id="risk-key_result-{key_result.pk}"')[1].split("</li>")[0]
