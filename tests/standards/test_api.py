"""The standards API, and the tasks API's 409 with the failing checks."""

from __future__ import annotations

from alignment.models import AuditEvent
from standards.models import Adoption, Standard
from tasks.models import StateCategory, Task
from tests.standards.conftest import link_pr, state

BASE = "/api/v1/workspaces/acme-inc"


def test_a_refused_transition_answers_409_with_the_failing_checks(
    world, member_api, done_standard, task
):
    response = member_api.post(
        f"{BASE}/tasks/{task.key}/transition/",
        {"state": state(world.team, StateCategory.DONE).pk},
        content_type="application/json",
    )
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "standard_not_met"
    assert error["message"] == (
        f"{task.key} cannot enter Done: Definition of Done fails: Estimate present, "
        "Linked pull request merged."
    )
    assert error["details"]["failing"] == [
        {
            "standard": "definition-of-done",
            "standard_name": "Definition of Done",
            "kind": "estimate_present",
            "check": "Estimate present",
            "message": "The task has no estimate.",
            "fix": "Add an estimate",
            "fix_url": f"/w/acme-inc/tasks/{task.key}/edit/#id_estimate",
        },
        {
            "standard": "definition-of-done",
            "standard_name": "Definition of Done",
            "kind": "pr_merged",
            "check": "Linked pull request merged",
            "message": "No pull request is linked to the task.",
            "fix": "Link a pull request (name the task key in it)",
            "fix_url": f"/w/acme-inc/tasks/{task.key}/#links",
        },
    ]
    assert Task.objects.get(pk=task.pk).state_category == StateCategory.STARTED


def test_a_patch_into_done_is_gated_too(world, member_api, done_standard, task):
    response = member_api.patch(
        f"{BASE}/tasks/{task.key}/",
        {"state": state(world.team, StateCategory.DONE).pk},
        content_type="application/json",
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "standard_not_met"


def test_the_task_standards_endpoint_lists_every_check(world, viewer_api, done_standard, task):
    link_pr(task, state="merged")
    body = viewer_api.get(f"{BASE}/tasks/{task.key}/standards/").json()
    assert body["next_gate"] == "done"
    [dod] = body["standards"]
    assert (dod["standard"], dod["ok"]) == ("definition-of-done", False)
    assert [(c["kind"], c["ok"]) for c in dod["checks"]] == [
        ("estimate_present", False),
        ("pr_merged", True),
    ]


def test_admins_add_a_template_and_adopt_it(world, admin_api):
    created = admin_api.post(
        f"{BASE}/standards/from-template/",
        {"template": "definition-of-ready"},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    adopted = admin_api.post(
        f"{BASE}/standards/{pk}/adopt/", {"team": world.team.pk}, content_type="application/json"
    )
    assert adopted.status_code == 200
    assert adopted.json()["adopted_by"] == [
        {"team": "ENG", "waived": False, "waiver_reason": "", "waived_at": None}
    ]


def test_a_waiver_needs_a_reason(world, admin_api, done_standard):
    url = f"{BASE}/standards/{done_standard.pk}/waive/"
    refused = admin_api.post(
        url, {"team": world.team.pk, "reason": "no"}, content_type="application/json"
    )
    assert refused.status_code == 422
    assert refused.json()["error"]["fields"]["reason"]
    assert not Adoption.objects.get().is_waived
    ok = admin_api.post(
        url,
        {"team": world.team.pk, "reason": "Incident week: hotfixes only."},
        content_type="application/json",
    )
    assert ok.status_code == 200
    assert AuditEvent.objects.filter(verb="standard.waived").count() == 1


def test_members_and_viewers_read_but_cannot_edit(world, member_api, viewer_api, done_standard):
    assert viewer_api.get(f"{BASE}/standards/").status_code == 200
    response = member_api.patch(
        f"{BASE}/standards/{done_standard.pk}/", {"mode": "warn"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert Standard.objects.get().mode == "block"


def test_admins_switch_a_standard_to_warn(world, admin_api, done_standard):
    response = admin_api.patch(
        f"{BASE}/standards/{done_standard.pk}/", {"mode": "warn"}, content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json()["mode"] == "warn"


def test_bad_checks_are_a_422_with_a_message(world, admin_api):
    response = admin_api.post(
        f"{BASE}/standards/",
        {"name": "Odd", "gate": "done", "checks": "estimate"},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert (
        "Unknown check" in response.json()["error"]["message"]
        or response.json()["error"]["fields"]["checks"]
    )


def test_compliance_counts_met_and_slipped(world, viewer_api, done_standard, task):
    from standards import services as standard_services
    from tasks import services as task_services
    from tests.standards.conftest import state

    standard_services.standard_update(actor=world.admin, standard=done_standard, mode="warn")
    task_services.task_transition(actor=world.member, task=task, to_state=state(world.team, "done"))
    [row] = viewer_api.get(f"{BASE}/standards/compliance/").json()
    assert (row["team"], row["standard"], row["met"], row["slipped"], row["share"]) == (
        "ENG",
        "definition-of-done",
        0,
        1,
        0.0,
    )
