"""The registry of what a socket may follow: topic kinds, each with its access check and ops.

A page subscribes to topics such as `board:12` (kind `board`, reference `12`). The kind says
who may follow it (checked like the page: workspace, private teams through `visible_to`, role),
which groups deliver to it, whether it shows presence, and which operations a client may send
on it; an operation marked `write` needs a member (or a write-scope token) and is refused to
viewers with 4403 before its handler runs. Other apps add kinds in their AppConfig.ready:

    topics.register(TopicKind(name="document", authorize=document_access, presence=True,
                              ops={"update": Op(apply_update, write=True)}))

The socket tenancy matrix (tests/live/test_tenancy_matrix_sockets.py) fails for a kind it
does not probe, so a new kind cannot ship without its cross-workspace test.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from alignment.errors import DomainError
from alignment.models import Membership, Role
from alignment.tenancy import require_role
from live.errors import BadFrame, Forbidden, NotFound

TOPIC = re.compile(r"^(?P<kind>[a-z][a-z_]{1,30})(?::(?P<ref>[A-Za-z0-9_-]{1,40}))?$")


@dataclass(frozen=True)
class Access:
    """Who is asking: their membership and whether their credential may write at all (a
    read-scope API token may not, whatever the role)."""

    membership: Membership
    credential_writes: bool = True

    @property
    def workspace_id(self) -> int:
        return self.membership.workspace_id

    def can_write(self, *, guests: bool = True) -> bool:
        """Members and above (and guests on a route that admits them) with a writing credential."""
        if not self.credential_writes:
            return False
        try:
            require_role(self.membership, Role.MEMBER, guests=guests)
        except DomainError:
            return False
        return True


@dataclass(frozen=True)
class Subscription:
    """A granted topic: the groups that deliver to it, presence, and whether writes pass."""

    topic: str
    groups: tuple[str, ...]
    can_write: bool
    presence_group: str | None = None
    # Ids the topic's ops need (team_id, task_id …), resolved once by the access check.
    context: dict[str, Any] = field(default_factory=dict)


# An op gets the access, the subscription and the frame; it returns a reply for the client
# (or None). It runs synchronously (through database_sync_to_async) and calls services.
OpHandler = Callable[[Access, Subscription, dict[str, Any]], dict[str, Any] | None]


@dataclass(frozen=True)
class Op:
    handler: OpHandler
    write: bool


@dataclass(frozen=True)
class TopicKind:
    name: str
    # Raises NotFound (another workspace's object, a hidden team, a missing id: the same
    # answer) or Forbidden; returns the granted subscription.
    authorize: Callable[[Access, str], Subscription]
    ops: dict[str, Op] = field(default_factory=dict)
    # Describes the kind for the docs and the matrix: the reference it takes ("team id" …).
    reference: str = ""


_kinds: dict[str, TopicKind] = {}


def register(kind: TopicKind) -> None:
    existing = _kinds.get(kind.name)
    if existing is not None and existing is not kind:
        if existing.authorize is kind.authorize:
            return  # the same app registering twice (tests reload AppConfigs)
        raise ValueError(f"live topic kind {kind.name!r} is registered twice")
    _kinds[kind.name] = kind


def kinds() -> dict[str, TopicKind]:
    return dict(_kinds)


def parse(topic: object) -> tuple[TopicKind, str]:
    """The kind and reference of a topic string; BadFrame when malformed, NotFound when the
    kind does not exist (so a typo and a foreign id read alike to a prober)."""
    if not isinstance(topic, str):
        raise BadFrame("topic must be a string such as 'board:12'")
    match = TOPIC.match(topic)
    if match is None:
        raise BadFrame("topic is malformed; use 'kind:reference'")
    kind = _kinds.get(match["kind"])
    if kind is None:
        raise NotFound(f"no such topic kind: {match['kind']}")
    return kind, match["ref"] or ""


def authorize(access: Access, topic: str) -> Subscription:
    """Check `access` may follow `topic` (synchronous: it reads the database)."""
    kind, reference = parse(topic)
    return kind.authorize(access, reference)


def op_of(subscription: Subscription, name: object, access: Access) -> Op:
    """The op named `name` on the subscription's kind, if this socket may send it."""
    kind, _ = parse(subscription.topic)
    if not isinstance(name, str) or name not in kind.ops:
        raise BadFrame(f"unknown op for {kind.name}")
    op = kind.ops[name]
    if op.write and not subscription.can_write:
        raise Forbidden("this socket may not change anything (viewer or read-only token)")
    return op


def int_reference(reference: str) -> int:
    """A numeric reference (a team id …), NotFound otherwise — like a URL's <int:…>."""
    if not reference.isdigit() or len(reference) > 18:
        raise NotFound("no such object")
    return int(reference)


def no_reference(reference: str) -> None:
    if reference:
        raise NotFound("this topic takes no reference")
