"""A burst of committed changes ends with findings and team metrics equal to a full recompute,
embedded (reads drain) and in production (coalesced jobs run after the burst); a change during
a refresh, or with Redis down, is never lost."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from alignment.celery import app as celery_app
from dashboards import drift, freshness, tasks
from dashboards.models import RefreshPending
from roadmaps import services as roadmap_services
from tasks import services as task_services
from tasks.models import StateCategory as C
from tests.dashboards.conftest import Plan
from tests.dashboards.freshness_helpers import (
    MOVES,
    findings_of,
    full_recompute,
    has_finding,
    metrics_of,
    points,
    run_burst,
    sprint_flow,
    sprint_with_history,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def production():
    """Celery with a broker: jobs are sent (here: recorded), never run in-process."""
    celery_app.conf.task_always_eager = False
    with (
        mock.patch.object(tasks.freshness_refresh, "apply_async") as sent,
        mock.patch.object(tasks.rollups_refresh_pending, "apply_async"),
    ):
        yield sent
    # tests/conftest.py puts eager mode back after each test.


def run_sent_jobs(sent: mock.MagicMock) -> None:
    """What a worker does once the countdown has passed: run every job that was sent."""
    for call in sent.call_args_list:
        tasks.freshness_refresh.run(**call.kwargs["kwargs"])
    sent.reset_mock()


def test_a_burst_shows_on_the_next_read_when_embedded(
    plan: Plan, django_capture_on_commit_callbacks
):
    ws = plan.world.workspace
    burst = sprint_with_history(plan)
    full_recompute(ws)
    assert has_finding(plan, "objective_without_work", plan.team_objective.pk)
    before = metrics_of(ws), findings_of(ws)

    with django_capture_on_commit_callbacks(execute=True):
        run_burst(plan, burst)
    assert (metrics_of(ws), findings_of(ws)) == before  # nothing refreshed at commit
    clock = freshness.ensure_fresh(ws)  # what the dashboards and the findings API do first

    assert clock.as_of is not None
    assert not clock.pending
    fresh = metrics_of(ws), findings_of(ws)
    flow = sprint_flow(plan)
    assert points(flow["completed_points"]) == MOVES
    assert points(flow["added_points"]) == 8 + 3  # the pulled-in task and the created one
    assert not has_finding(plan, "objective_without_work", plan.team_objective.pk)
    full_recompute(ws)
    assert (metrics_of(ws), findings_of(ws)) == fresh
    assert not RefreshPending.objects.exists()


def test_a_burst_sends_one_job_whose_run_matches_a_full_recompute(
    plan: Plan, django_capture_on_commit_callbacks, production
):
    ws = plan.world.workspace
    burst = sprint_with_history(plan)
    full_recompute(ws)

    with django_capture_on_commit_callbacks(execute=True):
        run_burst(plan, burst)
    production.assert_called_once_with(
        kwargs={"workspace_id": ws.pk}, countdown=freshness.COALESCE_SECONDS
    )
    # A read in production never waits for the refresh; it says one is on its way.
    assert freshness.ensure_fresh(ws).pending
    run_sent_jobs(production)

    assert not RefreshPending.objects.exists()
    fresh = metrics_of(ws), findings_of(ws)
    assert points(sprint_flow(plan)["added_points"]) == 8 + 3
    assert not has_finding(plan, "objective_without_work", plan.team_objective.pk)
    full_recompute(ws)
    assert (metrics_of(ws), findings_of(ws)) == fresh


def test_after_a_job_ran_the_next_change_sends_a_new_job(
    plan: Plan, django_capture_on_commit_callbacks, production
):
    # The old one-minute guard dropped every refresh after the first for a minute.
    task = plan.task(item=plan.item_a, estimate="2", category=C.UNSTARTED, sprint=plan.sprint)
    with django_capture_on_commit_callbacks(execute=True):
        task_services.task_transition(
            actor=plan.world.member, task=task, to_state=plan.states[C.STARTED]
        )
    run_sent_jobs(production)
    with django_capture_on_commit_callbacks(execute=True):
        roadmap_services.roadmap_item_link_key_result(
            actor=plan.world.member, item=plan.item_loose, key_result=plan.manual
        )
    assert production.call_count == 1
    run_sent_jobs(production)
    assert not has_finding(plan, "objective_without_work", plan.team_objective.pk)


def test_a_change_committed_while_a_refresh_runs_is_refreshed_by_the_next_job(
    plan: Plan, django_capture_on_commit_callbacks, production
):
    ws = plan.world.workspace
    full_recompute(ws)
    task = plan.task(item=plan.item_a, estimate="2", category=C.UNSTARTED, sprint=plan.sprint)
    with django_capture_on_commit_callbacks(execute=True):
        task_services.task_transition(
            actor=plan.world.member, task=task, to_state=plan.states[C.STARTED]
        )
    production.reset_mock()
    real_refresh = drift.refresh_findings

    def refresh_then_a_link_lands(workspace, **kwargs):
        written = real_refresh(workspace, **kwargs)
        # The link commits after the refresh has read everything: this run cannot see it.
        roadmap_services.roadmap_item_link_key_result(
            actor=plan.world.member, item=plan.item_loose, key_result=plan.manual
        )
        return written

    with (
        mock.patch.object(drift, "refresh_findings", refresh_then_a_link_lands),
        django_capture_on_commit_callbacks(execute=True),
    ):
        freshness.drain(ws.pk)

    assert has_finding(plan, "objective_without_work", plan.team_objective.pk)  # stale, for now
    assert RefreshPending.objects.filter(workspace=ws).exists()  # the link's mark survived
    production.assert_called_once()  # and, the flag cleared, it sent the next job
    run_sent_jobs(production)
    assert not has_finding(plan, "objective_without_work", plan.team_objective.pk)
    fresh = findings_of(ws)
    full_recompute(ws)
    assert findings_of(ws) == fresh


def test_with_redis_down_nothing_is_dropped_the_sweep_refreshes(
    plan: Plan, django_capture_on_commit_callbacks, production
):
    ws = plan.world.workspace
    burst = sprint_with_history(plan)
    full_recompute(ws)
    down = mock.Mock(add=mock.Mock(return_value=False), delete=mock.Mock(return_value=False))

    with mock.patch.object(freshness, "cache", down):
        with django_capture_on_commit_callbacks(execute=True):
            run_burst(plan, burst)
        production.assert_not_called()  # no flag, no job: the rows wait in the database
        assert tasks.freshness_sweep.run() == 0  # too young: a job may still be on its way
        with time_machine.travel(
            timezone.now() + timedelta(seconds=freshness.SWEEP_AFTER_SECONDS + 1)
        ):
            assert tasks.freshness_sweep.run() > 0

    assert not RefreshPending.objects.exists()
    fresh = metrics_of(ws), findings_of(ws)
    assert points(sprint_flow(plan)["added_points"]) == 8 + 3
    full_recompute(ws)
    assert (metrics_of(ws), findings_of(ws)) == fresh


def test_with_the_broker_down_the_rows_wait_and_the_next_change_tries_again(
    plan: Plan, django_capture_on_commit_callbacks, production
):
    production.side_effect = ConnectionError("broker down")
    task = plan.task(item=plan.item_a, estimate="2", category=C.UNSTARTED, sprint=plan.sprint)
    with django_capture_on_commit_callbacks(execute=True):
        task_services.task_transition(
            actor=plan.world.member, task=task, to_state=plan.states[C.STARTED]
        )
    assert RefreshPending.objects.exists()
    production.side_effect = None
    with django_capture_on_commit_callbacks(execute=True):
        task_services.task_transition(
            actor=plan.world.member, task=task, to_state=plan.states[C.DONE]
        )
    assert production.call_count == 2  # the failed send left no flag behind


def test_a_rolled_back_change_leaves_no_mark(plan: Plan, django_capture_on_commit_callbacks):
    task = plan.task(item=plan.item_a, estimate="2", category=C.UNSTARTED, sprint=plan.sprint)
    marked_inside = []

    def change_then_fail() -> None:
        with transaction.atomic():
            task_services.task_transition(
                actor=plan.world.member, task=task, to_state=plan.states[C.DONE]
            )
            marked_inside.append(RefreshPending.objects.exists())  # written with the change…
            raise RuntimeError("the request fails after the write")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        change_then_fail()
    assert marked_inside == [True]
    assert not RefreshPending.objects.exists()  # …and gone with it


def test_beat_sweeps_stale_marks_often_enough_for_the_minute(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["dashboards-freshness-sweep"]
    assert entry["task"] == "dashboards.freshness_sweep"
    # A lost job's change shows after SWEEP_AFTER plus at most one period, plus the run.
    assert freshness.SWEEP_AFTER_SECONDS + entry["schedule"].total_seconds() <= 45
    celery_app.loader.import_default_modules()
    assert {"dashboards.freshness_sweep", "dashboards.freshness_refresh"} <= set(celery_app.tasks)
