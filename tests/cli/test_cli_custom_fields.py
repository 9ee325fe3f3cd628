"""`alignment task new --field NAME=VALUE`: custom field values set with the new task, over
real HTTP; a value the server refuses names the field and creates nothing."""

import pytest
from alignment_cli.client import EXIT_USAGE
from alignment_cli.main import app

from customfields.models import FieldKind
from tasks.models import Task
from tests.factories.customfields import define, option

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def fields(world):
    customer = define(world.admin, "Customer", FieldKind.SELECT, options=["Acme", "Globex"])
    regions = define(world.admin, "Regions", FieldKind.MULTI_SELECT, options=["EU", "US"])
    return customer, regions


def test_task_new_sets_custom_fields(runner, logged_in, world, fields):
    customer, regions = fields

    result = runner.invoke(
        app,
        [
            "task", "new", "Renewal quote", "--team", "ENG",
            "--field", "Customer=Globex", "--field", "Regions = EU,US",
        ],
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    task = Task.objects.get(title="Renewal quote")
    chosen = {(v.field.name, v.option_id) for v in task.custom_values.select_related("field")}
    assert chosen == {
        ("Customer", option(customer, "Globex").pk),
        ("Regions", option(regions, "EU").pk),
        ("Regions", option(regions, "US").pk),
    }


def test_a_refused_value_names_the_field_and_creates_nothing(runner, logged_in, world, fields):
    result = runner.invoke(
        app, ["task", "new", "Renewal quote", "--team", "ENG", "--field", "Customer=Umbrella"]
    )

    assert result.exit_code != 0
    assert "Customer" in result.output
    assert "“Umbrella” is not an option" in result.output
    assert not Task.objects.filter(title="Renewal quote").exists()


def test_a_field_without_equals_is_a_usage_error(runner, logged_in, world, fields):
    result = runner.invoke(app, ["task", "new", "X", "--team", "ENG", "--field", "Customer"])

    assert result.exit_code == EXIT_USAGE
    assert "NAME=VALUE" in result.output
    assert not Task.objects.exists()
