"""DELETE on a sprint through the API: the same rule as the sprint pages (sprint_delete)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tasks import services
from tasks.models import Sprint, Task
from tests.conftest import api_client_for
from tests.factories.work import SprintFactory

pytestmark = pytest.mark.django_db


def detail(world, sprint) -> str:
    return reverse("api-sprints-detail", kwargs={"slug": world.workspace.slug, "pk": sprint.pk})


def test_an_unstarted_sprint_is_deleted_and_its_work_goes_to_the_backlog(world):
    sprint = SprintFactory(team=world.team)
    task = services.task_create(actor=world.member, team=world.team, title="A", sprint=sprint)

    response = api_client_for(world.member).delete(detail(world, sprint), HTTP_IF_MATCH='"v1"')

    assert response.status_code == 204
    assert not Sprint.objects.filter(pk=sprint.pk).exists()
    assert Task.objects.get(pk=task.pk).sprint_id is None


def test_a_started_sprint_is_refused_with_409(world):
    sprint = SprintFactory(team=world.team, status="active")

    response = api_client_for(world.member).delete(detail(world, sprint))

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "sprint_started"
    assert Sprint.objects.filter(pk=sprint.pk).exists()


def test_a_stale_if_match_is_refused_with_412(world):
    sprint = SprintFactory(team=world.team)
    services.sprint_update(actor=world.member, sprint=sprint, goal="Changed")

    response = api_client_for(world.member).delete(detail(world, sprint), HTTP_IF_MATCH='"v1"')

    assert response.status_code == 412
    assert Sprint.objects.filter(pk=sprint.pk).exists()
