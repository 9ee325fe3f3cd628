"""The settings page (admins only, the form never shown to others) and the task page's
custom-fields section with its small htmx form (members; viewers read only)."""

from __future__ import annotations

import re

from django.urls import reverse

from customfields.models import CustomField, CustomFieldValue, FieldKind
from tests.conftest import build_guest, client_for
from tests.factories import TeamFactory
from tests.factories.customfields import define, set_values
from tests.factories.work import TaskFactory

HTMX = {"HTTP_HX_REQUEST": "true"}


def settings_url(world):
    return reverse("customfields:settings", kwargs={"slug": world.workspace.slug})


def values_url(world, task):
    return reverse(
        "customfields:task_values", kwargs={"slug": world.workspace.slug, "key": task.key}
    )


def test_admins_define_a_field_on_the_settings_page(admin_client, world):
    response = admin_client.post(
        settings_url(world),
        {"new-name": "Customer", "new-kind": "select", "new-options": "Acme\nGlobex\n"},
    )

    assert response.status_code == 303
    field = CustomField.objects.get()
    assert [o.label for o in field.options.all()] == ["Acme", "Globex"]
    page = admin_client.get(settings_url(world)).content.decode()
    assert "Single select" in page


def test_a_select_without_options_comes_back_with_the_message(admin_client, world):
    response = admin_client.post(
        settings_url(world), {"new-name": "Customer", "new-kind": "select"}
    )

    assert response.status_code == 422
    assert "A select needs options." in response.content.decode()
    assert not CustomField.objects.exists()


def test_members_never_see_the_settings_form(member_client, viewer_client, world):
    assert member_client.get(settings_url(world)).status_code == 403
    assert viewer_client.get(settings_url(world)).status_code == 403
    assert (
        member_client.post(settings_url(world), {"new-name": "X", "new-kind": "text"}).status_code
        == 403
    )
    assert not CustomField.objects.exists()


def test_admins_reorder_and_archive_fields(admin_client, world, customer, deal_size):
    field_url = reverse(
        "customfields:field", kwargs={"slug": world.workspace.slug, "custom_field_id": deal_size.pk}
    )

    admin_client.post(field_url, {"move": "up"})
    admin_client.post(field_url, {"archive": "1"})

    assert list(CustomField.objects.values_list("name", "is_archived")) == [
        ("Deal size", True),
        ("Customer", False),
    ]


def test_the_task_page_shows_values_and_the_edit_link_to_members(
    member_client, world, task, customer
):
    set_values(world.member, task, Customer="Acme")

    page = member_client.get(
        reverse("tasks:task", kwargs={"slug": world.workspace.slug, "key": task.key})
    )

    html = page.content.decode()
    assert "<dt>Customer</dt><dd>Acme</dd>" in html
    assert "Edit fields" in html


def test_viewers_read_values_but_never_get_the_form(viewer_client, world, task, customer):
    set_values(world.member, task, Customer="Acme")

    html = viewer_client.get(values_url(world, task) + "?edit=1", **HTMX).content.decode()

    assert "<dd>Acme</dd>" in html
    assert "<form" not in html
    assert "Edit fields" not in html
    response = viewer_client.post(values_url(world, task), {"version": task.version}, **HTMX)
    assert response.status_code == 403


def test_the_form_saves_with_the_tasks_version(member_client, world, task, customer, deal_size):
    acme = customer.options.get(label="Acme")

    response = member_client.post(
        values_url(world, task),
        {"version": task.version, f"cf_{customer.pk}": acme.pk, f"cf_{deal_size.pk}": "2500"},
        **HTMX,
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "<dd>Acme</dd>" in html
    assert "<dd>2500</dd>" in html
    task.refresh_from_db()
    assert task.version == 2


def test_a_bad_value_comes_back_in_the_form_naming_the_field(member_client, world, task, deal_size):
    response = member_client.post(
        values_url(world, task), {"version": task.version, f"cf_{deal_size.pk}": "lots"}, **HTMX
    )

    assert response.status_code == 400
    assert "“Deal size”: “lots” is not a number." in response.content.decode()
    assert not CustomFieldValue.objects.exists()


def test_a_stale_form_is_refused_and_says_so(member_client, world, task, deal_size):
    response = member_client.post(
        values_url(world, task), {"version": task.version + 1, f"cf_{deal_size.pk}": "5"}, **HTMX
    )

    assert response.status_code == 409
    assert "was changed by someone else" in response.content.decode()
    assert not CustomFieldValue.objects.exists()


def test_a_guest_sees_workspace_fields_but_not_another_teams(world):
    guest = build_guest(world)
    from alignment.models import TeamMember

    TeamMember.objects.create(workspace=world.workspace, team=world.team, user=guest.user)
    other = TeamFactory(workspace=world.workspace, key="OPS")
    define(world.admin, "Customer", FieldKind.TEXT)
    define(world.admin, "Runbook", FieldKind.URL, team=other)
    client = client_for(guest.user)

    body = client.get(f"/api/v1/workspaces/{world.workspace.slug}/custom-fields/")

    assert body.status_code == 200
    assert [f["name"] for f in body.json()] == ["Customer"]
    task = TaskFactory(team=world.team)
    assert client.get(values_url(world, task), **HTMX).status_code == 200


# ---- the focus, for keyboard users (the section swaps itself, so the focused link goes) ------


def _autofocused(html: str) -> list[str]:
    """The opening tags that carry `autofocus`."""
    return [tag for tag in re.findall(r"<[a-z]+[^>]*>", html) if re.search(r"\sautofocus\b", tag)]


def test_the_swapped_in_form_focuses_its_first_field(
    member_client, world, task, customer, deal_size
):
    html = member_client.get(values_url(world, task) + "?edit=1", **HTMX).content.decode()

    [tag] = _autofocused(html)
    assert f'name="cf_{customer.pk}"' in tag


def test_a_refused_form_focuses_the_field_at_fault(member_client, world, task, customer, deal_size):
    response = member_client.post(
        values_url(world, task), {"version": task.version, f"cf_{deal_size.pk}": "lots"}, **HTMX
    )

    [tag] = _autofocused(response.content.decode())
    assert f'name="cf_{deal_size.pk}"' in tag


def test_after_a_save_the_edit_link_takes_the_focus(member_client, world, task, customer):
    response = member_client.post(values_url(world, task), {"version": task.version}, **HTMX)

    [tag] = _autofocused(response.content.decode())
    assert tag.startswith("<a ")
    assert "edit=1" in tag


def test_pages_never_move_the_focus(member_client, world, task, customer):
    page = reverse("tasks:task", kwargs={"slug": world.workspace.slug, "key": task.key})

    assert _autofocused(member_client.get(page).content.decode()) == []
    assert _autofocused(member_client.get(page, **HTMX).content.decode()) == []
    full_form = member_client.get(values_url(world, task) + "?edit=1").content.decode()
    assert _autofocused(full_form) == []
