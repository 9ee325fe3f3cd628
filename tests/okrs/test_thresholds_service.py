"""OKR status thresholds: validation in people's units, storage units, versions, audit, events,
and the recompute that makes every status follow them."""

from __future__ import annotations

import pytest

from alignment import events
from alignment.errors import FieldErrors, RoleRequired, StaleVersion
from alignment.models import AuditEvent, Workspace
from dashboards.rollups.math import KR
from okrs import progress, selectors
from okrs.events import OkrThresholdsChanged
from okrs.services import key_result_check_in
from okrs.services.settings import (
    DEFAULTS,
    okr_thresholds_of,
    okr_thresholds_reset,
    okr_thresholds_update,
)
from readmodel.models import Rollup

pytestmark = pytest.mark.django_db

DEMO = {"at_risk_points": 2, "off_track_points": 5, "stale_after_days": 5}


def stored(world) -> dict:
    return Workspace.objects.get(pk=world.workspace.pk).settings.get("okrs", {})


def test_a_new_workspace_uses_the_defaults_at_version_0(world):
    current = okr_thresholds_of(world.workspace)

    assert (current.values, current.version, current.customized) == (DEFAULTS, 0, [])
    assert (DEFAULTS.at_risk_points, DEFAULTS.off_track_points) == (10.0, 25.0)


def test_points_are_stored_as_the_fractions_the_status_rules_read(world):
    okr_thresholds_update(actor=world.admin, **DEMO)

    raw = stored(world)
    assert (raw["at_risk_gap"], raw["off_track_gap"], raw["stale_after_days"]) == (0.02, 0.05, 5)
    assert raw["version"] == 1
    read = progress.Thresholds.from_settings(Workspace.objects.get(pk=world.workspace.pk).settings)
    assert (read.at_risk_gap, read.off_track_gap, read.stale_after_days) == (0.02, 0.05, 5)


def test_a_change_keeps_the_other_settings_of_the_workspace(world):
    Workspace.objects.filter(pk=world.workspace.pk).update(
        settings={"dashboards": {"duplicate_similarity": 0.5}, "okrs": {"note": "kept"}}
    )

    okr_thresholds_update(actor=world.admin, stale_after_days=7)

    settings = Workspace.objects.get(pk=world.workspace.pk).settings
    assert settings["dashboards"] == {"duplicate_similarity": 0.5}
    assert (settings["okrs"]["note"], settings["okrs"]["stale_after_days"]) == ("kept", 7)


def test_a_change_is_audited_with_what_changed_in_points(world):
    okr_thresholds_update(actor=world.admin, **DEMO)

    event = AuditEvent.objects.get(verb="okr_thresholds.updated")
    assert event.before == {
        "at_risk_points": 10.0,
        "off_track_points": 25.0,
        "stale_after_days": 14,
    }
    assert event.after == {"at_risk_points": 2.0, "off_track_points": 5.0, "stale_after_days": 5}
    assert event.actor == world.admin.user


def test_saving_the_same_values_changes_nothing(world):
    first = okr_thresholds_update(actor=world.admin, **DEMO)
    again = okr_thresholds_update(actor=world.admin, **DEMO)

    assert again.version == first.version == 1
    assert AuditEvent.objects.filter(verb="okr_thresholds.updated").count() == 1


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"at_risk_points": "nan"}, "at_risk_points", "Enter a finite number."),
        ({"at_risk_points": "Infinity"}, "at_risk_points", "Enter a finite number."),
        ({"at_risk_points": "ten"}, "at_risk_points", "Enter a number."),
        ({"at_risk_points": True}, "at_risk_points", "Enter a number."),
        ({"at_risk_points": 0}, "at_risk_points", "above 0 and at most 100"),
        ({"off_track_points": 100.5}, "off_track_points", "above 0 and at most 100"),
        ({"off_track_points": 5}, "off_track_points", "at least as far behind pace as at risk"),
        ({"at_risk_confidence": 11}, "at_risk_confidence", "from 0 to 10"),
        ({"at_risk_confidence": 3.5}, "at_risk_confidence", "whole number"),
        ({"off_track_confidence": 6}, "off_track_confidence", "at or below the at-risk"),
        ({"stale_after_days": 0}, "stale_after_days", "from 1 to 365"),
        ({"stale_after_days": 366}, "stale_after_days", "from 1 to 365"),
    ],
)
def test_invalid_thresholds_are_refused_naming_the_field(world, changes, field, message):
    with pytest.raises(FieldErrors) as caught:
        okr_thresholds_update(actor=world.admin, **changes)

    assert list(caught.value.fields) == [field]
    assert message in caught.value.fields[field][0]
    assert stored(world) == {}
    assert not AuditEvent.objects.filter(verb="okr_thresholds.updated").exists()


def test_off_track_equal_to_at_risk_is_allowed(world):
    current = okr_thresholds_update(actor=world.admin, at_risk_points=8, off_track_points=8)

    assert (current.values.at_risk_points, current.values.off_track_points) == (8.0, 8.0)


def test_a_member_cannot_change_thresholds(world):
    with pytest.raises(RoleRequired):
        okr_thresholds_update(actor=world.member, stale_after_days=3)
    assert stored(world) == {}


def test_a_stale_version_is_refused_and_nothing_changes(world):
    okr_thresholds_update(actor=world.admin, stale_after_days=7)

    with pytest.raises(StaleVersion) as caught:
        okr_thresholds_update(actor=world.owner, expected_version=0, stale_after_days=3)

    assert caught.value.details["current"] == 1
    assert stored(world)["stale_after_days"] == 7


def test_reset_goes_back_to_the_defaults(world):
    okr_thresholds_update(actor=world.admin, **DEMO)

    current = okr_thresholds_reset(actor=world.admin, expected_version=1)

    assert (current.values, current.version, current.customized) == (DEFAULTS, 2, [])


def test_a_change_publishes_one_event_after_commit(world, django_capture_on_commit_callbacks):
    seen: list[OkrThresholdsChanged] = []
    events.subscribe(OkrThresholdsChanged, seen.append)
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            okr_thresholds_update(actor=world.admin, **DEMO)
        assert seen == []  # nothing before commit
        for callback in callbacks:
            callback()
    finally:
        events.unsubscribe(OkrThresholdsChanged, seen.append)

    assert seen == [
        OkrThresholdsChanged(workspace_id=world.workspace.pk, actor_id=world.admin.user_id)
    ]


def test_changing_thresholds_changes_the_status_on_the_okr_page_and_in_the_rollups(
    world, key_result, django_capture_on_commit_callbacks
):
    # 45 of 90 days passed (50% expected); 45% done is 5 points behind pace, checked in today.
    key_result_check_in(actor=world.member, key_result=key_result, value=49, confidence=7)
    objectives = [key_result.objective]
    page_before = selectors.progress_for_objectives(world.workspace, objectives)
    assert page_before[key_result.objective_id].key_results[0].status.code == progress.ON_TRACK

    with django_capture_on_commit_callbacks(execute=True):
        okr_thresholds_update(actor=world.admin, at_risk_points=2, off_track_points=4)

    workspace = Workspace.objects.get(pk=world.workspace.pk)
    page_after = selectors.progress_for_objectives(workspace, objectives)
    assert page_after[key_result.objective_id].key_results[0].status.code == progress.OFF_TRACK
    row = Rollup.objects.get(workspace=workspace, kind=KR, node_id=key_result.pk)
    assert row.status == progress.OFF_TRACK


def test_a_broker_outage_does_not_fail_the_save(
    world, monkeypatch, django_capture_on_commit_callbacks
):
    from dashboards import subscribers_settings

    def down(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(subscribers_settings.rollups_recompute_for_thresholds, "apply_async", down)

    with django_capture_on_commit_callbacks(execute=True):
        current = okr_thresholds_update(actor=world.admin, stale_after_days=6)

    assert current.version == 1
    assert stored(world)["stale_after_days"] == 6
