from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from alignment.errors import RoleRequired, StaleVersion
from customfields.errors import CustomFieldDefinitionInvalid, CustomFieldValueInvalid
from customfields.models import CustomField, CustomFieldValue, FieldKind
from customfields.selectors import shown_values
from customfields.services import (
    custom_field_move,
    custom_field_option_add,
    custom_field_update,
    custom_values_set,
    fields_of_task,
)
from tests.factories import TeamFactory
from tests.factories.customfields import define, option
from tests.factories.work import TaskFactory


def _values(task):
    fields = fields_of_task(task)
    return {s.field.name: s.text for s in shown_values([task.pk], fields)[task.pk]}


def test_an_admin_defines_a_select_with_its_options(world):
    field = define(world.admin, "Customer", FieldKind.SELECT, options=["Acme", " acme ", "Globex"])

    assert (field.name, field.kind, field.position) == ("Customer", "select", 0)
    assert [o.label for o in field.options.all()] == ["Acme", "Globex"]


def test_a_member_may_not_define_a_field(world):
    with pytest.raises(RoleRequired):
        define(world.member, "Customer", FieldKind.TEXT)
    assert not CustomField.objects.exists()


def test_a_select_without_options_is_refused(world):
    with pytest.raises(CustomFieldDefinitionInvalid, match="A select needs options"):
        define(world.admin, "Customer", FieldKind.SELECT)


def test_a_name_is_unique_in_the_workspace_whatever_its_case(world, customer):
    with pytest.raises(CustomFieldDefinitionInvalid, match="already a field"):
        define(world.admin, "customer", FieldKind.TEXT)


def test_fields_reorder_and_archive(world, customer, deal_size):
    custom_field_move(actor=world.admin, field=deal_size, step=-1)

    assert list(CustomField.objects.values_list("name", flat=True)) == ["Deal size", "Customer"]
    custom_field_update(actor=world.admin, field=customer, is_archived=True)
    task = TaskFactory(team=world.team)
    assert [f.name for f in fields_of_task(task)] == ["Deal size"]


def test_a_team_field_belongs_to_that_teams_tasks_only(world):
    other = TeamFactory(workspace=world.workspace, key="OPS")
    define(world.admin, "Runbook", FieldKind.URL, team=other)

    assert fields_of_task(TaskFactory(team=world.team)) == []
    assert [f.name for f in fields_of_task(TaskFactory(team=other))] == ["Runbook"]


def test_every_kind_is_stored_typed_and_read_back(world, task):
    define(world.admin, "Customer", FieldKind.SELECT, options=["Acme", "Globex"])
    define(world.admin, "Regions", FieldKind.MULTI_SELECT, options=["EU", "US", "APAC"])
    define(world.admin, "Deal size", FieldKind.NUMBER)
    define(world.admin, "Renewal", FieldKind.DATE)
    define(world.admin, "Owner", FieldKind.PERSON)
    define(world.admin, "Ticket", FieldKind.URL)
    define(world.admin, "Note", FieldKind.TEXT)
    version = task.version

    changed = custom_values_set(
        actor=world.member,
        task=task,
        values={
            "Customer": "globex",
            "Regions": ["US", "EU"],
            "Deal size": "12,500.50",
            "Renewal": "2027-03-01",
            "Owner": world.viewer.user.email,
            "Ticket": "https://support.example.com/1",
            "Note": "  big   one ",
        },
        expected_version=version,
    )

    assert len(changed) == 7
    task.refresh_from_db()
    assert task.version == version + 1
    assert _values(task) == {
        "Customer": "Globex",
        "Regions": "EU, US",
        "Deal size": "12500.5",
        "Renewal": "2027-03-01",
        "Owner": world.viewer.user.display_name,
        "Ticket": "https://support.example.com/1",
        "Note": "big one",
    }
    row = CustomFieldValue.objects.get(field__name="Deal size")
    assert row.number == Decimal("12500.5")
    assert CustomFieldValue.objects.get(field__name="Renewal").date == date(2027, 3, 1)


def test_the_same_values_again_change_nothing(world, task, customer):
    custom_values_set(actor=world.member, task=task, values={"Customer": "Acme"})
    task.refresh_from_db()
    version = task.version

    assert custom_values_set(actor=world.member, task=task, values={customer.pk: "acme"}) == []
    task.refresh_from_db()
    assert task.version == version


def test_empty_clears_a_value(world, task, customer):
    custom_values_set(actor=world.member, task=task, values={"Customer": "Acme"})

    custom_values_set(actor=world.member, task=task, values={"Customer": None})

    assert not CustomFieldValue.objects.exists()


@pytest.mark.parametrize(
    ("field_name", "value", "message"),
    [
        ("Customer", "Umbrella", "“Customer”: “Umbrella” is not an option. Options: Acme, Globex"),
        ("Deal size", "lots", "“Deal size”: “lots” is not a number."),
        ("Deal size", True, "“Deal size”: Must be a number."),
        ("Nope", "x", "“Nope”: No custom field “Nope” on ENG-"),
    ],
)
def test_a_bad_value_is_refused_naming_the_field_and_nothing_changes(
    world, task, customer, deal_size, field_name, value, message
):
    version = task.version

    with pytest.raises(CustomFieldValueInvalid) as refused:
        custom_values_set(
            actor=world.member, task=task, values={"Deal size": "5", field_name: value}
        )

    assert refused.value.text.startswith(message)
    assert refused.value.status == 400
    assert not CustomFieldValue.objects.exists()
    task.refresh_from_db()
    assert task.version == version


def test_an_archived_option_is_no_longer_a_choice(world, task, customer):
    from customfields.services import custom_field_option_update

    custom_field_option_update(actor=world.admin, option=option(customer, "Acme"), is_archived=True)

    with pytest.raises(CustomFieldValueInvalid, match="not an option"):
        custom_values_set(actor=world.member, task=task, values={"Customer": "Acme"})


def test_a_person_outside_the_workspace_is_unknown(world, world_b, task):
    define(world.admin, "Owner", FieldKind.PERSON)

    with pytest.raises(CustomFieldValueInvalid, match="No member"):
        custom_values_set(actor=world.member, task=task, values={"Owner": world_b.member.user.pk})


def test_a_stale_version_is_refused(world, task, customer):
    with pytest.raises(StaleVersion):
        custom_values_set(
            actor=world.member,
            task=task,
            values={"Customer": "Acme"},
            expected_version=task.version + 5,
        )
    assert not CustomFieldValue.objects.exists()


def test_a_viewer_may_not_set_values(world, task, customer):
    with pytest.raises(RoleRequired):
        custom_values_set(actor=world.viewer, task=task, values={"Customer": "Acme"})


def test_options_can_be_added_later(world, customer):
    custom_field_option_add(actor=world.admin, field=customer, label="Umbrella")

    assert [o.label for o in customer.options.all()] == ["Acme", "Globex", "Initech", "Umbrella"]
    with pytest.raises(CustomFieldDefinitionInvalid, match="already an option"):
        custom_field_option_add(actor=world.admin, field=customer, label="umbrella")


def test_a_change_is_audited_and_published(
    world, task, customer, django_capture_on_commit_callbacks
):
    from alignment import events
    from customfields.events import CustomFieldValuesChanged

    seen = []
    events.subscribe(CustomFieldValuesChanged, seen.append)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            custom_values_set(actor=world.member, task=task, values={"Customer": "Acme"})
    finally:
        events.unsubscribe(CustomFieldValuesChanged, seen.append)

    [event] = seen
    assert (event.task_id, event.before, event.after) == (
        task.pk,
        (("Customer", ""),),
        (("Customer", "Acme"),),
    )
    assert event.actor_id == world.member.user_id
