"""Role matrix: each workspace route answers what its declared role says, in A, on A's objects.

Parametrized over every (route, method) that `tests.matrix` finds, with the role each one
declares (`@workspace_view(read=, write=)`, or a viewset's `read_role`/`write_role`/
`action_roles`):
- every role below the required one gets 403 and nothing in the workspace changes (the viewer
  is refused every write above viewer, the member every admin write, the admin every owner
  write, and the same for reads declared above viewer);
- the required role itself may read: a safe method answers neither 403 nor 404;
- a read-scope API token is refused every unsafe method with 403 `token_scope`, whatever the
  role of its owner.
SCIM routes have no member roles: they answer only to a live SCIM token of the workspace whose
creator is still an admin there. Sessions and API tokens of any role (the owner's included),
revoked SCIM tokens and tokens of a demoted creator get 401 and change nothing.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import Client
from django.utils import timezone

from alignment.models import Membership, Role
from scim.models import ScimToken
from tests import matrix
from tests.conftest import api_client_for, client_for
from tests.matrix import Case, Snapshot, WorldObjects, Worlds, rank
from tests.scim.conftest import scim_client_for

ALL_CASES = [case for case in matrix.cases() if case.route.kind != "scim"]
SCIM_CASES = matrix.cases(kind="scim")

ROLES_BELOW_REQUIRED = [
    pytest.param(case, role, id=f"{case} as {role}")
    for case in ALL_CASES
    for role in Role.values
    if rank(role) < rank(case.required_role)
]
READS_BY_REQUIRED_ROLE = [
    pytest.param(case, id=f"{case} as {case.required_role}") for case in ALL_CASES if case.is_safe
]
API_WRITES = [c for c in ALL_CASES if c.route.kind == "api" and not c.is_safe]


@pytest.fixture(scope="module")
def worlds(django_db_setup, django_db_blocker) -> Iterator[Worlds]:
    with matrix.worlds_for_a_module(django_db_blocker) as built:
        yield built


@pytest.fixture
def world_a_objects(worlds: Worlds, db) -> WorldObjects:
    """Workspace A, a person of every role, one object of each sampled model."""
    return worlds.objects_a


def client_of(case: Case, membership: Membership) -> Client:
    """A session for pages, a write-scope bearer token for the API."""
    if case.route.kind == "api":
        return api_client_for(membership, scope="write")
    return client_for(membership.user)


@pytest.mark.parametrize(("case", "role"), ROLES_BELOW_REQUIRED)
def test_a_role_below_the_required_one_is_refused_with_403(
    case: Case, role: str, world_a_objects: WorldObjects
):
    world = world_a_objects.world
    client = client_of(case, world.membership(role))
    url = case.route.url(world.workspace.slug, world_a_objects)
    before = Snapshot(world.workspace)

    response = case.route.send(client, case.method, url, case.route.body(world_a_objects))

    assert response.status_code == 403, matrix.explain(case, url, response)
    if case.route.kind == "api":
        assert response.json()["error"]["code"] == "role_required"
    after = Snapshot(world.workspace)
    assert after == before, f"{case} as {role} changed the workspace: {before.diff(after)}"


@pytest.mark.parametrize("case", READS_BY_REQUIRED_ROLE)
def test_the_required_role_can_read(case: Case, world_a_objects: WorldObjects):
    world = world_a_objects.world
    client = client_of(case, world.membership(case.required_role))
    url = case.route.url(world.workspace.slug, world_a_objects)

    response = case.route.send(client, case.method, url, {})

    assert response.status_code not in (403, 404, 405), matrix.explain(case, url, response)
    assert response.status_code < 500, matrix.explain(case, url, response)


@pytest.mark.parametrize("case", API_WRITES, ids=str)
def test_a_read_scope_token_cannot_write(case: Case, world_a_objects: WorldObjects):
    world = world_a_objects.world
    client = api_client_for(world.owner, scope="read")
    url = case.route.url(world.workspace.slug, world_a_objects)
    before = Snapshot(world.workspace)

    response = case.route.send(client, case.method, url, case.route.body(world_a_objects))

    assert response.status_code == 403, matrix.explain(case, url, response)
    assert response.json()["error"]["code"] == "token_scope"
    after = Snapshot(world.workspace)
    assert after == before, f"{case} with a read token changed the workspace: {before.diff(after)}"


def test_the_role_matrix_covers_every_kind_of_refusal():
    refused_roles = {role for param in ROLES_BELOW_REQUIRED for role in param.values[1:]}

    assert refused_roles == {Role.GUEST, Role.VIEWER, Role.MEMBER, Role.ADMIN}
    assert len(API_WRITES) >= 10
    assert any(case.route.kind == "page" for case in ALL_CASES if not case.is_safe)


def _owners_session(world_objects: WorldObjects) -> Client:
    return client_for(world_objects.world.owner.user)


def _owners_api_token(world_objects: WorldObjects) -> Client:
    return api_client_for(world_objects.world.owner, scope="write")


def _revoked_scim_token(world_objects: WorldObjects) -> Client:
    client = scim_client_for(world_objects.world.owner).client
    ScimToken.objects.filter(workspace=world_objects.workspace).update(revoked_at=timezone.now())
    return client


def _demoted_admins_scim_token(world_objects: WorldObjects) -> Client:
    admin = world_objects.world.admin
    client = scim_client_for(admin).client
    Membership.objects.filter(pk=admin.pk).update(role=Role.MEMBER)
    return client


REFUSED_SCIM_CREDENTIALS = {
    "owner's session": _owners_session,
    "owner's write API token": _owners_api_token,
    "revoked SCIM token": _revoked_scim_token,
    "SCIM token of a demoted admin": _demoted_admins_scim_token,
}


@pytest.mark.parametrize(
    ("case", "credential"),
    [
        pytest.param(case, credential, id=f"{case} with {credential}")
        for case in SCIM_CASES
        for credential in REFUSED_SCIM_CREDENTIALS
    ],
)
def test_scim_refuses_every_credential_but_a_live_scim_token(
    case: Case, credential: str, world_a_objects: WorldObjects
):
    world = world_a_objects.world
    client = REFUSED_SCIM_CREDENTIALS[credential](world_a_objects)
    url = case.route.url(world.workspace.slug, world_a_objects)
    before = Snapshot(world.workspace)

    response = case.route.send(client, case.method, url, case.route.body(world_a_objects))

    assert response.status_code == 401, matrix.explain(case, url, response)
    assert response.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    after = Snapshot(world.workspace)
    assert after == before, f"{case} with {credential} changed the workspace: {before.diff(after)}"


@pytest.mark.parametrize("case", [c for c in SCIM_CASES if c.is_safe], ids=str)
def test_a_live_scim_token_can_read(case: Case, world_a_objects: WorldObjects):
    world = world_a_objects.world
    client = scim_client_for(world.admin).client
    url = case.route.url(world.workspace.slug, world_a_objects)

    response = case.route.send(client, case.method, url, {})

    assert response.status_code == 200, matrix.explain(case, url, response)


def test_the_scim_part_of_the_role_matrix_covers_every_scim_route():
    assert {case.route.name for case in SCIM_CASES} == {
        route.name for route in matrix.workspace_routes() if route.kind == "scim"
    }
    assert {case.method for case in SCIM_CASES} == {"GET", "POST", "PUT", "PATCH", "DELETE"}
