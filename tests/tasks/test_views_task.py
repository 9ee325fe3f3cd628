"""Task page (alignment line, aliases), edit with versions, new task with the duplicate
warning, comments, merge, my work and search."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from alignment.models import Team
from okrs.models import Objective
from tasks import services
from tasks.models import DuplicateDismissal, Task, TaskAlias, TaskComment
from tests.conftest import World
from tests.factories.work import (
    KeyResultLinkFactory,
    RoadmapItemFactory,
    TaskFactory,
    key_result_in,
)

HTMX = {"HTTP_HX_REQUEST": "true"}


def task_url(world: World, key: str, name: str = "task") -> str:
    return reverse(f"tasks:{name}", kwargs={"slug": world.workspace.slug, "key": key})


@pytest.fixture
def aligned_task(world: World, team: Team) -> Task:
    """A task → item → KR "Cut churn" → objective → a company objective above it."""
    key_result = key_result_in(world.workspace, "Cut churn")
    objective = key_result.objective
    company = Objective.objects.create(
        workspace=world.workspace,
        period=objective.period,
        title="Grow revenue",
        level="company",
    )
    objective.parent = company
    objective.save()
    item = RoadmapItemFactory(roadmap__workspace=world.workspace, title="Self-serve billing")
    KeyResultLinkFactory(item=item, key_result=key_result)
    return TaskFactory(team=team, roadmap_item=item, title="Add the invoice page")


def test_task_page_shows_the_line_up_to_the_parent_objective(member_client, world, aligned_task):
    response = member_client.get(task_url(world, aligned_task.key))

    assert response.status_code == 200
    html = response.content.decode()
    line = html[html.index('id="alignment-line"') : html.index('id="description"')]
    order = [
        line.index(t)
        for t in ("Self-serve billing", "Cut churn", "Objective of Cut churn", "Grow revenue")
    ]
    assert order == sorted(order)
    objective = Objective.objects.get(title="Grow revenue")
    assert f'href="/w/{world.workspace.slug}/okrs/objectives/{objective.pk}/"' in line


def test_an_unaligned_task_says_so_and_offers_a_roadmap_item(member_client, world, team):
    task = TaskFactory(team=team)
    item = RoadmapItemFactory(roadmap__workspace=world.workspace, title="Onboarding revamp")

    html = member_client.get(task_url(world, task.key)).content.decode()

    assert "Unaligned work." in html
    assert f'<option value="{item.pk}">' in html


def test_linking_an_unaligned_task_answers_the_new_line(member_client, world, team):
    task = TaskFactory(team=team)
    item = RoadmapItemFactory(roadmap__workspace=world.workspace)
    KeyResultLinkFactory(item=item)

    response = member_client.post(
        task_url(world, task.key, "align"),
        {"roadmap_item": item.pk, "version": task.version},
        **HTMX,
    )

    assert response.status_code == 200
    assert "Cut churn" in response.content.decode()
    task.refresh_from_db()
    assert task.roadmap_item_id == item.pk


def test_linking_to_another_workspaces_item_is_refused(member_client, world, world_b, team):
    task = TaskFactory(team=team)
    theirs = RoadmapItemFactory(roadmap__workspace=world_b.workspace)

    response = member_client.post(
        task_url(world, task.key, "align"), {"roadmap_item": theirs.pk, "version": 1}, **HTMX
    )

    assert response.status_code == 422
    task.refresh_from_db()
    assert task.roadmap_item_id is None


def test_an_old_key_redirects_to_the_current_one(member_client, world, team, other_team):
    task = TaskFactory(team=team)
    old_key = task.key
    services.task_move_to_team(actor=world.member, task=task, team=other_team)

    response = member_client.get(task_url(world, old_key))

    assert response.status_code == 302
    assert response["Location"] == task_url(world, f"DES-{task.number}")
    assert TaskAlias.objects.filter(task=task).count() == 1


def test_another_workspaces_task_key_is_404(member_client, world, world_b):
    theirs = TaskFactory(team=world_b.team)  # ENG-1 there; team key ENG exists here too

    response = member_client.get(task_url(world, theirs.key))

    assert response.status_code == 404


def test_description_markdown_is_sanitized(member_client, world, team):
    task = TaskFactory(team=team)
    services.task_update(
        actor=world.member, task=task, description="**Bold** <script>alert(1)</script>"
    )

    html = member_client.get(task_url(world, task.key)).content.decode()

    assert "<strong>Bold</strong>" in html
    assert "alert(1)" not in html


def test_history_lists_state_changes_in_words(member_client, world, team, doing):
    task = TaskFactory(team=team)
    services.task_transition(actor=world.member, task=task, to_state=doing)

    response = member_client.get(task_url(world, task.key))

    assert [row.text for row in response.context["history"]] == ["State: Backlog → In Progress"]


def test_editing_with_a_stale_version_saves_nothing_and_says_why(member_client, world, team):
    task = TaskFactory(team=team, title="Original")
    form = {
        "title": "Mine",
        "state": task.state_id,
        "priority": 0,
        "version": task.version,
    }
    services.task_update(actor=world.admin, task=task, title="Theirs")

    response = member_client.post(task_url(world, task.key, "task_edit"), form)

    assert response.status_code == 409
    assert "changed by someone else" in response.content.decode()
    task.refresh_from_db()
    assert task.title == "Theirs"


def test_editing_saves_the_fields_and_redirects(member_client, world, team, doing):
    task = TaskFactory(team=team)

    response = member_client.post(
        task_url(world, task.key, "task_edit"),
        {
            "title": "Renamed",
            "state": doing.pk,
            "priority": 2,
            "estimate": "3",
            "assignee": world.member.user.pk,
            "version": task.version,
        },
    )

    assert response.status_code == 303
    task.refresh_from_db()
    assert (task.title, task.state_id, task.priority, task.estimate) == (
        "Renamed",
        doing.pk,
        2,
        Decimal("3"),
    )


def test_a_viewer_cannot_edit(viewer_client, world, team):
    task = TaskFactory(team=team, title="Original")

    response = viewer_client.post(
        task_url(world, task.key, "task_edit"),
        {"title": "Nope", "state": task.state_id, "priority": 0, "version": 1},
    )

    assert response.status_code == 403
    task.refresh_from_db()
    assert task.title == "Original"


# ---- new task and duplicates ------------------------------------------------------------


def test_new_task_creates_it_in_the_team_and_redirects(member_client, world, team):
    url = reverse("tasks:task_new", kwargs={"slug": world.workspace.slug})

    response = member_client.post(url, {"title": "Export to CSV", "team": team.pk, "priority": 0})

    task = Task.objects.get(title="Export to CSV")
    assert response.status_code == 303
    assert response["Location"] == task_url(world, task.key)


def test_new_task_without_a_title_is_422(member_client, world, team):
    url = reverse("tasks:task_new", kwargs={"slug": world.workspace.slug})

    response = member_client.post(url, {"title": "", "team": team.pk, "priority": 0})

    assert response.status_code == 422
    assert Task.objects.count() == 0


def test_similar_partial_warns_of_near_duplicates_across_teams(member_client, world, other_team):
    existing = TaskFactory(team=other_team, title="Export invoices to CSV")
    TaskFactory(team=other_team, title="Refactor the login page")
    url = reverse("tasks:similar", kwargs={"slug": world.workspace.slug})

    response = member_client.post(url, {"title": "Export invoice to CSV"}, **HTMX)

    assert [t.pk for t in response.context["similar"]] == [existing.pk]
    assert "Possible duplicate" in response.content.decode()


def test_similar_partial_is_empty_for_a_new_idea(member_client, world, team):
    TaskFactory(team=team, title="Export invoices to CSV")
    url = reverse("tasks:similar", kwargs={"slug": world.workspace.slug})

    response = member_client.post(url, {"title": "Dark mode"}, **HTMX)

    assert response.context["similar"] == []
    assert "Possible duplicate" not in response.content.decode()


def test_not_a_duplicate_stops_the_suggestion(member_client, world, team):
    task = TaskFactory(team=team, title="Export invoices to CSV")
    other = TaskFactory(team=team, title="Export invoice to CSV")

    response = member_client.post(task_url(world, task.key, "not_duplicate"), {"other": other.key})

    assert response.status_code == 303
    assert DuplicateDismissal.objects.filter(task=task, other=other).exists()
    page = member_client.get(task_url(world, task.key))
    assert page.context["similar"] == []


def test_merge_moves_comments_and_leaves_the_key_as_an_alias(member_client, world, team):
    source = TaskFactory(team=team, title="Export invoices to CSV")
    into = TaskFactory(team=team, title="Export invoice to CSV")
    services.task_comment_add(actor=world.member, task=source, body="Customers ask weekly.")

    response = member_client.post(task_url(world, source.key, "merge"), {"other": into.key})

    assert response.status_code == 303
    assert response["Location"] == task_url(world, into.key)
    assert list(TaskComment.objects.values_list("task_id", flat=True)) == [into.pk]
    assert member_client.get(task_url(world, source.key))["Location"] == task_url(world, into.key)


def test_merge_into_another_workspaces_task_is_404(member_client, world, world_b, team):
    source = TaskFactory(team=team)  # ENG-1 here
    theirs = TaskFactory.create_batch(2, team=world_b.team)[-1]  # ENG-2 there, none here

    response = member_client.post(task_url(world, source.key, "merge"), {"other": theirs.key})

    assert response.status_code == 404
    assert Task.objects.filter(pk=source.pk).exists()


# ---- comments ---------------------------------------------------------------------------


def test_a_comment_with_a_mention_is_listed(member_client, world, team):
    task = TaskFactory(team=team)
    handle = world.admin.user.email.split("@")[0]

    response = member_client.post(
        task_url(world, task.key, "comment_add"), {"body": f"Looks good @{handle}"}, **HTMX
    )

    assert response.status_code == 200
    comment = TaskComment.objects.get(task=task)
    assert comment.body == f"Looks good @{handle}"
    assert "Looks good" in response.content.decode()


def test_an_empty_comment_is_422(member_client, world, team):
    task = TaskFactory(team=team)

    response = member_client.post(task_url(world, task.key, "comment_add"), {"body": ""}, **HTMX)

    assert response.status_code == 422
    assert TaskComment.objects.count() == 0


# ---- my work and search -----------------------------------------------------------------


def test_my_work_groups_open_tasks_by_objective_with_unaligned_last(
    member_client, world, team, aligned_task, done
):
    aligned_task.assignee = world.member.user
    aligned_task.save()
    loose = TaskFactory(team=team, assignee=world.member.user)
    TaskFactory(team=team, assignee=world.member.user, state=done, state_category="done")
    TaskFactory(team=team, assignee=world.admin.user)

    response = member_client.get(reverse("tasks:my_work", kwargs={"slug": world.workspace.slug}))

    groups = [
        (g.objective.title if g.objective else None, [t.pk for t in g.tasks])
        for g in response.context["groups"]
    ]
    assert groups == [("Objective of Cut churn", [aligned_task.pk]), (None, [loose.pk])]


def test_search_partial_lists_tasks_objectives_and_items(member_client, world, aligned_task):
    url = reverse("tasks:search", kwargs={"slug": world.workspace.slug})

    response = member_client.get(url + "?q=churn", **HTMX)

    assert [t.name for t in response.templates][0] == "tasks/_search_results.html"
    kinds = sorted(row["result"].kind for row in response.context["rows"])
    assert kinds == ["key_result", "objective"]  # the key result "Cut churn" and its objective
    assert "Objective of Cut churn" in response.content.decode()


def test_search_by_task_key_puts_the_task_first(member_client, world, aligned_task):
    url = reverse("tasks:search", kwargs={"slug": world.workspace.slug})

    response = member_client.get(url + f"?q={aligned_task.key}")

    first = response.context["rows"][0]
    assert (first["result"].key, first["url"]) == (
        aligned_task.key,
        task_url(world, aligned_task.key),
    )


def test_search_never_shows_another_workspaces_rows(member_client, world, world_b):
    TaskFactory(team=world_b.team, title="Secret merger plan")
    url = reverse("tasks:search", kwargs={"slug": world.workspace.slug})

    response = member_client.get(url + "?q=merger")

    assert response.context["rows"] == []
