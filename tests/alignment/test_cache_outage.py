"""A Redis outage costs cache misses, never a write: the cache fails open (alignment/cache.py).

The "down" Redis is a real client talking to a port nobody listens on (connection refused),
so the failures are the ones redis-py raises in production.
"""

from __future__ import annotations

import socket

import pytest
from django.core.cache import cache
from django.urls import reverse

from dashboards.models import RollupPending
from dashboards.tasks import rollups_sweep
from readmodel.models import Rollup
from tasks import services as task_services
from tests.conftest import api_client_for
from tests.factories.work import SprintFactory, TaskFactory, state_of
from tests.services import require_redis

pytestmark = pytest.mark.django_db


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again when the socket is: nobody listens


def resilient(location: str) -> dict:
    return {
        "default": {
            "BACKEND": "alignment.cache.ResilientRedisCache",
            "LOCATION": location,
            "KEY_PREFIX": "outage-test",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }


@pytest.fixture
def redis_down(settings):
    settings.CACHES = resilient(f"redis://127.0.0.1:{closed_port()}/0")


def test_reads_miss_and_writes_are_dropped_while_redis_is_down(redis_down):
    assert cache.get("badge", "miss") == "miss"
    assert cache.add("flag", 1, timeout=60) is False  # "someone else has it": sweep catches up
    cache.set("badge", 3)
    assert cache.get_many(["badge"]) == {}
    assert cache.delete("badge") is False
    assert cache.has_key("badge") is False


def test_a_task_change_commits_and_the_sweep_refreshes_rollups_later(
    world, settings, redis_down, django_capture_on_commit_callbacks
):
    sprint = SprintFactory(team=world.team, status="active")
    task = TaskFactory(team=world.team, sprint=sprint, estimate=5, assignee=world.member.user)
    done = state_of(world.team, "done")
    RollupPending.objects.all().delete()

    with django_capture_on_commit_callbacks(execute=True):
        # Notifications (badge cache), webhooks (listener cache) and rollups (queue flag) all
        # touch the cache on this path; none may turn the committed change into an error.
        task_services.task_transition(actor=world.admin, task=task, to_state=done)

    task.refresh_from_db()
    assert task.state_category == "done"
    # Queued, not refreshed: the queue flag could not be set, so no job was sent.
    assert RollupPending.objects.filter(node_id=task.pk).exists()

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    rollups_sweep()

    assert not RollupPending.objects.exists()
    sprint_rollup = Rollup.objects.get(kind="sprint", node_id=sprint.pk)
    assert sprint_rollup.done_points == sprint_rollup.total_points == 5


def test_api_requests_are_served_while_redis_is_down(world, redis_down):
    # DRF's rate limits keep their windows in the cache: an outage opens them, not a 500.
    client = api_client_for(world.member)
    url = reverse("api-tasks-list", kwargs={"slug": world.workspace.slug})
    assert client.get(url).status_code == 200


def test_the_resilient_cache_behaves_like_redis_when_redis_is_up(settings):
    settings.CACHES = resilient(require_redis())
    cache.delete("flag")
    assert cache.add("flag", 1, timeout=60) is True
    assert cache.add("flag", 2, timeout=60) is False
    assert cache.get("flag") == 1
    cache.set_many({"a": 1, "b": 2}, timeout=60)
    assert cache.get_many(["a", "b"]) == {"a": 1, "b": 2}
    cache.delete_many(["a", "b", "flag"])
    assert cache.get("a") is None
