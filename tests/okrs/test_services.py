"""OKR services: rules, versions, tenancy, audit and events."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from alignment import events
from alignment.errors import CrossWorkspaceLink, FieldErrors, RoleRequired, StaleVersion
from alignment.models import AuditEvent
from okrs import services
from okrs.errors import AlignmentCycle, ObjectiveNotOpen, PeriodClosed
from okrs.events import KeyResultCheckedIn
from okrs.models import CheckIn, KeyResult, Objective, ObjectiveStatus, Period
from tests.factories.okrs import KeyResultFactory, ObjectiveFactory, PeriodFactory

pytestmark = pytest.mark.django_db


# ---- periods ----------------------------------------------------------------------------


def test_admin_creates_a_period_and_it_is_audited(world, today):
    period = services.period_create(
        actor=world.admin, name="Q9", start=today, end=today + timedelta(days=90)
    )
    assert (period.workspace, period.name) == (world.workspace, "Q9")
    assert AuditEvent.objects.filter(verb="period.created", object_id=str(period.pk)).count() == 1


def test_period_ending_before_it_starts_is_refused(world, today):
    with pytest.raises(FieldErrors) as caught:
        services.period_create(actor=world.admin, name="Q9", start=today, end=today)
    assert caught.value.fields == {"end": ["The period must end after it starts."]}
    assert not Period.objects.exists()


def test_member_cannot_create_a_period(world, today):
    with pytest.raises(RoleRequired):
        services.period_create(
            actor=world.member, name="Q9", start=today, end=today + timedelta(days=1)
        )
    assert not Period.objects.exists()


def test_duplicate_period_name_is_a_field_error(world, period, today):
    with pytest.raises(FieldErrors) as caught:
        services.period_create(
            actor=world.admin, name="this quarter", start=today, end=today + timedelta(days=9)
        )
    assert list(caught.value.fields) == ["name"]


def test_period_with_objectives_cannot_be_deleted(world, objective):
    with pytest.raises(Exception) as caught:  # noqa: PT011 - a Conflict, checked below
        services.period_delete(actor=world.admin, period=objective.period)
    assert caught.value.code == "conflict"
    assert Period.objects.filter(pk=objective.period_id).exists()


# ---- objectives -------------------------------------------------------------------------


def test_member_creates_a_team_objective(world, period):
    objective = services.objective_create(
        actor=world.member, period=period, title="Ship faster", team=world.team
    )
    assert (objective.workspace, objective.version, objective.status) == (
        world.workspace,
        1,
        "active",
    )


def test_team_objective_without_a_team_is_refused(world, period):
    with pytest.raises(FieldErrors) as caught:
        services.objective_create(actor=world.member, period=period, title="Ship faster")
    assert caught.value.fields == {"team": ["A team objective needs a team."]}
    assert not Objective.objects.exists()


def test_company_objective_needs_an_admin(world, period):
    with pytest.raises(RoleRequired):
        services.objective_create(actor=world.member, period=period, title="Grow", level="company")
    assert not Objective.objects.exists()


def test_viewer_cannot_create_objectives(world, period):
    with pytest.raises(RoleRequired):
        services.objective_create(actor=world.viewer, period=period, title="Grow", team=world.team)


def test_team_of_another_workspace_is_not_found(world, world_b, period):
    with pytest.raises(CrossWorkspaceLink) as caught:
        services.objective_create(
            actor=world.member, period=period, title="Grow", team=world_b.team
        )
    assert caught.value.status == 404
    assert list(caught.value.fields) == ["team"]
    assert not Objective.objects.exists()


def test_owner_outside_the_workspace_is_not_found(world, world_b, period):
    with pytest.raises(CrossWorkspaceLink):
        services.objective_create(
            actor=world.member,
            period=period,
            title="Grow",
            team=world.team,
            owner=world_b.member.user,
        )


def test_update_with_the_current_version_bumps_it(world, objective):
    updated = services.objective_update(
        actor=world.member, objective=objective, expected_version=1, title="Ship calmly"
    )
    assert (updated.title, updated.version) == ("Ship calmly", 2)


def test_update_with_a_stale_version_is_refused_and_changes_nothing(world, objective):
    Objective.objects.filter(pk=objective.pk).update(version=3)
    with pytest.raises(StaleVersion):
        services.objective_update(
            actor=world.member, objective=objective, expected_version=1, title="Lost write"
        )
    objective.refresh_from_db()
    assert (objective.title, objective.version) == ("Make onboarding effortless for new teams", 3)


def test_objective_in_a_closed_period_cannot_change(world, objective):
    Period.objects.filter(pk=objective.period_id).update(closed_at="2025-01-01T00:00Z")
    objective.refresh_from_db()
    with pytest.raises(PeriodClosed):
        services.objective_update(actor=world.member, objective=objective, title="Late")


def test_reparent_under_a_parent_of_another_workspace_is_not_found(world, world_b, objective):
    foreign = ObjectiveFactory(period=PeriodFactory(workspace=world_b.workspace))
    with pytest.raises(CrossWorkspaceLink):
        services.objective_reparent(actor=world.member, objective=objective, parent=foreign)
    objective.refresh_from_db()
    assert objective.parent_id is None


def test_reparent_under_a_descendant_is_an_alignment_cycle(world, objective):
    child = ObjectiveFactory(period=objective.period, parent=objective)
    grandchild = ObjectiveFactory(period=objective.period, parent=child)
    with pytest.raises(AlignmentCycle) as caught:
        services.objective_reparent(actor=world.member, objective=objective, parent=grandchild)
    assert (caught.value.status, caught.value.code) == (409, "alignment_cycle")
    objective.refresh_from_db()
    assert objective.parent_id is None


def test_reparent_under_itself_is_an_alignment_cycle(world, objective):
    with pytest.raises(AlignmentCycle):
        services.objective_reparent(actor=world.member, objective=objective, parent=objective)


def test_parent_in_a_shorter_period_is_refused(world, objective, today):
    month = PeriodFactory(workspace=world.workspace, start=today, end=today + timedelta(days=20))
    short = ObjectiveFactory(period=month)
    with pytest.raises(FieldErrors) as caught:
        services.objective_reparent(actor=world.member, objective=objective, parent=short)
    assert list(caught.value.fields) == ["parent"]


def test_parent_in_an_enclosing_period_is_accepted(world, objective, period):
    year = PeriodFactory(
        workspace=world.workspace,
        name="Year",
        start=period.start - timedelta(days=30),
        end=period.end + timedelta(days=200),
    )
    yearly = ObjectiveFactory(period=year)
    moved = services.objective_reparent(actor=world.member, objective=objective, parent=yearly)
    assert moved.parent_id == yearly.pk


def test_aligning_under_a_key_result_sets_its_objective_as_parent(world, objective):
    key_result = KeyResultFactory(objective=objective, source="children")
    child = ObjectiveFactory(period=objective.period)
    moved = services.objective_reparent(
        actor=world.member, objective=child, parent=None, parent_key_result=key_result
    )
    assert (moved.parent_id, moved.parent_key_result_id) == (objective.pk, key_result.pk)


def test_archive_sets_status_and_bumps_version(world, objective):
    archived = services.objective_archive(actor=world.member, objective=objective)
    assert (archived.status, archived.version) == ("archived", 2)


def test_archived_objective_refuses_edits(world, objective):
    services.objective_archive(actor=world.member, objective=objective)
    with pytest.raises(ObjectiveNotOpen):
        services.objective_update(actor=world.member, objective=objective, title="Zombie")


def test_comment_is_added_with_its_author(world, objective):
    comment = services.objective_comment_add(
        actor=world.member,
        objective=objective,
        body="  Nice  ",
    )
    assert (comment.body, comment.author, comment.workspace) == (
        "Nice",
        world.member.user,
        world.workspace,
    )


def test_viewer_cannot_comment(world, objective):
    with pytest.raises(RoleRequired):
        services.objective_comment_add(actor=world.viewer, objective=objective, body="Hi")


# ---- key results ------------------------------------------------------------------------


def test_numeric_kr_with_target_equal_to_baseline_is_a_field_error(world, objective):
    with pytest.raises(FieldErrors) as caught:
        services.key_result_create(
            actor=world.member, objective=objective, title="Flat", baseline=5, target=5
        )
    assert caught.value.fields == {"target": ["The target must differ from the baseline."]}
    assert not KeyResult.objects.exists()


def test_new_kr_starts_at_its_baseline(world, objective):
    kr = services.key_result_create(
        actor=world.member, objective=objective, title="Cut p95 latency", baseline=800, target=300
    )
    assert (kr.current, kr.direction) == (Decimal("800"), "down")


def test_milestone_kr_keeps_validated_steps(world, objective):
    kr = services.key_result_create(
        actor=world.member,
        objective=objective,
        title="Pass the audit",
        kind="milestone",
        milestones=[{"title": "Scope", "weight": 1}, {"title": "Fieldwork", "weight": 3}],
    )
    assert kr.milestones == [
        {"title": "Scope", "weight": 1.0, "done": False},
        {"title": "Fieldwork", "weight": 3.0, "done": False},
    ]


def test_milestone_step_without_a_title_is_refused(world, objective):
    with pytest.raises(FieldErrors) as caught:
        services.key_result_create(
            actor=world.member,
            objective=objective,
            title="Pass the audit",
            kind="milestone",
            milestones=[{"weight": 1}],
        )
    assert list(caught.value.fields) == ["milestones"]


def test_key_result_update_cannot_make_target_equal_baseline(world, key_result):
    with pytest.raises(FieldErrors):
        services.key_result_update(actor=world.member, key_result=key_result, target=40)
    key_result.refresh_from_db()
    assert (key_result.target, key_result.version) == (Decimal("60"), 1)


def test_key_result_delete_with_a_stale_version_is_refused(world, key_result):
    with pytest.raises(StaleVersion):
        services.key_result_delete(actor=world.member, key_result=key_result, expected_version=7)
    assert KeyResult.objects.filter(pk=key_result.pk).exists()


def test_check_in_appends_and_updates_the_kr(world, key_result):
    check_in = services.key_result_check_in(
        actor=world.member, key_result=key_result, value=50, confidence=8, note="Good week"
    )
    key_result.refresh_from_db()
    assert (key_result.current, key_result.confidence, key_result.version) == (
        Decimal("50"),
        8,
        2,
    )
    assert key_result.last_check_in_at == check_in.created_at
    assert (check_in.value, check_in.author, check_in.note) == (
        Decimal("50"),
        world.member.user,
        "Good week",
    )


def test_a_correction_is_a_new_check_in(world, key_result):
    services.key_result_check_in(actor=world.member, key_result=key_result, value=50)
    services.key_result_check_in(actor=world.member, key_result=key_result, value=45)
    assert list(CheckIn.objects.order_by("id").values_list("value", flat=True)) == [
        Decimal("50"),
        Decimal("45"),
    ]


def test_boolean_check_in_accepts_only_0_or_1(world, objective):
    kr = KeyResultFactory(objective=objective, kind="boolean", baseline=0, target=1, current=0)
    with pytest.raises(FieldErrors) as caught:
        services.key_result_check_in(actor=world.member, key_result=kr, value=2)
    assert list(caught.value.fields) == ["value"]
    assert not CheckIn.objects.exists()


def test_milestone_check_in_marks_steps_done(world, objective):
    kr = services.key_result_create(
        actor=world.member,
        objective=objective,
        title="Pass the audit",
        kind="milestone",
        milestones=[{"title": "Scope", "weight": 1}, {"title": "Fieldwork", "weight": 3}],
    )
    check_in = services.key_result_check_in(actor=world.member, key_result=kr, steps_done=[1])
    kr.refresh_from_db()
    assert [s["done"] for s in kr.milestones] == [False, True]
    assert (kr.current, check_in.steps_done) == (Decimal("0.75"), [1])


def test_check_in_with_a_stale_version_records_nothing(world, key_result):
    with pytest.raises(StaleVersion):
        services.key_result_check_in(
            actor=world.member, key_result=key_result, value=50, expected_version=9
        )
    assert not CheckIn.objects.exists()


def test_confidence_out_of_range_is_refused(world, key_result):
    with pytest.raises(FieldErrors):
        services.key_result_check_in(
            actor=world.member, key_result=key_result, value=50, confidence=11
        )


def test_check_in_event_is_published_only_after_commit(
    world, key_result, django_capture_on_commit_callbacks
):
    seen: list[KeyResultCheckedIn] = []
    events.subscribe(KeyResultCheckedIn, seen.append)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            check_in = services.key_result_check_in(
                actor=world.member, key_result=key_result, value=50
            )
            assert seen == []
    finally:
        events.unsubscribe(KeyResultCheckedIn, seen.append)
    assert seen == [
        KeyResultCheckedIn(
            workspace_id=world.workspace.pk,
            key_result_id=key_result.pk,
            objective_id=key_result.objective_id,
            check_in_id=check_in.pk,
            actor_id=world.member.user_id,
        )
    ]


# ---- closing a period --------------------------------------------------------------------


def test_close_scores_objectives_and_closes_them(world, key_result):
    services.key_result_check_in(actor=world.member, key_result=key_result, value=55)
    services.period_close(actor=world.admin, period=key_result.objective.period)
    objective = Objective.objects.get(pk=key_result.objective_id)
    assert (objective.status, objective.score) == ("closed", Decimal("0.75"))
    assert Period.objects.get(pk=objective.period_id).closed_at is not None


def test_closing_twice_is_refused(world, period):
    services.period_close(actor=world.admin, period=period)
    with pytest.raises(PeriodClosed):
        services.period_close(actor=world.admin, period=period)


def test_carry_over_copies_only_unfinished_krs_from_their_current(world, key_result, next_period):
    done = KeyResultFactory(objective=key_result.objective, baseline=0, target=10, current=10)
    services.key_result_check_in(actor=world.member, key_result=key_result, value=52)
    services.period_close(actor=world.admin, period=key_result.objective.period, carry_over=True)
    copy = Objective.objects.get(period=next_period)
    assert (copy.carried_from_id, copy.status) == (key_result.objective_id, "active")
    carried = list(copy.key_results.values_list("carried_from_id", "baseline", "target"))
    assert carried == [(key_result.pk, Decimal("52"), Decimal("60"))]
    assert not KeyResult.objects.filter(carried_from=done).exists()


def test_carry_over_without_a_next_period_is_refused(world, key_result):
    with pytest.raises(FieldErrors) as caught:
        services.period_close(
            actor=world.admin, period=key_result.objective.period, carry_over=True
        )
    assert list(caught.value.fields) == ["next_period"]
    assert Period.objects.get(pk=key_result.objective.period_id).closed_at is None
    assert Objective.objects.get(pk=key_result.objective_id).status == ObjectiveStatus.ACTIVE


def test_member_cannot_close_a_period(world, period):
    with pytest.raises(RoleRequired):
        services.period_close(actor=world.member, period=period)
