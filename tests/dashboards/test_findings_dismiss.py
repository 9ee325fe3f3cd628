"""Dismissing and snoozing findings with a reason: audited, kept across refreshes while the
cause persists, listed with who and why, undone; in pages (htmx) and the API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from alignment.errors import FieldErrors
from alignment.models import AuditEvent
from dashboards import dismissals, drift, rollups
from dashboards.findings import grouped
from dashboards.models import Finding, FindingDismissal
from okrs.models import ObjectiveStatus
from tests.dashboards.conftest import Plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def lonely(plan: Plan) -> Finding:
    """The team objective with nothing linked: a finding whose cause the test controls."""
    rollups.recompute_all(plan.world.workspace)
    drift.refresh_findings(plan.world.workspace)
    return Finding.objects.get(
        workspace=plan.world.workspace,
        code="objective_without_work",
        subject_id=plan.team_objective.pk,
    )


def visible_ids(plan: Plan, today) -> set[int]:
    return {f.pk for f in grouped(plan.world.workspace, today=today, per_group=None).stored}


def api(plan: Plan, path: str) -> str:
    return f"/api/v1/workspaces/{plan.world.workspace.slug}/findings/{path}"


def test_a_dismissal_needs_a_reason_and_changes_nothing_without_one(plan: Plan, lonely: Finding):
    for reason in ("", "   ", None):
        with pytest.raises(FieldErrors) as refused:
            dismissals.finding_dismiss(actor=plan.world.member, finding=lonely, reason=reason)
        assert "reason" in refused.value.fields
    assert not FindingDismissal.objects.exists()
    assert not AuditEvent.objects.filter(verb__startswith="finding.").exists()


def test_a_dismissed_finding_stays_hidden_across_refreshes_and_is_audited(
    plan: Plan, lonely: Finding, today
):
    dismissals.finding_dismiss(
        actor=plan.world.member, finding=lonely, reason="  Owned by the platform roadmap  "
    )
    drift.refresh_findings(plan.world.workspace)
    drift.refresh_findings(plan.world.workspace)

    assert lonely.pk not in visible_ids(plan, today)
    [event] = AuditEvent.objects.filter(verb="finding.dismissed")
    assert event.actor == plan.world.member.user
    assert event.after["reason"] == "Owned by the platform roadmap"
    assert event.after["subject_id"] == plan.team_objective.pk


def test_a_dismissal_lapses_when_its_cause_is_gone(plan: Plan, lonely: Finding, today):
    dismissals.finding_dismiss(actor=plan.world.member, finding=lonely, reason="Not this quarter")
    plan.team_objective.status = ObjectiveStatus.CLOSED
    plan.team_objective.save()
    drift.refresh_findings(plan.world.workspace)
    assert not FindingDismissal.objects.exists()

    # The same cause coming back later is shown again.
    plan.team_objective.status = ObjectiveStatus.ACTIVE
    plan.team_objective.save()
    drift.refresh_findings(plan.world.workspace)
    [back] = Finding.objects.filter(code="objective_without_work")
    assert back.pk in visible_ids(plan, today)


def test_a_snooze_hides_until_its_day_and_then_the_finding_returns(
    plan: Plan, lonely: Finding, today
):
    until = today + timedelta(days=3)
    dismissals.finding_snooze(
        actor=plan.world.member,
        finding=lonely,
        reason="After the offsite",
        until=until,
        today=today,
    )
    assert lonely.pk not in visible_ids(plan, today + timedelta(days=2))
    assert lonely.pk in visible_ids(plan, until)
    assert AuditEvent.objects.filter(verb="finding.snoozed").count() == 1


@pytest.mark.parametrize(
    ("days", "message"), [(0, "after today"), (-1, "after today"), (400, "a year at most")]
)
def test_a_snooze_must_end_after_today_and_within_a_year(
    plan: Plan, lonely: Finding, today, days: int, message: str
):
    with pytest.raises(FieldErrors) as refused:
        dismissals.finding_snooze(
            actor=plan.world.member,
            finding=lonely,
            reason="Later",
            until=today + timedelta(days=days),
            today=today,
        )
    assert message in refused.value.fields["until"][0]
    assert not FindingDismissal.objects.exists()


def test_restoring_shows_the_finding_again_and_is_audited(plan: Plan, lonely: Finding, today):
    dismissals.finding_dismiss(actor=plan.world.member, finding=lonely, reason="Not now")
    dismissals.finding_restore(actor=plan.world.admin, finding=lonely)
    assert lonely.pk in visible_ids(plan, today)
    assert AuditEvent.objects.get(verb="finding.restored").actor == plan.world.admin.user
    with pytest.raises(dismissals.FindingNotDismissed):
        dismissals.finding_restore(actor=plan.world.admin, finding=lonely)


# --- Pages -----------------------------------------------------------------------------------


def test_a_member_dismisses_from_the_dashboard_with_htmx_and_can_undo(
    plan: Plan, lonely: Finding, member_client
):
    slug = plan.world.workspace.slug
    url = reverse("dashboards:finding_dismiss", args=[slug, lonely.pk])

    response = member_client.post(url, {"reason": "Covered by Q3 plan"}, HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert response.status_code == 200
    assert f'id="finding-{lonely.pk}"' in html
    assert "Dismissed: “Covered by Q3 plan”." in html
    assert reverse("dashboards:finding_restore", args=[slug, lonely.pk]) in html
    leader = member_client.get(reverse("dashboards:leader", args=[slug])).content.decode()
    assert f'id="finding-{lonely.pk}"' not in leader
    assert "1 dismissed or snoozed" in leader


def test_a_dismiss_without_a_reason_says_what_is_missing(
    plan: Plan, lonely: Finding, member_client
):
    url = reverse("dashboards:finding_dismiss", args=[plan.world.workspace.slug, lonely.pk])
    response = member_client.post(url, {"reason": " "}, HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    assert "A reason is required to dismiss or snooze a finding." in response.content.decode()
    assert not FindingDismissal.objects.exists()


def test_a_viewer_sees_no_dismiss_controls_and_cannot_dismiss(
    plan: Plan, lonely: Finding, viewer_client
):
    slug = plan.world.workspace.slug
    leader = viewer_client.get(reverse("dashboards:leader", args=[slug])).content.decode()
    assert f'id="finding-{lonely.pk}"' in leader
    assert "Dismiss or snooze" not in leader
    url = reverse("dashboards:finding_dismiss", args=[slug, lonely.pk])
    assert viewer_client.post(url, {"reason": "Mine"}).status_code == 403
    assert not FindingDismissal.objects.exists()


def test_the_dismissed_page_lists_who_and_why_and_undoes(
    plan: Plan, lonely: Finding, member_client, today
):
    slug = plan.world.workspace.slug
    snooze = reverse("dashboards:finding_snooze", args=[slug, lonely.pk])
    until = (today + timedelta(days=5)).isoformat()
    response = member_client.post(snooze, {"reason": "After the launch", "until": until})
    assert response.status_code == 303

    page = member_client.get(reverse("dashboards:findings_dismissed", args=[slug]))

    html = page.content.decode()
    assert f"Snoozed until {until} by" in html
    assert "“After the launch”" in html
    assert "Faster onboarding" in html  # the finding's subject, linked
    restore = reverse("dashboards:finding_restore", args=[slug, lonely.pk])
    assert restore in html
    back = member_client.post(
        restore, {"next": reverse("dashboards:findings_dismissed", args=[slug])}
    )
    assert back.status_code == 303
    assert back["Location"] == reverse("dashboards:findings_dismissed", args=[slug])
    assert not FindingDismissal.objects.exists()


# --- API -------------------------------------------------------------------------------------


def test_the_api_lists_findings_ranked_with_links_and_paginates(plan: Plan, viewer_api):
    from tests.factories.okrs import ObjectiveFactory

    for n in range(3):
        ObjectiveFactory(period=plan.period, team=plan.team, title=f"Goal {n}")
    ObjectiveFactory(period=plan.period, level="company", team=None, title="Enter Japan")
    rollups.recompute_all(plan.world.workspace)
    drift.refresh_findings(plan.world.workspace)

    first = viewer_api.get(api(plan, "?code=objective_without_work&page_size=2")).json()
    second = viewer_api.get(first["next"]).json()

    rows = first["results"] + second["results"]
    assert [r["rank"] for r in rows] == [1, 2, 3, 4]
    assert [r["impact"] for r in rows] == sorted((r["impact"] for r in rows), reverse=True)
    assert rows[0]["level"] == "company"
    assert rows[0]["title"] == "No work linked"
    assert rows[0]["sentence"].startswith("“Enter Japan” has no roadmap work linked")
    [link] = rows[0]["links"]
    assert (link["kind"], link["label"]) == ("objective", "Enter Japan")
    assert link["url"].startswith("http://testserver/w/")
    assert "as_of" in first


def test_the_api_groups_and_orderings(plan: Plan, lonely: Finding, viewer_api):
    groups = viewer_api.get(api(plan, "groups/")).json()
    assert {"code": "objective_without_work", "title": "No work linked"}.items() <= next(
        g for g in groups if g["code"] == "objective_without_work"
    ).items()
    by_code = viewer_api.get(api(plan, "?ordering=code")).json()["results"]
    assert [r["code"] for r in by_code] == sorted(r["code"] for r in by_code)
    bad = viewer_api.get(api(plan, "?ordering=title"))
    assert bad.status_code == 400
    assert bad.json()["error"]["fields"] == {
        "ordering": ["Use one of: -impact, code, -computed_at."]
    }
    newest = viewer_api.get(api(plan, "?ordering=-computed_at")).json()["results"]
    assert [r["id"] for r in newest] == [
        r["id"] for r in sorted(newest, key=lambda r: (r["computed_at"], r["id"]), reverse=True)
    ]


def test_the_api_dismisses_snoozes_and_restores(plan: Plan, lonely: Finding, member_api, today):
    refused = member_api.post(
        api(plan, f"{lonely.pk}/dismiss/"), {}, content_type="application/json"
    )
    assert refused.status_code == 422
    assert "reason" in refused.json()["error"]["fields"]

    done = member_api.post(
        api(plan, f"{lonely.pk}/dismiss/"),
        {"reason": "Planned for Q3"},
        content_type="application/json",
    )
    assert done.status_code == 200
    assert done.json()["dismissal"]["reason"] == "Planned for Q3"
    assert done.json()["rank"] is None
    listed = member_api.get(api(plan, "?state=dismissed")).json()["results"]
    assert [r["id"] for r in listed] == [lonely.pk]
    assert lonely.pk not in [r["id"] for r in member_api.get(api(plan, "")).json()["results"]]

    assert member_api.delete(api(plan, f"{lonely.pk}/dismiss/")).status_code == 204
    again = member_api.delete(api(plan, f"{lonely.pk}/dismiss/"))
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "finding_not_dismissed"

    until = (today + timedelta(days=2)).isoformat()
    snoozed = member_api.post(
        api(plan, f"{lonely.pk}/snooze/"),
        {"reason": "After launch", "until": until},
        content_type="application/json",
    )
    assert snoozed.json()["dismissal"]["until"] == until
    past = member_api.post(
        api(plan, f"{lonely.pk}/snooze/"),
        {"reason": "After launch", "until": (today - timedelta(days=1)).isoformat()},
        content_type="application/json",
    )
    assert past.status_code == 422
    assert FindingDismissal.objects.get().until.isoformat() == until  # unchanged by the refusal


def test_a_viewer_cannot_dismiss_through_the_api(plan: Plan, lonely: Finding, viewer_api):
    response = viewer_api.post(
        api(plan, f"{lonely.pk}/dismiss/"), {"reason": "x"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert not FindingDismissal.objects.exists()
