import pytest
from django.apps import apps
from django.core.management import call_command

from alignment.demo import DEMO_PASSWORD, DEMO_SLUG, PEOPLE, email_of
from alignment.models import Membership, User

pytestmark = pytest.mark.django_db

PROJECT_APPS = {"alignment", "okrs", "roadmaps", "tasks", "dashboards", "integrations"}


def all_rows() -> dict[str, list[dict]]:
    return {
        model._meta.label: list(model.objects.order_by("pk").values())
        for model in apps.get_models()
        if model._meta.app_label in PROJECT_APPS
    }


def test_seed_demo_builds_people_of_every_role_who_can_log_in(client):
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    roles = set(Membership.objects.filter(workspace__slug=DEMO_SLUG).values_list("role", flat=True))
    assert roles == {"owner", "admin", "member", "viewer"}
    assert User.objects.filter(email__endswith="@acme.example").count() == len(PEOPLE)
    response = client.post(
        "/accounts/login/", {"email": email_of("priya"), "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302
    assert client.get(response["Location"], follow=True).status_code == 200


def test_demo_task_history_names_the_columns_it_moved_between():
    from tasks.models import TaskEvent

    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    states = [
        side["state"]
        for event in TaskEvent.objects.filter(kind__in=["created", "state"])
        for side in (event.before, event.after)
        if isinstance(side, dict) and side.get("state") is not None
    ]
    assert states, "the demo has no state history"
    assert all(isinstance(s, dict) and s.get("name") and s.get("category") for s in states)


def test_second_seed_run_changes_nothing():
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    before = all_rows()
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert all_rows() == before
