"""Shared fixtures: a workspace with a member of every role, a second workspace, clients."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

import pytest
import time_machine
from django.test import Client
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from alignment.celery import app as celery_app
from alignment.models import Membership, Role, Team, User, Workspace
from tests.clock import CALENDAR_NOWS, DEFAULT_NOW
from tests.factories import (
    ApiTokenFactory,
    MembershipFactory,
    TeamFactory,
    UserFactory,
    WorkspaceFactory,
)

# Property tests judge results, not speed: on a loaded 2-core CI machine a 200 ms deadline
# turns a slow example into a red run. Timing belongs to bench/.
hypothesis_settings.register_profile(
    "alignment", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
hypothesis_settings.load_profile("alignment")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database, dropped only once the sessions of other threads on it have ended.

    Threads that query on connections of their own (a full rollup's aggregate, the race
    tests) close them before they finish, but PostgreSQL ends a closed session's backend a
    moment later; dropping the database in that moment fails ("being accessed by other
    users") and leaves it behind.
    """
    yield
    with django_db_blocker.unblock():
        _wait_for_other_sessions(seconds=5.0)


def _wait_for_other_sessions(*, seconds: float) -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    deadline = time.monotonic() + seconds
    with connection.cursor() as cursor:
        while True:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0] == 0 or time.monotonic() > deadline:
                return
            time.sleep(0.05)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run date-sensitive tests at every calendar edge as well as at the default instant.

    A test is date-sensitive when it is marked `calendar` or asks for a `today` fixture.
    Browser journeys run once, at the default instant: their pages are covered here already.
    """
    definition = metafunc.definition
    sensitive = definition.get_closest_marker("calendar") or "today" in metafunc.fixturenames
    if sensitive and not definition.get_closest_marker("browser"):
        metafunc.parametrize(
            "pinned_now",
            [DEFAULT_NOW, *CALENDAR_NOWS.values()],
            ids=["default", *CALENDAR_NOWS],
            indirect=True,
        )


@pytest.fixture
def pinned_now(request: pytest.FixtureRequest) -> datetime:
    """The instant this test runs at (tests/clock.py)."""
    return getattr(request, "param", DEFAULT_NOW)


@pytest.fixture(autouse=True)
def _pinned_clock(pinned_now: datetime) -> Iterator[None]:
    # Ticks from the pinned instant: durations, timeouts and ordering by time still work.
    with time_machine.travel(pinned_now, tick=True):
        yield


@pytest.fixture(scope="session", autouse=True)
def _attachments_in_a_temporary_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    # Attachment bytes never land in the project's data/ folder; a test that wants another
    # storage (tests/attachments/test_s3.py) overrides STORAGES itself.
    from django.conf import settings
    from django.test import override_settings

    folder = tmp_path_factory.mktemp("attachments")
    storages = dict(settings.STORAGES)
    storages["attachments"] = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(folder), "base_url": None},
    }
    with override_settings(STORAGES=storages):
        yield


def forget_cached() -> None:
    """Empty this test's cache namespace, and only it.

    `cache.clear()` on Redis is FLUSHDB: under CI every xdist worker shares the server, so it
    would wipe another test's keys mid-test (a rate-limit counter reset to zero, say)."""
    from django.core.cache import cache

    backend = getattr(cache, "_cache", None)
    if backend is None or not hasattr(backend, "get_client"):
        cache.clear()  # local memory: this process's own
        return
    client = backend.get_client(write=True)
    keys = list(client.scan_iter(match=f"{cache.key_prefix}:*"))
    if keys:
        client.delete(*keys)


@pytest.fixture(autouse=True)
def _isolated_cache_and_eager_celery(settings):
    # Each test gets its own cache namespace: with Redis under CI, xdist workers share one
    # server, and clear() would flush everyone's keys.
    cache = dict(settings.CACHES["default"])
    cache["KEY_PREFIX"] = f"t-{uuid.uuid4().hex[:12]}"
    settings.CACHES = {"default": cache}
    # Likewise the channel layer: workers' databases hand out the same ids, so two workers'
    # pages on "document 1 of workspace 1" would share groups and presence rosters.
    layers = settings.CHANNEL_LAYERS
    if "prefix" in layers["default"].get("CONFIG", {}):
        layer = dict(layers["default"])
        layer["CONFIG"] = {**layer["CONFIG"], "prefix": f"t-{uuid.uuid4().hex[:12]}"}
        settings.CHANNEL_LAYERS = {**layers, "default": layer}
    # A failing after-commit handler fails its test (production logs it and goes on).
    settings.EVENT_HANDLER_ERRORS = "raise"
    # Real hashing costs ~0.3 s per password; tests check behaviour, not key stretching.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = eager


@dataclass
class World:
    """One workspace, a team, and one person per role."""

    workspace: Workspace
    team: Team
    owner: Membership
    admin: Membership
    member: Membership
    viewer: Membership
    # Built only where a test asks for one (the matrices): a guest on no team yet.
    guest: Membership | None = None

    def membership(self, role: str) -> Membership:
        found = getattr(self, role)
        assert found is not None, f"this world has no {role}; build it with build_guest()"
        return found


def build_guest(world: World) -> Membership:
    """Add a guest to `world` (on no team: the caller puts them on the teams it wants)."""
    prefix = world.workspace.slug.removesuffix("-inc")
    world.guest = MembershipFactory(
        workspace=world.workspace,
        role=Role.GUEST,
        user=UserFactory(email=f"guest@{prefix}.example.com", full_name=f"{prefix} guest"),
    )
    return world.guest


def build_world(prefix: str) -> World:
    workspace = WorkspaceFactory(name=f"{prefix.title()} Inc", slug=f"{prefix}-inc")
    team = TeamFactory(workspace=workspace, name=f"{prefix.title()} Engineering", key="ENG")
    members = {
        role: MembershipFactory(
            workspace=workspace,
            role=role,
            user=UserFactory(email=f"{role}@{prefix}.example.com", full_name=f"{prefix} {role}"),
        )
        for role in Role.values
        if role != Role.GUEST
    }
    return World(workspace=workspace, team=team, **members)


@pytest.fixture
def world(db) -> World:
    return build_world("acme")


@pytest.fixture
def world_b(db) -> World:
    return build_world("globex")


@pytest.fixture
def workspace(world: World) -> Workspace:
    return world.workspace


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user, backend="alignment.auth_backends.EmailBackend")
    return client


@pytest.fixture
def owner_client(world: World) -> Client:
    return client_for(world.owner.user)


@pytest.fixture
def admin_client(world: World) -> Client:
    return client_for(world.admin.user)


@pytest.fixture
def member_client(world: World) -> Client:
    return client_for(world.member.user)


@pytest.fixture
def viewer_client(world: World) -> Client:
    return client_for(world.viewer.user)


def api_client_for(membership: Membership, scope: str = "write") -> Client:
    raw = f"aln_{uuid.uuid4().hex}"
    ApiTokenFactory(raw=raw, workspace=membership.workspace, user=membership.user, scope=scope)
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


@pytest.fixture
def member_api(world: World) -> Client:
    return api_client_for(world.member)


@pytest.fixture
def admin_api(world: World) -> Client:
    return api_client_for(world.admin)


@pytest.fixture
def viewer_api(world: World) -> Client:
    return api_client_for(world.viewer)


__all__ = ["World", "api_client_for", "build_world", "client_for"]
