"""Inline editing of a task's fields: show, edit form (members only), versioned save, conflict
(their value vs yours, re-apply or keep), validation, tenancy; the board's side panel; the
new-task form's State."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from tasks import services
from tasks.models import Task
from tests.conftest import World
from tests.factories.work import (
    LabelFactory,
    RoadmapItemFactory,
    SprintFactory,
    TaskFactory,
    state_of,
)

HTMX = {"HTTP_HX_REQUEST": "true"}


def field_url(world: World, key: str, field: str, name: str = "field") -> str:
    return reverse(
        f"tasks:{name}", kwargs={"slug": world.workspace.slug, "key": key, "field": field}
    )


def save(client, world: World, task: Task, field: str, value, **extra):
    data = {field: value, "version": task.version, "place": "page", **extra}
    return client.post(field_url(world, task.key, field), data, **HTMX)


def test_the_task_page_shows_every_field_with_an_edit_button_for_members(
    member_client, world, team
):
    task = TaskFactory(team=team, title="Export to CSV")

    html = member_client.get(f"/w/{world.workspace.slug}/tasks/{task.key}/").content.decode()

    for field in ("title", "description", "state", "assignee", "estimate", "priority"):
        assert f'id="field-{field}"' in html
        assert field_url(world, task.key, field, "field_edit") in html
    for field in ("labels", "due_date", "sprint", "roadmap_item"):
        assert field_url(world, task.key, field, "field_edit") in html


def test_a_viewer_sees_the_fields_but_no_edit_button(viewer_client, world, team):
    task = TaskFactory(team=team, title="Export to CSV")

    html = viewer_client.get(f"/w/{world.workspace.slug}/tasks/{task.key}/").content.decode()

    assert 'id="field-assignee"' in html
    assert "/edit/" not in html
    assert "data-inline-open" not in html


def test_a_viewer_asking_for_the_edit_partial_directly_is_refused(viewer_client, world, team):
    task = TaskFactory(team=team)

    response = viewer_client.get(field_url(world, task.key, "title", "field_edit"), **HTMX)

    assert response.status_code == 403
    assert b"<form" not in response.content


def test_a_viewer_cannot_save_a_field(viewer_client, world, team):
    task = TaskFactory(team=team, title="Original")

    response = save(viewer_client, world, task, "title", "Nope")

    assert response.status_code == 403
    task.refresh_from_db()
    assert task.title == "Original"


def test_the_edit_partial_is_a_form_with_the_version_and_the_value(member_client, world, team):
    task = TaskFactory(team=team, title="Export to CSV")

    response = member_client.get(field_url(world, task.key, "title", "field_edit"), **HTMX)

    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="title"' in html
    assert 'value="Export to CSV"' in html
    assert f'name="version" value="{task.version}"' in html
    assert "autofocus" in html


def test_an_unknown_field_is_404(member_client, world, team):
    task = TaskFactory(team=team)

    assert member_client.get(field_url(world, task.key, "secret", "field_edit")).status_code == 404
    assert save(member_client, world, task, "secret", "x").status_code == 404


def test_another_workspaces_task_is_404_and_unchanged(member_client, world, world_b):
    theirs = TaskFactory(team=world_b.team, title="Theirs")

    edit = member_client.get(field_url(world, theirs.key, "title", "field_edit"), **HTMX)
    saved = save(member_client, world, theirs, "title", "Mine")

    assert (edit.status_code, saved.status_code) == (404, 404)
    theirs.refresh_from_db()
    assert theirs.title == "Theirs"


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("title", "Renamed", "Renamed"),
        ("description", "Some **bold** text", "Some **bold** text"),
        ("estimate", "5", Decimal("5")),
        ("priority", "2", 2),
        ("due_date", "2027-03-15", date(2027, 3, 15)),
    ],
)
def test_saving_a_field_writes_it_and_answers_the_shown_field(
    member_client, world, team, field, value, expected
):
    task = TaskFactory(team=team)
    version = task.version

    response = save(member_client, world, task, field, value)

    assert response.status_code == 200
    assert f'id="field-{field}"' in response.content.decode()
    assert "taskSaved" in response["HX-Trigger"]
    task.refresh_from_db()
    assert getattr(task, field) == expected
    assert task.version == version + 1


def test_saving_related_fields(member_client, world, team, doing):
    task = TaskFactory(team=team)
    sprint = SprintFactory(team=team)
    item = RoadmapItemFactory(roadmap__workspace=world.workspace, title="Billing")
    bug, ux = (
        LabelFactory(workspace=world.workspace, name="bug"),
        LabelFactory(workspace=world.workspace, name="ux"),
    )

    for field, value in (
        ("state", doing.pk),
        ("assignee", world.member.user.pk),
        ("sprint", sprint.pk),
        ("roadmap_item", item.pk),
        ("labels", [bug.pk, ux.pk]),
    ):
        task.refresh_from_db()
        assert save(member_client, world, task, field, value).status_code == 200, field

    task.refresh_from_db()
    assert (task.state_id, task.assignee_id, task.sprint_id, task.roadmap_item_id) == (
        doing.pk,
        world.member.user.pk,
        sprint.pk,
        item.pk,
    )
    assert sorted(task.labels.values_list("name", flat=True)) == ["bug", "ux"]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", "", "This field is required."),
        ("estimate", "-1", "greater than or equal to 0"),
        ("estimate", "lots", "Enter a number."),
        ("due_date", "not a date", "Enter a valid date."),
        ("priority", "9", "Select a valid choice."),
    ],
)
def test_a_bad_value_is_shown_on_the_form_and_nothing_changes(
    member_client, world, team, field, value, message
):
    task = TaskFactory(team=team, title="Original", estimate=Decimal(3))
    before = Task.objects.filter(pk=task.pk).values().get()

    response = save(member_client, world, task, field, value)

    assert response.status_code == 422
    html = response.content.decode()
    assert message in html
    assert 'role="alert"' in html
    assert "<form" in html
    assert Task.objects.filter(pk=task.pk).values().get() == before


def test_another_teams_state_or_workspaces_person_is_refused(
    member_client, world, world_b, team, other_team
):
    task = TaskFactory(team=team)
    foreign_state = state_of(other_team)
    before = Task.objects.filter(pk=task.pk).values().get()

    state = save(member_client, world, task, "state", foreign_state.pk)
    person = save(member_client, world, task, "assignee", world_b.member.user.pk)

    assert (state.status_code, person.status_code) == (422, 422)
    assert "Select a valid choice" in state.content.decode()
    assert Task.objects.filter(pk=task.pk).values().get() == before


def test_a_stale_save_of_a_field_someone_else_changed_shows_both_values(member_client, world, team):
    task = TaskFactory(team=team, title="Original")
    opened = task.version
    services.task_update(actor=world.admin, task=task, title="Theirs")

    response = member_client.post(
        field_url(world, task.key, "title"),
        {"title": "Mine", "version": opened, "original": "Original", "place": "page"},
        **HTMX,
    )

    assert response.status_code == 409
    html = response.content.decode()
    assert "Someone else changed title" in html
    theirs = html[html.index('data-conflict="theirs"') :]
    assert theirs.index("Theirs") < theirs.index('data-conflict="yours"') < theirs.index("Mine")
    # "Use mine" re-applies on the current version; "Keep theirs" shows their value.
    assert 'type="hidden" name="title" value="Mine"' in html
    task.refresh_from_db()
    assert task.title == "Theirs"
    assert f'name="version" value="{task.version}"' in html
    assert "Use mine" in html
    assert "Keep theirs" in html


def test_use_mine_after_a_conflict_saves_my_value(member_client, world, team):
    task = TaskFactory(team=team, title="Original")
    services.task_update(actor=world.admin, task=task, title="Theirs")
    task.refresh_from_db()

    response = member_client.post(
        field_url(world, task.key, "title"),
        {"title": "Mine", "version": task.version, "original": "Theirs", "place": "page"},
        **HTMX,
    )

    assert response.status_code == 200
    task.refresh_from_db()
    assert task.title == "Mine"


def test_a_stale_save_of_a_field_nobody_else_touched_is_applied(member_client, world, team):
    task = TaskFactory(team=team, title="Original", estimate=Decimal(1))
    opened = task.version
    services.task_update(actor=world.admin, task=task, title="Renamed by them")

    response = member_client.post(
        field_url(world, task.key, "estimate"),
        {"estimate": "8", "version": opened, "original": "1", "place": "page"},
        **HTMX,
    )

    assert response.status_code == 200
    task.refresh_from_db()
    assert (task.title, task.estimate) == ("Renamed by them", Decimal(8))


def test_a_stale_save_without_the_original_value_is_a_conflict(member_client, world, team):
    task = TaskFactory(team=team, title="Original", estimate=Decimal(1))
    opened = task.version
    services.task_update(actor=world.admin, task=task, title="Renamed by them")

    response = member_client.post(
        field_url(world, task.key, "estimate"), {"estimate": "8", "version": opened}, **HTMX
    )

    assert response.status_code == 409
    task.refresh_from_db()
    assert task.estimate == Decimal(1)


def test_the_description_preview_renders_sanitized_markdown(member_client, world, team):
    task = TaskFactory(team=team)
    url = reverse("tasks:preview", kwargs={"slug": world.workspace.slug, "key": task.key})

    response = member_client.post(
        url, {"description": "**bold** <script>alert(1)</script>"}, **HTMX
    )

    html = response.content.decode()
    assert "<strong>bold</strong>" in html
    assert "<script" not in html


def test_a_viewer_gets_no_preview(viewer_client, world, team):
    task = TaskFactory(team=team)
    url = reverse("tasks:preview", kwargs={"slug": world.workspace.slug, "key": task.key})

    assert viewer_client.post(url, {"description": "x"}, **HTMX).status_code == 403


def test_the_board_panel_lists_every_field_editable(member_client, world, team, todo):
    card = TaskFactory(team=team, sprint=SprintFactory(team=team), state=todo, title="Card")
    url = reverse("tasks:quick_edit", kwargs={"slug": world.workspace.slug, "key": card.key})

    response = member_client.get(url, **HTMX)

    html = response.content.decode()
    assert response["HX-Retarget"] == "#task-panel"
    assert html.count("data-inline-open") == 10
    assert "place=panel" in html


def test_the_board_panel_for_a_viewer_is_read_only(viewer_client, world, team, todo):
    card = TaskFactory(team=team, sprint=SprintFactory(team=team), state=todo, title="Card")
    url = reverse("tasks:quick_edit", kwargs={"slug": world.workspace.slug, "key": card.key})

    html = viewer_client.get(url, **HTMX).content.decode()

    assert 'id="field-title"' in html
    assert "data-inline-open" not in html
    assert "<form" not in html


def test_the_new_task_form_offers_state_and_creates_in_it(member_client, world, team, doing):
    url = reverse("tasks:task_new", kwargs={"slug": world.workspace.slug})

    assert 'name="state"' in member_client.get(url).content.decode()
    response = member_client.post(
        url, {"title": "Started already", "team": team.pk, "state": doing.pk, "priority": 0}
    )

    assert response.status_code == 303
    assert Task.objects.get(title="Started already").state_id == doing.pk


def test_the_new_task_form_refuses_another_teams_state(member_client, world, team, other_team):
    url = reverse("tasks:task_new", kwargs={"slug": world.workspace.slug})

    response = member_client.post(
        url,
        {"title": "Wrong", "team": team.pk, "state": state_of(other_team).pk, "priority": 0},
    )

    assert response.status_code == 422
    assert f"Choose a state of {team.name}" in response.content.decode()
    assert not Task.objects.filter(title="Wrong").exists()


def test_aligning_in_place_on_the_task_page_redraws_the_line(member_client, world, team):
    task = TaskFactory(team=team)
    item = RoadmapItemFactory(roadmap__workspace=world.workspace, title="Self-serve billing")

    response = save(member_client, world, task, "roadmap_item", item.pk)

    html = response.content.decode()
    assert response.status_code == 200
    line = html[html.index('id="alignment-line"') :]
    assert 'hx-swap-oob="true"' in line
    assert "Self-serve billing" in line
    assert "Unaligned work" not in line
