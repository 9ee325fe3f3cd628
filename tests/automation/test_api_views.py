"""The rules API and pages: viewers read, admins write, bad input is a clear 4xx."""

from __future__ import annotations

from alignment.models import AuditEvent
from automation.models import Rule, RunStatus, Trigger
from tasks import services as task_services
from tasks.models import TaskComment, WorkflowState
from tests.conftest import api_client_for, client_for
from tests.factories.core import WorkspaceFactory
from tests.factories.okrs import KeyResultFactory, PeriodFactory

BASE = "/api/v1/workspaces/acme-inc/automation"


def test_admin_builds_dry_runs_and_enables_a_rule_over_the_api(
    world, django_capture_on_commit_callbacks
):
    api = api_client_for(world.admin)
    body = {
        "name": "Comment on new tasks",
        "trigger": "task.created",
        "team": "ENG",
        "conditions": [{"kind": "field", "field": "title", "op": "contains", "value": "bug"}],
        "actions": [{"kind": "comment", "text": "Thanks for {task}"}],
    }
    created = api.post(f"{BASE}/rules/", body, content_type="application/json")
    assert created.status_code == 201, created.content
    rule_id = created.json()["id"]
    assert created.json()["enabled"] is False
    assert created.json()["team"] == "ENG"
    dry = api.post(f"{BASE}/rules/{rule_id}/dry-run/", {"days": 7}, content_type="application/json")
    assert dry.status_code == 200
    assert dry.json()["run"]["status"] == RunStatus.DRY_RUN
    on = api.patch(f"{BASE}/rules/{rule_id}/", {"enabled": True}, content_type="application/json")
    assert on.json()["enabled"] is True
    with django_capture_on_commit_callbacks(execute=True):
        task = task_services.task_create(actor=world.member, team=world.team, title="bug!")
    assert TaskComment.objects.get(task=task).body == f"Thanks for {task.key}"
    runs = api.get(f"{BASE}/rules/{rule_id}/runs/").json()
    assert [r["status"] for r in runs] == ["applied", "dry_run"]
    assert AuditEvent.objects.filter(verb="automation.rule_enabled").exists()


def test_templates_and_catalog(world):
    api = api_client_for(world.admin)
    made = api.post(
        f"{BASE}/rules/", {"template": "pr-merged-done"}, content_type="application/json"
    )
    assert made.status_code == 201
    assert made.json()["trigger"] == Trigger.PR_MERGED
    catalog = api.get(f"{BASE}/catalog/").json()
    assert "check-failed-comment-notify" in catalog["templates"]


def test_bad_rules_are_4xx_with_a_message(world):
    api = api_client_for(world.admin)
    bad = api.post(
        f"{BASE}/rules/",
        {"name": "x", "trigger": "task.created", "actions": [{"kind": "explode"}]},
        content_type="application/json",
    )
    assert bad.status_code in (400, 422)
    assert "actions" in str(bad.json())
    no_team = api.post(
        f"{BASE}/rules/",
        {"name": "x", "trigger": "task.created", "team": "NOPE", "actions": []},
        content_type="application/json",
    )
    assert no_team.status_code == 400


def test_viewers_read_but_cannot_write(world):
    rule = Rule.objects.create(
        workspace=world.workspace,
        name="Existing",
        trigger=Trigger.TASK_CREATED,
        actions=[{"kind": "comment", "text": "hi"}],
    )
    viewer_api = api_client_for(world.viewer, scope="write")
    assert viewer_api.get(f"{BASE}/rules/").status_code == 200
    denied = viewer_api.patch(
        f"{BASE}/rules/{rule.pk}/", {"enabled": True}, content_type="application/json"
    )
    assert denied.status_code == 403
    member_api = api_client_for(world.member)
    assert member_api.post(f"{BASE}/rules/{rule.pk}/dry-run/").status_code == 403

    page = client_for(world.viewer.user).get("/w/acme-inc/settings/automation/")
    assert page.status_code == 200
    assert b"Existing" in page.content
    assert b'id="new-rule"' not in page.content  # no form for viewers
    detail = client_for(world.viewer.user).get(f"/w/acme-inc/settings/automation/{rule.pk}/")
    assert b'id="edit-rule"' not in detail.content
    assert b'id="dry-run"' not in detail.content
    post = client_for(world.viewer.user).post(
        "/w/acme-inc/settings/automation/", {"template": "pr-merged-done"}
    )
    assert post.status_code == 403


def test_admin_builds_a_rule_in_the_form(world):
    admin = client_for(world.admin.user)
    page = admin.get("/w/acme-inc/settings/automation/")
    assert b'id="new-rule"' in page.content
    assert b'name="act-0-kind"' in page.content  # a rule needs an action: its row is there
    answer = admin.post(
        "/w/acme-inc/settings/automation/",
        {
            "name": "Label bugs",
            "trigger": "task.created",
            "cond-3-kind": "field",
            "cond-3-field": "title",
            "cond-3-op": "contains",
            "cond-3-value": "bug",
            "act-4-kind": "add_label",
            "act-4-label": "bug",
            "act-7-kind": "comment",
            "act-7-text": "Triaged {task}",
            "act-9-kind": "",  # a blank row: skipped
        },
    )
    assert answer.status_code == 303
    rule = Rule.objects.get(name="Label bugs")
    assert rule.conditions == [
        {"kind": "field", "field": "title", "op": "contains", "value": "bug"}
    ]
    assert rule.actions == [
        {"kind": "add_label", "label": "bug"},
        {"kind": "comment", "text": "Triaged {task}"},
    ]
    # The edit form shows each stored row with its pickers set.
    edit = admin.get(f"/w/acme-inc/settings/automation/{rule.pk}/").content.decode()
    assert '<option value="title" selected>Title</option>' in edit
    assert 'name="act-1-text" id="id_act-1-text" value="Triaged {task}"' in edit


def test_the_form_says_what_is_wrong_on_each_row(world):
    admin = client_for(world.admin.user)
    other = WorkspaceFactory(slug="other-inc")
    foreign_kr = KeyResultFactory(objective__period=PeriodFactory(workspace=other))
    bad = admin.post(
        "/w/acme-inc/settings/automation/",
        {
            "name": "Broken",
            "trigger": "task.created",
            "cond-0-kind": "kr",
            "cond-0-value": str(foreign_kr.pk),
            "cond-1-kind": "label",
            "cond-1-op": "has",
            "cond-1-value": "",
            "act-0-kind": "set_state",
            "act-0-state": "Nowhere",
            "act-1-kind": "comment",
            "act-1-text": "fine",
            "act-2-kind": "teleport",
        },
    )
    assert bad.status_code == 422
    html = bad.content.decode()
    # A key result of another workspace is refused by name, never stored.
    assert f'id="cond-0-error" role="alert">No key result “{foreign_kr.pk}” here.' in html
    assert 'id="cond-1-error" role="alert">a value is needed.' in html
    assert 'id="act-0-error" role="alert">No state “Nowhere” here.' in html
    assert 'id="act-1-error"' not in html
    assert 'id="act-2-error" role="alert">kind must be one of' in html
    assert "Fix condition 1, 2 (marked below)." in html
    assert not Rule.objects.filter(name="Broken").exists()


def test_adding_a_row_without_javascript_redraws_the_form(world):
    admin = client_for(world.admin.user)
    answer = admin.post(
        "/w/acme-inc/settings/automation/",
        {
            "name": "Half built",
            "trigger": "task.created",
            "act-0-kind": "comment",
            "add": "condition",
        },
    )
    assert answer.status_code == 200
    html = answer.content.decode()
    assert 'name="cond-1-kind"' in html  # the new blank row, numbered after the others
    assert 'name="act-0-text"' in html
    assert not Rule.objects.exists()


def test_a_row_redraws_for_its_kind_and_field(world):
    admin = client_for(world.admin.user)
    row = admin.get(
        "/w/acme-inc/settings/automation/",
        {
            "row": "condition",
            "index": "5",
            "number": "2",
            "cond-5-kind": "field",
            "cond-5-field": "state",
        },
        HTTP_HX_REQUEST="true",
    )
    html = row.content.decode()
    assert 'id="cond-5-row"' in html
    states = WorkflowState.objects.filter(team=world.team).values_list("name", flat=True)
    assert states
    for name in states:
        assert f'<option value="{name}">{name}</option>' in html
    assert '<select name="cond-5-value"' in html
    viewer = client_for(world.viewer.user).get(
        "/w/acme-inc/settings/automation/",
        {"row": "condition", "index": "0"},
        HTTP_HX_REQUEST="true",
    )
    assert viewer.status_code == 403
