"""What a bearer token authenticates as, remembered in the cache between requests (issue #15).

Reading a token with its user, workspace and membership is one query, but building it through
the ORM cost about half of an API request's fixed time. A request whose token was read before
instead reads one cache entry (the rows' values) and the generation counters that guard it, in
one round trip (`get_many`; in the API, the round trip that also counts the request's rate
limits), and builds the same model instances from those values.

Invalidation is by generation, not by deleting entries: every change to a token, a user, a
workspace or a membership bumps its counter after its transaction commits (`connect`), and an
entry is used only while every counter it was read under is unchanged. The counters are read
*before* the database, so a request that reads old rows while a change commits stores them
under the old counters, where no later request will use them (deleting the entry instead could
race with that request writing it back). A revoked token, a removed member, a changed role, a
deactivated user or a renamed workspace is therefore seen by the very next request.

The counters a token needs are keyed by its workspace and user, which a token never changes, so
each process remembers `token hash → (token, workspace, user)` ids once it has read the token
from the database; the first request of a process for a token reads the database and caches
nothing (its counters were not read before the rows). If the cache is unreachable, reads miss
(the database answers, as before) and bumps are lost: entries then live at most `ENTRY_TTL`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.db.models import Model
from django.db.models.signals import post_delete, post_save

from alignment.models import ApiToken, Membership, User, Workspace

ENTRY_TTL = 60  # seconds: bounds an entry whose invalidation was lost in a cache outage
GENERATION_TTL = 86400  # outlives every entry, so an expired counter cannot revive one
KNOWN_MAX = 10_000  # token hashes a process remembers the ids of

PREFIX = "apiauth:1"  # of the generation counters: every version of this code bumps these


def _columns(model: type[Model], *, without: frozenset[str] = frozenset()) -> tuple[str, ...]:
    # Every column (attnames) in the model's own order: `Model.from_db` pairs values with
    # fields by that order, and a field added to the model is cached with the others.
    return tuple(f.attname for f in model._meta.concrete_fields if f.attname not in without)


TOKEN_FIELDS = _columns(ApiToken)
# A user's password hash stays out of the cache: the API never reads it (reading it would
# load it, as for any deferred field).
USER_FIELDS = _columns(User, without=frozenset({"password"}))
WORKSPACE_FIELDS = _columns(Workspace)
MEMBERSHIP_FIELDS = _columns(Membership)

# Entries are keyed by the columns they hold, so code with other columns (a deploy that
# added a field) never reads another version's entries; all versions share the counters.
ENTRY_PREFIX = (
    "apiauth:entry:"
    + hashlib.sha256(
        repr((TOKEN_FIELDS, USER_FIELDS, WORKSPACE_FIELDS, MEMBERSHIP_FIELDS)).encode()
    ).hexdigest()[:12]
)

# Reads cache entries for a token id: (token id, keys) → the entries found.
Reader = Callable[[int, list[str]], dict[str, Any]]

# token hash → (token id, workspace id, user id): facts a token never changes.
_known: dict[str, tuple[int, int, int]] = {}


def _generation_keys(token_id: int, workspace_id: int, user_id: int) -> list[str]:
    return [
        f"{PREFIX}:gen:t{token_id}",
        f"{PREFIX}:gen:w{workspace_id}",
        f"{PREFIX}:gen:u{user_id}",
        f"{PREFIX}:gen:m{workspace_id}:{user_id}",
    ]


def _entry_key(token_id: int) -> str:
    return f"{ENTRY_PREFIX}:{token_id}"


def _values(obj: Model, fields: tuple[str, ...]) -> tuple[Any, ...]:
    return tuple(getattr(obj, name) for name in fields)


def _build(model: type[Model], fields: tuple[str, ...], values: tuple[Any, ...]) -> Any:
    return model.from_db("default", list(fields), list(values))


class Lookup:
    """One request's view of the cache for one token hash: `cached()` the token if its entry
    is current, else `remember()` what the database answered (when that is safe)."""

    def __init__(self, token_hash: str, read: Reader | None = None) -> None:
        """`read(token id, keys)` reads the cache entries `keys` (by default
        `cache.get_many`); the API's authentication passes one that counts the token's rate
        limits in the same round trip (`api_throttling.count_with_token_read`). It is called
        only for a token this process has read before."""
        self.token_hash = token_hash
        self.ids = _known.get(token_hash)
        self.generations: tuple[Any, ...] | None = None
        self.entry: Any = None
        if self.ids is not None:
            keys = _generation_keys(*self.ids)
            entry_key = _entry_key(self.ids[0])
            if read is None:
                found = cache.get_many([entry_key, *keys])
            else:
                found = read(self.ids[0], [entry_key, *keys])
            self.generations = tuple(found.get(key, 0) for key in keys)
            self.entry = found.get(entry_key)

    def cached(self) -> ApiToken | None:
        """The token with `user`, `workspace` and `membership` set, if its entry is current."""
        entry = self.entry
        if entry is None or entry[0] != self.generations:
            return None
        _, token_values, user_values, workspace_values, membership_values = entry
        token: Any = _build(ApiToken, TOKEN_FIELDS, token_values)
        token.user = _build(User, USER_FIELDS, user_values)
        token.workspace = _build(Workspace, WORKSPACE_FIELDS, workspace_values)
        membership = None
        if membership_values is not None:
            membership = _build(Membership, MEMBERSHIP_FIELDS, membership_values)
            membership.workspace, membership.user = token.workspace, token.user
        token.membership = membership
        return token  # type: ignore[no-any-return]

    def remember(self, token: ApiToken) -> None:
        """Store `token` (read from the database after this lookup's counters) for the next
        requests; the first time this process meets the token, only learn its ids."""
        if self.generations is None:
            if len(_known) >= KNOWN_MAX:
                _known.clear()
            _known[self.token_hash] = (token.pk, token.workspace_id, token.user_id)
            return
        membership = getattr(token, "membership", None)
        entry = (
            self.generations,
            _values(token, TOKEN_FIELDS),
            _values(token.user, USER_FIELDS),
            _values(token.workspace, WORKSPACE_FIELDS),
            None if membership is None else _values(membership, MEMBERSHIP_FIELDS),
        )
        cache.set(_entry_key(token.pk), entry, ENTRY_TTL)


def _bump(key: str) -> None:
    # add + incr (any cache backend; a lost race only bumps twice). Unreachable: the entry
    # expires by itself (ENTRY_TTL).
    cache.add(key, 0, GENERATION_TTL)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr, or the cache is unreachable
        cache.add(key, 1, GENERATION_TTL)


def bump(key: str) -> None:
    """Invalidate every entry read under counter `key`: now, and again once the change is
    committed. The first bump covers the rest of this transaction (and tests, which never
    commit); the second the requests that read the old rows meanwhile and stored them under
    the first bump's counter."""
    _bump(key)
    transaction.on_commit(lambda: _bump(key), robust=True)


# A new token, user or workspace has no entry yet; a new membership can (a token whose user
# was no member is cached without one).
def _on_token(instance: ApiToken, created: bool = False, **_: Any) -> None:
    if not created:
        bump(f"{PREFIX}:gen:t{instance.pk}")


def _on_user(instance: User, created: bool = False, **_: Any) -> None:
    if not created:
        bump(f"{PREFIX}:gen:u{instance.pk}")


def _on_workspace(instance: Workspace, created: bool = False, **_: Any) -> None:
    if not created:
        bump(f"{PREFIX}:gen:w{instance.pk}")


def _on_membership(instance: Membership, **_: Any) -> None:
    bump(f"{PREFIX}:gen:m{instance.workspace_id}:{instance.user_id}")


RECEIVERS: tuple[tuple[type[Model], Callable[..., None]], ...] = (
    (ApiToken, _on_token),
    (User, _on_user),
    (Workspace, _on_workspace),
    (Membership, _on_membership),
)


def connect() -> None:
    """Bump on every save and delete of the four models (AlignmentConfig.ready). Model
    signals, not services: a cache must hear of every write, including admin, SCIM and
    cascades, and this is no domain behaviour (listed in docs/development.md, "Signals kept,
    and why").
    A bulk `QuerySet.update` sends no signal: the one on tokens (SCIM deprovisioning) runs
    after the membership's deletion, which already bumps its counter."""
    for model, receiver in RECEIVERS:
        uid = f"api_auth_cache:{model.__name__}"
        post_save.connect(receiver, sender=model, dispatch_uid=uid + ":save")
        post_delete.connect(receiver, sender=model, dispatch_uid=uid + ":delete")
