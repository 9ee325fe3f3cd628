"""Every workspace route of the URLconf, and how to fill its URL with one world's objects.

The tenancy matrix (tests/test_tenancy_matrix.py) and the role matrix (tests/test_role_matrix.py)
are parametrized over `workspace_routes()`, which walks `django.urls.get_resolver()` and keeps
every pattern whose full route starts with `w/<slug:slug>/` (pages) or
`api/v1/workspaces/<slug:slug>/` (API). A route added anywhere under those prefixes is in the
matrices on the next run, without touching these files, or it makes them fail with a message
that says what to add here.

SCIM routes (`scim/v2/<slug:slug>/`, kind "scim") are in the matrices too. They answer only
to a SCIM token bound to one workspace, never to a session or an API token, and have no roles:
the tenancy matrix sends them with a SCIM token of A (created by A's owner), and the role
matrix checks that sessions, API tokens and dead SCIM tokens of every kind are refused.
Their methods are the view's `http_method_names`.

What each route contributes:
- API viewsets (DRF router routes): the viewset class (`callback.cls`), its method -> action map
  (`callback.actions`), the model (`queryset.model`) its lookup kwarg points at, and the role of
  each method from `read_role` / `write_role` / `action_roles` (as `WorkspaceAPIMixin` computes
  it). Plain API views get their methods from the handlers they define.
- Pages: the roles `@workspace_view` stores on the view (`workspace_roles`, found through the
  `__wrapped__` chain). A page without it is a problem the matrices report: every workspace page
  must use `@workspace_view`.

Which methods a page serves. Django's `require_http_methods` (and `require_GET`/`require_POST`,
built on it) keeps its list in the closure of the function it returns; we read it from there,
walking the `__wrapped__` chain and intersecting if there are several. A page that declares
nothing is taken to serve GET and POST. Why not send every method and skip the 405s: then a
view that answers 405 *before* it scopes its lookup would pass the tenancy probe vacuously.
Here a 405 is never accepted: the matrix only sends methods a route serves, so a 405 is a
failure (either the declaration could not be read, or the view refuses a method it was
believed to serve -- declare the methods with `require_http_methods` and it is fixed).

Filling URL kwargs with a world's objects (`WorldObjects`: one object of each model in
`MODEL_SAMPLES`, built eagerly so that a snapshot taken before a request includes them):
- a viewset's lookup kwarg (`pk`, or `lookup_field` such as a task's `key`) -> that attribute
  of the sample of `queryset.model`;
- any other kwarg -> `FILLERS["<route name>:<kwarg>"]` or `FILLERS["<kwarg>"]` if present,
  else by convention `<model>_id` / `<model>_pk` (`team_member_id` -> TeamMember) -> the pk
  of the sample of that model.
A kwarg or model without either fails the matrices with the exact line to add below. Samples
that carry a per-workspace key (teams, tasks) get keys that exist in one workspace only, so
"B's T7-1" can never be found as "A's T7-1" by accident. A control test requests A's own
objects through every URL and expects no 404: a filler that names nothing would otherwise
make every tenancy probe pass.

Request bodies for unsafe methods are `{}` (JSON for the API, an empty form for pages) unless
`BODIES[route name]` gives a plausible one (built from the caller's own world). The tenancy
probe demands 404, never 400/422: a view that validates its body before looking the object up
would otherwise "pass" without proving it scopes; such a route needs a valid body in `BODIES`.

"Nothing changed" is a `Snapshot`: every row of every model with a `workspace` foreign key,
the workspace row and its members' users, as text, from one UNION query compiled once.
Worlds A and B are built once per test module (`worlds_for_a_module`); each case runs in its
own savepoint, so what one request changes is gone before the next.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlencode

from django.db.models import Model
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.views import APIView

from alignment.api_base import WorkspaceAPIMixin
from alignment.models import ROLE_RANK, Role
from scim.views import ScimView
from tests.matrix_fillers import (
    BODIES,
    CONSTANT_KWARGS,
    FILLERS,
    filler_for,
    model_for,
)
from tests.matrix_snapshot import Snapshot
from tests.matrix_world import (
    MODEL_SAMPLES,
    SECRET,
    TEAM_OWNED,
    WORKSPACE_WIDE,
    MissingFiller,
    PrivateWorldObjects,
    WorldObjects,
    Worlds,
    worlds_for_a_module,
)

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response
else:
    from django.http import HttpResponse as Response

Kind = Literal["page", "api", "scim"]
PAGE_PREFIX = "w/<slug:slug>/"
API_PREFIX = "api/v1/workspaces/<slug:slug>/"
SCIM_PREFIX = "scim/v2/<slug:slug>/"
# The role a SCIM route "requires": a SCIM token of the workspace, which no member role gives.
SCIM_TOKEN = "scim_token"
SCIM_MEDIA_TYPE = "application/scim+json"
SAFE_METHODS = ("GET",)
UNSAFE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
SERVED_METHODS = SAFE_METHODS + UNSAFE_METHODS  # HEAD follows GET, OPTIONS is metadata
DEFAULT_PAGE_METHODS = ("GET", "POST")
FORM = "application/x-www-form-urlencoded"
IGNORED_KWARGS = frozenset({"slug", "format"})


class RouteProblem(AssertionError):
    """A route that does not resolve its workspace the standard way (no @workspace_view…)."""


# --- The routes ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    kind: Kind
    name: str  # for reverse(), with namespaces
    route: str  # the full route, for messages
    kwargs: tuple[str, ...]  # URL kwargs other than the slug
    # Every method the route serves, mapped to the role it requires.
    roles: dict[str, str] = field(hash=False)
    view: Callable[..., Any] = field(hash=False, repr=False)
    viewset: type | None = None
    actions: dict[str, str] = field(default_factory=dict, hash=False)
    model: type[Model] | None = None  # what the viewset's lookup kwarg points at
    lookup_kwarg: str | None = None
    lookup_field: str = "pk"
    problems: tuple[str, ...] = ()
    methods_declared: bool = True
    # Does the route admit guests (`@workspace_view(guests=True)`, a viewset's guest_access)?
    guests: bool = False

    def guest_allowed(self, method: str) -> bool:
        """A guest may call it: the route admits guests and asks no more than a member."""
        return self.guests and rank(self.roles[method]) <= rank(Role.MEMBER)

    def kwarg_models(self) -> dict[str, type[Model] | None]:
        """The model each URL kwarg draws its object from (None: the matrix cannot tell)."""
        return {
            kwarg: self.model
            if kwarg == self.lookup_kwarg and self.model is not None
            else model_for(self.name, kwarg)
            for kwarg in self.kwargs
        }

    def team_owned_kwargs(self) -> tuple[str, ...]:
        """The kwargs naming something a team owns: hidden with a private team."""
        return tuple(k for k, m in self.kwarg_models().items() if m in TEAM_OWNED)

    @property
    def methods(self) -> tuple[str, ...]:
        return tuple(m for m in SERVED_METHODS if m in self.roles)

    @property
    def tenant_kwargs(self) -> tuple[str, ...]:
        """The kwargs that name a workspace's object (not constants such as a schema URN)."""
        return tuple(k for k in self.kwargs if f"{self.name}:{k}" not in CONSTANT_KWARGS)

    def missing_fillers(self) -> list[str]:
        missing = []
        for kwarg in self.kwargs:
            if kwarg == self.lookup_kwarg and self.model is not None:
                if self.model not in MODEL_SAMPLES:
                    missing.append(
                        f"{self.name}: its viewset {self.viewset.__name__ if self.viewset else ''}"
                        f" looks up {self.model.__module__}.{self.model.__name__}; add "
                        f"MODEL_SAMPLES[{self.model.__name__}] = lambda objects: "
                        f"{self.model.__name__}Factory(workspace=objects.workspace, ...) "
                        "to tests/matrix_world.py"
                    )
            elif filler_for(self.name, kwarg) is None:
                missing.append(
                    f"{self.name} ({self.route}): no filler for URL kwarg {kwarg!r}; add "
                    f"FILLERS[{kwarg!r}] = lambda objects: objects[<Model>].pk to "
                    "tests/matrix_world.py (or name it <model>_id and add MODEL_SAMPLES[<Model>])"
                )
        return missing

    def url(
        self,
        slug: str,
        objects: WorldObjects,
        *,
        other: WorldObjects | None = None,
        from_other: tuple[str, ...] = (),
    ) -> str:
        """The route's URL under `slug`, its kwargs filled from `objects`, except those named
        in `from_other`, which are filled from `other` (a nested id from another workspace)."""
        if self.problems:
            raise RouteProblem("\n".join(self.problems))
        missing = self.missing_fillers()
        if missing:
            raise MissingFiller("\n".join(missing))
        values: dict[str, object] = {"slug": slug}
        for kwarg in self.kwargs:
            source = other if other is not None and kwarg in from_other else objects
            if kwarg == self.lookup_kwarg and self.model is not None:
                values[kwarg] = getattr(source[self.model], self.lookup_field)
            else:
                filler = filler_for(self.name, kwarg)
                assert filler is not None
                values[kwarg] = filler(source)
        return reverse(self.name, kwargs=values)

    def body(self, objects: WorldObjects) -> dict[str, Any]:
        make = BODIES.get(self.name)
        return make(objects) if make else {}

    def send(self, client: Client, method: str, url: str, body: dict[str, Any]) -> Response:
        if self.kind == "scim":
            if method in SAFE_METHODS:
                return client.generic(method, url)
            return client.generic(method, url, json.dumps(body), content_type=SCIM_MEDIA_TYPE)
        if self.kind == "api":
            if method in SAFE_METHODS:
                return client.generic(method, url, HTTP_ACCEPT="application/json")
            return client.generic(
                method,
                url,
                json.dumps(body),
                content_type="application/json",
                HTTP_ACCEPT="application/json",
            )
        if method in SAFE_METHODS:
            return client.generic(method, url)
        if method == "POST":
            return client.post(url, body)
        return client.generic(method, url, urlencode(body), content_type=FORM)

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class Case:
    route: Route
    method: str

    @property
    def required_role(self) -> str:
        return self.route.roles[self.method]

    @property
    def is_safe(self) -> bool:
        return self.method in SAFE_METHODS

    def __str__(self) -> str:
        return f"{self.method} {self.route.name}"


def _chain(view: Callable[..., Any]) -> Iterator[Callable[..., Any]]:
    seen: set[int] = set()
    current: Any = view
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = getattr(current, "__wrapped__", None)


def declared_methods(view: Callable[..., Any]) -> frozenset[str] | None:
    """The methods `require_http_methods` (or require_GET/POST/safe) lets through, if any."""
    allowed: frozenset[str] | None = None
    for func in _chain(view):
        code = getattr(func, "__code__", None)
        closure = getattr(func, "__closure__", None)
        if code is None or not closure or "request_method_list" not in code.co_freevars:
            continue
        methods = frozenset(closure[code.co_freevars.index("request_method_list")].cell_contents)
        allowed = methods if allowed is None else allowed & methods
    return allowed


def workspace_roles(view: Callable[..., Any]) -> dict[str, Any] | None:
    for func in _chain(view):
        roles = getattr(func, "workspace_roles", None)
        if roles is not None:
            return dict(roles)
    return None


def _api_route(name: str, full: str, kwargs: tuple[str, ...], callback: Any) -> Route:
    cls = callback.cls
    problems: list[str] = []
    if not issubclass(cls, WorkspaceAPIMixin):
        problems.append(
            f"{name} ({full}): {cls.__name__} must subclass WorkspaceViewSet (or "
            "WorkspaceAPIMixin for a plain API view): that is what resolves the workspace"
        )
    actions: dict[str, str] = {
        m.upper(): a for m, a in (getattr(callback, "actions", None) or {}).items()
    }
    if not actions:  # a plain APIView: the handlers it defines
        actions = {m: "" for m in SERVED_METHODS if hasattr(cls, m.lower())}
    action_roles: dict[str, str] = getattr(cls, "action_roles", {})
    read_role = getattr(cls, "read_role", Role.VIEWER)
    write_role = getattr(cls, "write_role", Role.MEMBER)
    roles = {
        method: action_roles.get(action) or (read_role if method in SAFE_METHODS else write_role)
        for method, action in actions.items()
        if method in SERVED_METHODS
    }
    queryset = getattr(cls, "queryset", None)
    lookup_field = getattr(cls, "lookup_field", "pk") or "pk"
    lookup_kwarg = getattr(cls, "lookup_url_kwarg", None) or lookup_field
    return Route(
        kind="api",
        name=name,
        route=full,
        kwargs=kwargs,
        roles=roles,
        view=callback,
        viewset=cls,
        actions={m: a for m, a in actions.items() if a},
        model=queryset.model if queryset is not None and lookup_kwarg in kwargs else None,
        lookup_kwarg=lookup_kwarg if lookup_kwarg in kwargs else None,
        lookup_field=lookup_field,
        problems=tuple(problems),
        guests=bool(getattr(cls, "guest_access", False)),
    )


def _scim_route(name: str, full: str, kwargs: tuple[str, ...], callback: Any) -> Route:
    cls = getattr(callback, "view_class", None)
    problems: list[str] = []
    if cls is None or not issubclass(cls, ScimView):
        problems.append(f"{name} ({full}): a SCIM route must be a scim.views.ScimView")
    declared = {m.upper() for m in getattr(cls, "http_method_names", [])}
    return Route(
        kind="scim",
        name=name,
        route=full,
        kwargs=kwargs,
        roles={m: SCIM_TOKEN for m in SERVED_METHODS if m in declared},
        view=callback,
        problems=tuple(problems),
    )


def _page_route(name: str, full: str, kwargs: tuple[str, ...], callback: Any) -> Route:
    problems: list[str] = []
    roles = workspace_roles(callback)
    if roles is None:
        problems.append(
            f"{name} ({full}): every workspace page must use @workspace_view(read=..., "
            "write=...) from alignment.tenancy"
        )
        roles = {"read": Role.OWNER, "write": Role.OWNER}
    declared = declared_methods(callback)
    methods = (
        tuple(m for m in SERVED_METHODS if m in declared)
        if declared is not None
        else DEFAULT_PAGE_METHODS
    )
    return Route(
        kind="page",
        name=name,
        route=full,
        kwargs=kwargs,
        roles={m: roles["read" if m in SAFE_METHODS else "write"] for m in methods},
        view=callback,
        problems=tuple(problems),
        methods_declared=declared is not None,
        guests=bool(roles.get("guests", False)),
    )


def _walk(
    patterns: list[Any], prefix: str, namespaces: tuple[str, ...], kwargs: tuple[str, ...]
) -> Iterator[tuple[str, str, tuple[str, ...], Any]]:
    for entry in patterns:
        piece = str(entry.pattern).removeprefix("^").removesuffix("$")
        full = prefix + piece
        found = kwargs + tuple(k for k in entry.pattern.regex.groupindex if k not in kwargs)
        if isinstance(entry, URLResolver):
            inner = (*namespaces, entry.namespace) if entry.namespace else namespaces
            yield from _walk(entry.url_patterns, full, inner, found)
        elif isinstance(entry, URLPattern):
            name = ":".join((*namespaces, entry.name)) if entry.name else ""
            yield full, name, found, entry.callback


@functools.cache
def workspace_routes() -> tuple[Route, ...]:
    """Every route under the page and API workspace prefixes, in URLconf order."""
    routes = []
    for full, name, kwargs, callback in _walk(get_resolver().url_patterns, "", (), ()):
        kind: Kind
        if full.startswith(API_PREFIX):
            kind = "api"
        elif full.startswith(PAGE_PREFIX):
            kind = "page"
        elif full.startswith(SCIM_PREFIX):
            kind = "scim"
        else:
            continue
        args = tuple(k for k in kwargs if k not in IGNORED_KWARGS)
        if not name:
            routes.append(
                Route(
                    kind=kind,
                    name=f"<unnamed {full}>",
                    route=full,
                    kwargs=args,
                    roles={},
                    view=callback,
                    problems=(f"{full}: every workspace route needs a name= for reverse()",),
                )
            )
        elif kind == "scim":
            routes.append(_scim_route(name, full, args, callback))
        elif isinstance(getattr(callback, "cls", None), type) and issubclass(callback.cls, APIView):
            routes.append(_api_route(name, full, args, callback))
        elif kind == "api":
            routes.append(
                Route(
                    kind=kind,
                    name=name,
                    route=full,
                    kwargs=args,
                    roles={},
                    view=callback,
                    problems=(f"{name} ({full}): an API route must be a WorkspaceViewSet",),
                )
            )
        else:
            routes.append(_page_route(name, full, args, callback))
    return tuple(routes)


def cases(*, kind: str | None = None) -> list[Case]:
    """(route, method) for every method every workspace route serves."""
    return [
        Case(route, method)
        for route in workspace_routes()
        if kind is None or route.kind == kind
        for method in route.methods
    ]


def routes_naming_a_workspace_outside_the_matrices() -> list[str]:
    """Routes whose URL takes a workspace slug but that no matrix knows (a new prefix)."""
    known = (PAGE_PREFIX, API_PREFIX, SCIM_PREFIX)
    return [
        full
        for full, _name, kwargs, _callback in _walk(get_resolver().url_patterns, "", (), ())
        if "slug" in kwargs and not full.startswith(known)
    ]


def rank(role: str) -> int:
    return ROLE_RANK[role]


def explain(case: Case, url: str, response: Response) -> str:
    body = response.content[:300].decode(errors="replace")
    hint = ""
    if response.status_code == 405:
        hint = " -- the matrix believed this method is served" + (
            " (the page declares no methods: add @require_http_methods([...]))"
            if not case.route.methods_declared
            else ""
        )
    elif response.status_code in (400, 422):
        hint = (
            " -- refused by validation, which proves nothing about scoping: look the object "
            f"up before validating, or add BODIES[{case.route.name!r}] (a valid body) to "
            "tests/matrix_fillers.py"
        )
    return f"{case} {url} answered {response.status_code}{hint}: {body}"


__all__ = [
    "BODIES",
    "FILLERS",
    "MODEL_SAMPLES",
    "SECRET",
    "TEAM_OWNED",
    "WORKSPACE_WIDE",
    "PrivateWorldObjects",
    "Case",
    "MissingFiller",
    "Route",
    "RouteProblem",
    "Snapshot",
    "WorldObjects",
    "Worlds",
    "cases",
    "explain",
    "workspace_routes",
    "worlds_for_a_module",
]
