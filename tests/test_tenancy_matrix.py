"""Tenancy matrix: from workspace A, nothing of workspace B can be read or changed.

Parametrized over every (route, method) under /w/<slug>/ and /api/v1/workspaces/<slug>/ that
`tests.matrix` finds in the URLconf, as the OWNER of A (the strongest role, so no refusal can
come from a role check): B's objects under A's slug, and anything under B's slug, are 404 --
not 400/422 (validation proves nothing about scoping), not 403, not 405 -- and B's rows are
exactly as before. Routes that nest several ids are also probed with one foreign id at a time.
SCIM routes are sent with a SCIM token of A, the only credential they accept.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.test import Client

from alignment.models import Membership, Team, Workspace
from tests import matrix
from tests.conftest import api_client_for, client_for
from tests.matrix import Case, Snapshot, WorldObjects, Worlds
from tests.scim.conftest import scim_client_for

ALL_CASES = matrix.cases()


@dataclass(frozen=True)
class Probe:
    case: Case
    from_b: tuple[str, ...]  # the URL kwargs filled with B's objects; the rest are A's

    def __str__(self) -> str:
        if set(self.from_b) == set(self.case.route.tenant_kwargs):
            return f"{self.case} [all ids from B]"
        return f"{self.case} [{', '.join(self.from_b)} from B]"


def _probes() -> list[Probe]:
    probes = []
    for case in ALL_CASES:
        kwargs = case.route.tenant_kwargs
        if not kwargs:
            continue
        probes.append(Probe(case, kwargs))
        if len(kwargs) > 1:  # a nested id from B under a parent of A's, one at a time
            probes.extend(Probe(case, (kwarg,)) for kwarg in kwargs)
    return probes


PROBES = _probes()


@pytest.fixture(scope="module")
def worlds(django_db_setup, django_db_blocker) -> Iterator[Worlds]:
    with matrix.worlds_for_a_module(django_db_blocker) as built:
        yield built


@pytest.fixture
def world_a_objects(worlds: Worlds, db) -> WorldObjects:
    """Workspace A, the caller's, with one object of each sampled model."""
    return worlds.objects_a


@pytest.fixture
def world_b_objects(worlds: Worlds, db) -> WorldObjects:
    """Workspace B, the other tenant, with one object of each sampled model."""
    return worlds.objects_b


def client_of(case: Case, membership: Membership) -> Client:
    """A session for pages, a write-scope bearer token for the API, a SCIM token for SCIM."""
    if case.route.kind == "scim":
        return scim_client_for(membership).client
    if case.route.kind == "api":
        return api_client_for(membership, scope="write")
    return client_for(membership.user)


@pytest.mark.parametrize("probe", PROBES, ids=str)
def test_another_workspaces_objects_are_404_under_my_workspace(
    probe: Probe, world_a_objects: WorldObjects, world_b_objects: WorldObjects
):
    case, world, world_b = probe.case, world_a_objects.world, world_b_objects.world
    client = client_of(case, world.owner)
    url = case.route.url(
        world.workspace.slug, world_a_objects, other=world_b_objects, from_other=probe.from_b
    )
    before = Snapshot(world_b.workspace)

    response = case.route.send(client, case.method, url, case.route.body(world_a_objects))

    after = Snapshot(world_b.workspace)
    assert after == before, f"{case} changed workspace B: {before.diff(after)}"
    assert response.status_code == 404, matrix.explain(case, url, response)


@pytest.mark.parametrize("case", ALL_CASES, ids=str)
def test_another_workspaces_routes_are_404(
    case: Case, world_a_objects: WorldObjects, world_b_objects: WorldObjects
):
    world, world_b = world_a_objects.world, world_b_objects.world
    client = client_of(case, world.owner)
    url = case.route.url(world_b.workspace.slug, world_b_objects)
    before = Snapshot(world_b.workspace)

    response = case.route.send(client, case.method, url, case.route.body(world_a_objects))

    after = Snapshot(world_b.workspace)
    assert after == before, f"{case} changed workspace B: {before.diff(after)}"
    assert response.status_code == 404, matrix.explain(case, url, response)


@pytest.mark.parametrize("case", [c for c in ALL_CASES if c.route.kwargs], ids=str)
def test_my_own_objects_are_found_through_the_same_urls(case: Case, world_a_objects: WorldObjects):
    world = world_a_objects.world
    # The control experiment: the fillers name real objects, so the 404s above come from
    # scoping, not from ids that exist nowhere.
    client = client_of(case, world.owner)
    url = case.route.url(world.workspace.slug, world_a_objects)

    response = case.route.send(client, case.method, url, case.route.body(world_a_objects))

    assert response.status_code not in (404, 405), matrix.explain(case, url, response)
    assert response.status_code < 500, matrix.explain(case, url, response)


def test_every_workspace_route_kwarg_has_a_filler():
    missing = [line for route in matrix.workspace_routes() for line in route.missing_fillers()]

    assert missing == [], "\n".join(missing)


def test_every_route_that_names_a_workspace_is_in_the_matrices():
    # A new prefix taking a workspace slug (e.g. /scim/v2/<slug>/) must be taught to
    # tests/matrix.py, or its routes would be probed by nothing.
    assert matrix.routes_naming_a_workspace_outside_the_matrices() == []


def test_the_matrix_finds_the_scim_routes_with_their_methods():
    by_name = {route.name: route for route in matrix.workspace_routes()}

    assert by_name["scim:users"].kind == "scim"
    assert by_name["scim:users"].methods == ("GET", "POST")
    assert by_name["scim:user"].methods == ("GET", "PUT", "PATCH", "DELETE")
    assert by_name["scim:user"].tenant_kwargs == ("scim_user_id",)
    assert by_name["scim:schema"].tenant_kwargs == ()


def test_every_workspace_route_resolves_its_workspace_the_standard_way():
    problems = [line for route in matrix.workspace_routes() for line in route.problems]

    assert problems == [], "\n".join(problems)


def test_the_matrix_finds_pages_and_api_routes():
    routes = matrix.workspace_routes()
    names = {route.name for route in routes}
    kinds = {route.kind: 0 for route in routes}
    for route in routes:
        kinds[route.kind] += 1

    assert {
        "workspace:home",
        "workspace:team_edit",
        "workspace:token_revoke",
        "api-teams-list",
        "api-teams-detail",
        "api-members-detail",
    } <= names
    assert kinds["page"] >= 19
    assert kinds["api"] >= 11
    assert {case.method for case in ALL_CASES} >= {"GET", "POST", "PUT", "PATCH", "DELETE"}
    assert len(PROBES) >= 20


def test_the_matrix_knows_each_routes_methods_and_lookup():
    by_name = {route.name: route for route in matrix.workspace_routes()}

    assert by_name["workspace:home"].methods == ("GET",)
    assert by_name["workspace:team_member_remove"].methods == ("POST",)
    assert by_name["workspace:team_member_remove"].kwargs == ("team_id", "team_member_id")
    assert by_name["api-teams-detail"].methods == ("GET", "PUT", "DELETE")
    assert by_name["api-teams-detail"].lookup_kwarg == "pk"
    assert by_name["api-teams-detail"].model is Team


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(
            lambda team: Team.objects.filter(pk=team.pk).update(name="Renamed"), id="edit"
        ),
        pytest.param(
            lambda team: Team.objects.create(workspace=team.workspace, key="NEW"), id="add"
        ),
        pytest.param(lambda team: team.team_members.all().delete(), id="delete"),
        pytest.param(
            lambda team: Team.objects.filter(pk=team.pk).update(
                workspace=Workspace.objects.create(name="Elsewhere", slug="elsewhere")
            ),
            id="move out",
        ),
    ],
)
def test_the_snapshot_sees_any_change_to_a_workspaces_rows(change, world_b_objects: WorldObjects):
    # The "nothing changed in B" assertions are only as good as this.
    before = Snapshot(world_b_objects.workspace)

    change(world_b_objects[Team])

    assert Snapshot(world_b_objects.workspace) != before
