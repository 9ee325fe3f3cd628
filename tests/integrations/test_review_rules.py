"""Review rules: review requested / approved / changes requested / closed without merge, draft,
forced pushes, and the rules page that configures them per team."""

from __future__ import annotations

import pytest
from django.urls import reverse

from alignment.models import AuditEvent
from integrations import review_rules
from integrations.models import DeliveryStatus, ExternalLink, InboundDelivery, LinkKind
from tasks.models import StateCategory, TaskEvent, WorkflowState
from tests.factories.core import TeamFactory
from tests.factories.work import TaskFactory, state_of
from tests.integrations.ci_helpers import payload, send_github, send_gitlab
from tests.integrations.conftest import integration_for


def named(world, name: str) -> WorkflowState:
    return WorkflowState.objects.get(team=world.team, name=name)


def task_in(world, state_name: str = "In Progress"):
    return TaskFactory(team=world.team, state=named(world, state_name))


def pr_event(variant: str, key: str) -> dict:
    data = payload(f"github/{variant}.json")
    data["pull_request"]["title"] = f"{key} Fix the login"
    return data


def review(key: str, state: str) -> dict:
    data = payload("github/pull_request_review__submitted-approved-docs.json")
    data["pull_request"]["title"] = f"{key} Fix the login"
    data["review"]["state"] = state
    return data


def test_review_requested_moves_the_task_to_in_review_with_history(
    world, github, django_capture_on_commit_callbacks
):
    task = task_in(world)
    data = pr_event("pull_request__review_requested-capture", task.key)
    response = send_github(django_capture_on_commit_callbacks, github, "pull_request", data, "r1")
    assert response.status_code == 202
    task.refresh_from_db()
    assert task.state.name == "In Review"
    event = TaskEvent.objects.get(task=task, kind="state")
    assert event.after["via"] == "GitHub pull_request review_requested"
    assert ExternalLink.objects.get().review_state == "review_requested"


def test_a_duplicate_review_requested_delivery_moves_once(
    world, github, django_capture_on_commit_callbacks
):
    task = task_in(world)
    data = pr_event("pull_request__review_requested-capture", task.key)
    send_github(django_capture_on_commit_callbacks, github, "pull_request", data, "r1")
    again = send_github(django_capture_on_commit_callbacks, github, "pull_request", data, "r1")
    assert again.json()["status"] == "already processed"
    assert TaskEvent.objects.filter(task=task, kind="state").count() == 1


def test_approved_is_a_note_by_default_and_a_move_when_chosen(
    world, github, django_capture_on_commit_callbacks
):
    task = task_in(world, "In Review")
    capture = django_capture_on_commit_callbacks
    send_github(capture, github, "pull_request_review", review(task.key, "approved"), "a1")
    task.refresh_from_db()
    assert task.state.name == "In Review"
    assert ExternalLink.objects.get().review_state == "approved"
    rules = review_rules.rules_for(github, world.team)
    github.config = {
        "review_rules": {
            str(world.team.pk): {**rules.as_dict(), "approved": str(named(world, "Done").pk)}
        }
    }
    github.save()
    send_github(capture, github, "pull_request_review", review(task.key, "APPROVED"), "a2")
    task.refresh_from_db()
    assert task.state.name == "Done"


def test_changes_requested_moves_back_to_in_progress(
    world, github, django_capture_on_commit_callbacks
):
    task = task_in(world, "In Review")
    data = review(task.key, "changes_requested")
    send_github(django_capture_on_commit_callbacks, github, "pull_request_review", data, "c1")
    task.refresh_from_db()
    assert task.state.name == "In Progress"
    assert ExternalLink.objects.get().review_state == "changes_requested"


def test_a_commented_review_changes_nothing(world, github, django_capture_on_commit_callbacks):
    task = task_in(world, "In Review")
    data = review(task.key, "commented")
    send_github(django_capture_on_commit_callbacks, github, "pull_request_review", data, "c1")
    task.refresh_from_db()
    assert task.state.name == "In Review"
    assert InboundDelivery.objects.get().status == DeliveryStatus.PROCESSED


@pytest.mark.parametrize(
    ("choice", "expected"),
    [("todo", StateCategory.UNSTARTED), ("stay", StateCategory.STARTED), ("cancel", "canceled")],
)
def test_closed_without_merge_follows_the_teams_choice(
    world, github, django_capture_on_commit_callbacks, choice, expected
):
    rules = review_rules.rules_for(github, world.team).as_dict()
    github.config = {"review_rules": {str(world.team.pk): {**rules, "closed_unmerged": choice}}}
    github.save()
    task = task_in(world)
    data = pr_event("pull_request__closed-unmerged-capture", task.key)
    send_github(django_capture_on_commit_callbacks, github, "pull_request", data, "x1")
    task.refresh_from_db()
    assert task.state_category == expected


def test_closed_without_merge_never_reopens_a_done_task(
    world, github, django_capture_on_commit_callbacks
):
    task = task_in(world, "Done")
    data = pr_event("pull_request__closed-unmerged-capture", task.key)
    send_github(django_capture_on_commit_callbacks, github, "pull_request", data, "x1")
    task.refresh_from_db()
    assert task.state.name == "Done"


def test_converted_to_draft_marks_the_link_draft(world, github, django_capture_on_commit_callbacks):
    task = task_in(world)
    data = pr_event("pull_request__converted_to_draft", task.key)
    send_github(django_capture_on_commit_callbacks, github, "pull_request", data, "d1")
    assert ExternalLink.objects.get().state == "draft"
    task.refresh_from_db()
    assert task.state.name == "In Progress"


def test_back_to_draft_from_in_review_returns_to_in_progress(
    world, github, django_capture_on_commit_callbacks
):
    task = task_in(world, "In Review")
    data = pr_event("pull_request__converted_to_draft", task.key)
    send_github(django_capture_on_commit_callbacks, github, "pull_request", data, "d1")
    task.refresh_from_db()
    assert task.state.name == "In Progress"


def test_ready_for_review_with_reviewers_moves_to_in_review(
    world, github, django_capture_on_commit_callbacks
):
    task = task_in(world, "Todo")
    data = pr_event("pull_request__ready_for_review", task.key)
    assert data["pull_request"]["requested_reviewers"]  # the payload asks octocat
    send_github(django_capture_on_commit_callbacks, github, "pull_request", data, "r1")
    task.refresh_from_db()
    assert task.state.name == "In Review"
    assert ExternalLink.objects.get().state == "open"


@pytest.mark.parametrize("action", ["assigned", "labeled"])
def test_assigned_and_labeled_refresh_the_link_and_move_nothing(
    world, github, django_capture_on_commit_callbacks, action
):
    task = task_in(world)
    data = pr_event("pull_request__opened", task.key)
    data["action"] = action
    data["pull_request"]["title"] = f"{task.key} Renamed"
    send_github(django_capture_on_commit_callbacks, github, "pull_request", data, f"{action}-1")
    link = ExternalLink.objects.get()
    assert link.title.endswith(f"{task.key} Renamed")
    task.refresh_from_db()
    assert task.state.name == "In Progress"
    assert not TaskEvent.objects.filter(task=task, kind="state").exists()


# --- GitLab -------------------------------------------------------------------------------


def mr_event(variant: str, key: str) -> dict:
    data = payload(f"gitlab/{variant}.json")
    data["object_attributes"]["title"] = f"{key} Fix the login"
    return data


def test_gitlab_reviewer_added_moves_to_in_review(
    world, gitlab, django_capture_on_commit_callbacks
):
    task = task_in(world)
    data = mr_event("merge_request_hook__review_request_removed", task.key)
    change = data["changes"]["reviewers"]
    # The capture removes a reviewer; the same shape the other way round adds one.
    change["previous"], change["current"] = change["current"], change["previous"]
    send_gitlab(django_capture_on_commit_callbacks, gitlab, "Merge Request Hook", data, "g1")
    task.refresh_from_db()
    assert task.state.name == "In Review"
    history = TaskEvent.objects.get(task=task, kind="state")
    assert history.after["via"] == "GitLab Merge Request Hook update"


def test_gitlab_reviewer_removed_changes_nothing(world, gitlab, django_capture_on_commit_callbacks):
    task = task_in(world)
    data = mr_event("merge_request_hook__review_request_removed", task.key)
    send_gitlab(django_capture_on_commit_callbacks, gitlab, "Merge Request Hook", data, "g1")
    task.refresh_from_db()
    assert task.state.name == "In Progress"


def test_gitlab_approval_is_noted_and_unapproval_clears_it(
    world, gitlab, django_capture_on_commit_callbacks
):
    task = task_in(world, "In Review")
    capture = django_capture_on_commit_callbacks
    data = mr_event("merge_request_hook__approval", task.key)
    send_gitlab(capture, gitlab, "Merge Request Hook", data, "g1")
    assert ExternalLink.objects.get().review_state == "approved"
    data["object_attributes"]["action"] = "unapproved"
    send_gitlab(capture, gitlab, "Merge Request Hook", data, "g2")
    assert ExternalLink.objects.get().review_state == ""
    task.refresh_from_db()
    assert task.state.name == "In Review"


def test_gitlab_closed_mr_moves_back_to_todo(world, gitlab, django_capture_on_commit_callbacks):
    task = task_in(world)
    data = mr_event("merge_request_hook__closed", task.key)
    send_gitlab(django_capture_on_commit_callbacks, gitlab, "Merge Request Hook", data, "g1")
    task.refresh_from_db()
    assert task.state == state_of(world.team, StateCategory.UNSTARTED)


# --- Forced pushes ------------------------------------------------------------------------


def test_a_forced_push_drops_the_commits_it_rewrote(
    world, github, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    data = payload("github/push__force_1_commit-fork.json")
    data["forced"] = False
    old = dict(data["commits"][0], id="a" * 40, message="ENG-1 first try")
    data["commits"] = [old]
    data["after"] = old["id"]
    send_github(capture, github, "push", data, "p1")
    assert ExternalLink.objects.filter(kind=LinkKind.COMMIT).count() == 1
    forced = payload("github/push__force_1_commit-fork.json")
    forced["before"] = old["id"]
    forced["commits"][0]["message"] = "ENG-1 the rewritten fix"
    send_github(capture, github, "push", forced, "p2")
    links = ExternalLink.objects.filter(kind=LinkKind.COMMIT)
    assert [link.external_id for link in links] == [forced["commits"][0]["id"]]


# --- The rules page -----------------------------------------------------------------------


def rules_url(world, integration) -> str:
    return reverse(
        "integrations:review_rules",
        kwargs={"slug": world.workspace.slug, "integration_id": integration.pk},
    )


def form_data(world, **changes) -> dict[str, str]:
    prefix = f"team_{world.team.pk}_"
    data = {f"{prefix}{k}": v for k, v in review_rules.default_rules(world.team).as_dict().items()}
    data.update({f"{prefix}{k}": v for k, v in changes.items()})
    return data


def test_the_page_shows_each_teams_defaults(world, github, admin_client):
    page = admin_client.get(rules_url(world, github))
    assert page.status_code == 200
    html = page.content.decode()
    in_review = named(world, "In Review")
    assert f'<option value="{in_review.pk}" selected>In Review</option>' in html
    assert '<option value="todo" selected>' in html


def test_saving_valid_rules_stores_them_and_they_apply(
    world, github, admin_client, django_capture_on_commit_callbacks
):
    response = admin_client.post(rules_url(world, github), form_data(world, closed_unmerged="stay"))
    assert response.status_code == 303
    github.refresh_from_db()
    assert github.config["review_rules"][str(world.team.pk)]["closed_unmerged"] == "stay"
    task = task_in(world)
    data = pr_event("pull_request__closed-unmerged-capture", task.key)
    send_github(django_capture_on_commit_callbacks, github, "pull_request", data, "x1")
    task.refresh_from_db()
    assert task.state.name == "In Progress"


def test_owners_may_save_and_the_change_is_audited(world, github, owner_client):
    response = owner_client.post(rules_url(world, github), form_data(world, approved=""))
    assert response.status_code == 303
    event = AuditEvent.objects.get(verb="integration.review_rules_updated")
    assert event.after["review_rules"][str(world.team.pk)]["closed_unmerged"] == "todo"


def test_the_integration_page_links_to_its_review_rules(world, github, admin_client):
    page = admin_client.get(
        reverse(
            "integrations:integration_edit",
            kwargs={"slug": world.workspace.slug, "integration_id": github.pk},
        )
    )
    assert rules_url(world, github) in page.content.decode()


def test_another_teams_state_is_refused_with_a_message(world, github, admin_client):
    other = TeamFactory(workspace=world.workspace, name="Ops", key="OPS")
    foreign = WorkflowState.objects.filter(team=other).first()
    response = admin_client.post(
        rules_url(world, github), form_data(world, review_requested=str(foreign.pk))
    )
    assert response.status_code == 422
    assert "Select a valid choice" in response.content.decode()
    github.refresh_from_db()
    assert "review_rules" not in github.config


def test_an_unknown_closed_choice_is_refused(world, github, admin_client):
    response = admin_client.post(rules_url(world, github), form_data(world, closed_unmerged="nuke"))
    assert response.status_code == 422


def test_members_cannot_see_or_save_the_rules(world, github, member_client):
    assert member_client.get(rules_url(world, github)).status_code == 403
    assert member_client.post(rules_url(world, github), form_data(world)).status_code == 403


def test_slack_integrations_have_no_review_rules(world, admin_client):
    slack = integration_for(world, "slack", "s" * 32)
    assert admin_client.get(rules_url(world, slack)).status_code == 404


def test_clean_team_rules_refuses_foreign_states(world):
    other = TeamFactory(workspace=world.workspace, name="Ops", key="OPS")
    foreign = WorkflowState.objects.filter(team=other).first()
    with pytest.raises(review_rules.FieldErrors):
        review_rules.clean_team_rules(
            world.team, {"approved": str(foreign.pk), "closed_unmerged": "todo"}
        )
