"""Privacy matrix: private teams and guests, over every workspace route.

Parametrized over every (route, method) that `tests.matrix` finds, in workspace A, which holds
(tests/matrix_world.py) A's public sample objects, a second sample of every model hung off a
*private* team that only an "insider" is on, and a guest who is on A's public sample team only:

- a member (and a viewer) who is not on the private team gets 404 for every route whose URL
  names something the private team owns, and nothing changes; routes naming only
  workspace-wide things (objectives, periods, tokens…) still answer;
- no page or answer a member or viewer may open shows a private title (`SECRET`), whichever
  objects fill its URL: company rollups count private work but never title it;
- a guest is refused (403, nothing changed) on every route that does not admit guests; on those
  that do, the guest's own team answers, the private team is 404, and no private title shows;
- every model a route names is classified as team-owned or workspace-wide, so a new route with
  a new kind of object fails here until someone decides.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import Client

from alignment.models import Membership, Role, Team
from tasks.models import Task
from tests import matrix
from tests.conftest import api_client_for, client_for
from tests.matrix import SECRET, TEAM_OWNED, WORKSPACE_WIDE, Case, Snapshot, Worlds, rank

# SCIM routes answer only to a SCIM token, never to a member (no team privacy applies; the
# role matrix covers them). Without this the module fails collection on their "role".
ALL_CASES = [case for case in matrix.cases() if case.route.kind != "scim"]
# Admins and owners see private teams; the roles that must not are those below admin.
NON_MEMBER_ROLES = (Role.MEMBER, Role.VIEWER)
# Query strings for routes that show nothing until asked: ask for the secret by name.
# Words of the private titles only, never SECRET itself: pages echo what was searched for.
QUERIES = {
    "tasks:search": "q=task+title",
    "api-search": "q=task+title",
    "api-tasks-similar": "title=Zq7Secret+task+title",
}


# SCIM routes answer a provisioning token with the workspace's admin view, never a person:
# who may see a private team does not apply to them (the role matrix covers their tokens).
PERSON_CASES = [case for case in ALL_CASES if case.route.kind != "scim"]


def _private_probes() -> list[pytest.param]:
    return [
        pytest.param(case, role, id=f"{case} as {role}")
        for case in PERSON_CASES
        if case.route.team_owned_kwargs()
        for role in NON_MEMBER_ROLES
        if rank(role) >= rank(case.required_role)
    ]


def _reads() -> list[pytest.param]:
    return [
        pytest.param(case, role, id=f"{case} as {role}")
        for case in PERSON_CASES
        if case.is_safe
        for role in NON_MEMBER_ROLES
        if rank(role) >= rank(case.required_role)
    ]


@pytest.fixture(scope="module")
def worlds(django_db_setup, django_db_blocker) -> Iterator[Worlds]:
    with matrix.worlds_for_a_module(django_db_blocker) as built:
        yield built


@pytest.fixture
def built(worlds: Worlds, db) -> Worlds:
    return worlds


def client_of(case: Case, membership: Membership) -> Client:
    if case.route.kind == "api":
        return api_client_for(membership, scope="write")
    return client_for(membership.user)


def url_of(case: Case, worlds: Worlds, *, private: tuple[str, ...]) -> str:
    """The route's URL in A: the kwargs in `private` name the private team's objects."""
    url = case.route.url(
        worlds.a.workspace.slug, worlds.objects_a, other=worlds.private_a, from_other=private
    )
    query = QUERIES.get(case.route.name)
    return f"{url}?{query}" if query else url


def body_text(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode(errors="replace")


@pytest.mark.parametrize(("case", "role"), _private_probes())
def test_a_private_teams_objects_are_404_to_non_members(case: Case, role: str, built: Worlds):
    client = client_of(case, built.a.membership(role))
    url = url_of(case, built, private=case.route.kwargs)
    before = Snapshot(built.a.workspace)

    response = case.route.send(client, case.method, url, case.route.body(built.objects_a))

    after = Snapshot(built.a.workspace)
    assert after == before, f"{case} as {role} changed A: {before.diff(after)}"
    assert response.status_code == 404, matrix.explain(case, url, response)


@pytest.mark.parametrize(("case", "role"), _reads())
def test_no_read_shows_a_private_title_to_non_members(case: Case, role: str, built: Worlds):
    # A's public objects: the key result the private item counts towards, the roadmap item a
    # private task sits under, the workspace-wide lists, exports and searches.
    client = client_of(case, built.a.membership(role))
    url = url_of(case, built, private=())

    response = case.route.send(client, case.method, url, {})

    assert response.status_code < 500, matrix.explain(case, url, response)
    assert SECRET not in body_text(response), (
        f"{case} as {role} shows private work at {url}: "
        f"...{_around(body_text(response), SECRET)}..."
    )


def _guest_refusals() -> list[pytest.param]:
    return [
        pytest.param(case, id=str(case))
        for case in PERSON_CASES
        if not case.route.guest_allowed(case.method)
    ]


def _guest_routes() -> list[pytest.param]:
    return [
        pytest.param(case, id=str(case))
        for case in PERSON_CASES
        if case.route.guest_allowed(case.method)
    ]


@pytest.mark.parametrize("case", _guest_refusals())
def test_a_guest_is_refused_every_route_that_does_not_admit_guests(case: Case, built: Worlds):
    guest = built.a.membership(Role.GUEST)
    client = client_of(case, guest)
    url = url_of(case, built, private=())
    before = Snapshot(built.a.workspace)

    response = case.route.send(client, case.method, url, case.route.body(built.objects_a))

    assert response.status_code == 403, matrix.explain(case, url, response)
    if case.route.kind == "api":
        assert response.json()["error"]["code"] == "role_required"
    after = Snapshot(built.a.workspace)
    assert after == before, f"{case} as a guest changed A: {before.diff(after)}"


@pytest.mark.parametrize("case", [p for p in _guest_routes() if p.values[0].is_safe])
def test_a_guest_reads_their_teams_work_and_no_private_title(case: Case, built: Worlds):
    client = client_of(case, built.a.membership(Role.GUEST))
    url = url_of(case, built, private=())

    response = case.route.send(client, case.method, url, {})

    assert response.status_code not in (403, 404, 405), matrix.explain(case, url, response)
    assert response.status_code < 500, matrix.explain(case, url, response)
    assert SECRET not in body_text(response), matrix.explain(case, url, response)


@pytest.mark.parametrize(
    "case", [p for p in _guest_routes() if p.values[0].route.team_owned_kwargs()]
)
def test_a_guest_gets_404_for_a_team_they_are_not_on(case: Case, built: Worlds):
    client = client_of(case, built.a.membership(Role.GUEST))
    url = url_of(case, built, private=case.route.kwargs)
    before = Snapshot(built.a.workspace)

    response = case.route.send(client, case.method, url, case.route.body(built.objects_a))

    after = Snapshot(built.a.workspace)
    assert after == before, f"{case} as a guest changed A: {before.diff(after)}"
    assert response.status_code == 404, matrix.explain(case, url, response)


def test_every_model_a_route_names_is_classified_for_privacy():
    unclassified = sorted(
        f"{route.name}: URL kwarg {kwarg!r} names "
        + (f"{model.__module__}.{model.__name__}" if model else "a model the matrix cannot tell")
        + "; add it to TEAM_OWNED or WORKSPACE_WIDE in tests/matrix_world.py (or FILLER_MODELS in "
        + "tests/matrix_fillers.py)"
        for route in matrix.workspace_routes()
        for kwarg, model in route.kwarg_models().items()
        if kwarg in route.tenant_kwargs and model not in TEAM_OWNED | WORKSPACE_WIDE
    )

    assert unclassified == [], "\n".join(unclassified)
    assert not TEAM_OWNED & WORKSPACE_WIDE


def test_the_privacy_matrix_has_something_to_probe(built: Worlds):
    # Guards against a matrix that passes because it tests nothing.
    assert len(_private_probes()) >= 60
    assert len(_guest_routes()) >= 10
    assert built.private_a[Team].is_private
    assert SECRET in built.private_a[Task].title
    assert (
        not built.private_a[Team]
        .team_members.filter(
            user__in=[built.a.member.user, built.a.viewer.user, built.a.guest.user]
        )
        .exists()
    )


def _around(text: str, needle: str, width: int = 120) -> str:
    at = text.find(needle)
    return text[max(0, at - width) : at + width]
