"""Which time zone a date belongs to: the one place "today" and day boundaries are decided.

A workspace has one zone (`Workspace.settings["time_zone"]`, UTC when unset); it decides every
date the team shares: "today", a sprint's first and last day (a sprint ending on Friday ends at
Friday midnight in the team's zone), the elapsed share of a period, and the daily buckets of
burndown, burnup, throughput and snapshots. So every surface (pages, API, digests, rollups)
agrees on what day it is, whoever looks.

A person may override the zone for how instants are *shown* to them (`User.time_zone`): page
timestamps and the e-mails they receive. It never moves a shared boundary.

Nothing outside this module should call `timezone.localdate()` without a zone: the active zone
is the viewer's on pages and UTC in workers, so such a call would give different answers to
different surfaces.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from alignment import events
from alignment.errors import FieldErrors, RoleRequired

if TYPE_CHECKING:
    from alignment.models import Membership, User, Workspace


@dataclass(frozen=True)
class WorkspaceTimeZoneChanged:
    """The workspace's zone changed: "today", expected progress and day buckets move with it."""

    workspace_id: int
    actor_id: int | None = None


SETTING = "time_zone"
# Jobs that know a workspace only by id read its zone from the cache; a change replaces the
# entry after commit, and the timeout bounds how long a missed replacement (cache outage) lasts.
CACHE_SECONDS = 600
DEFAULT_ZONE = "UTC"
UTC = zoneinfo.ZoneInfo("UTC")


@lru_cache(maxsize=1)
def zone_names() -> tuple[str, ...]:
    """Every IANA zone name this installation knows (tzdata), sorted for pickers."""
    return tuple(sorted(zoneinfo.available_timezones()))


def validate_zone_name(name: str, *, field: str = "time_zone") -> str:
    """The canonical spelling of an IANA zone name; a clear field error for anything else."""
    text = (name or "").strip()
    known = {n.lower(): n for n in zone_names()}
    canonical = known.get(text.lower())
    if canonical is None:
        raise FieldErrors(
            {field: f"“{text[:64]}” is not a time zone. Use an IANA name such as Europe/Berlin."},
            message="Unknown time zone.",
        )
    return canonical


@lru_cache(maxsize=256)
def _zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        # A zone removed from tzdata after it was saved: fall back rather than break pages.
        return UTC


def zone_named(name: str) -> zoneinfo.ZoneInfo:
    """The zone of an IANA name (UTC for one tzdata no longer knows)."""
    return _zone(name or DEFAULT_ZONE)


def workspace_zone_name(workspace: Workspace) -> str:
    value = (workspace.settings or {}).get(SETTING)
    return value if isinstance(value, str) and value else DEFAULT_ZONE


def workspace_zone(workspace: Workspace) -> zoneinfo.ZoneInfo:
    """The zone that decides the workspace's shared dates."""
    return _zone(workspace_zone_name(workspace))


# Zones already known in this request (or `for_workspace` block), by workspace id: read-model
# reads that carry only a workspace id would otherwise each pay a query for the zone. Never
# set outside such a scope, so a long-lived worker cannot keep a zone an admin changed.
_known: ContextVar[dict[int, zoneinfo.ZoneInfo] | None] = ContextVar("known_zones", default=None)


def remember(workspace: Workspace) -> None:
    """Keep this workspace's zone for the rest of the current request or block."""
    known = _known.get()
    if known is None:
        return
    known[workspace.pk] = workspace_zone(workspace)


@contextmanager
def for_workspace(workspace: Workspace | None = None) -> Iterator[None]:
    """A scope in which `workspace_zone_of` answers from memory (requests, jobs)."""
    token = _known.set({} if _known.get() is None else dict(_known.get() or {}))
    try:
        if workspace is not None:
            remember(workspace)
        yield
    finally:
        _known.reset(token)


def workspace_zone_of(workspace_id: int) -> zoneinfo.ZoneInfo:
    """The zone of a workspace known only by id (read-model reads)."""
    known = _known.get()
    if known is not None and workspace_id in known:
        return known[workspace_id]
    name = cache.get(_cache_key(workspace_id))
    if not isinstance(name, str):
        from alignment.models import Workspace

        raw = Workspace.objects.filter(pk=workspace_id).values_list("settings", flat=True).first()
        name = workspace_zone_name(Workspace(settings=raw or {}))
        cache.set(_cache_key(workspace_id), name, CACHE_SECONDS)
    zone = _zone(name)
    if known is not None:
        known[workspace_id] = zone
    return zone


def _cache_key(workspace_id: int) -> str:
    return f"workspace-zone:{workspace_id}"


def today_of(workspace_id: int) -> date:
    """The date of a workspace known only by id, right now."""
    return today_in(workspace_zone_of(workspace_id))


def today_in(zone: tzinfo) -> date:
    """The date in `zone` right now."""
    return timezone.localtime(timezone.now(), zone).date()


def person_zone(user: User | None, workspace: Workspace | None) -> zoneinfo.ZoneInfo:
    """The zone a person sees instants in: their own override, else the workspace's, else UTC."""
    own = getattr(user, "time_zone", "") if user is not None else ""
    if own:
        return _zone(own)
    return workspace_zone(workspace) if workspace is not None else UTC


def today(workspace: Workspace, *, now: datetime | None = None) -> date:
    """The workspace's date at `now` (the current instant by default)."""
    return local_date(workspace, now or timezone.now())


def local_date(workspace: Workspace, instant: datetime) -> date:
    """The workspace's calendar date of an instant."""
    return timezone.localtime(instant, workspace_zone(workspace)).date()


def day_start(workspace: Workspace, day: date) -> datetime:
    """The first instant of `day` in the workspace's zone."""
    return datetime.combine(day, time.min, tzinfo=workspace_zone(workspace))


def day_end(workspace: Workspace, day: date) -> datetime:
    """The last instant of `day` in the workspace's zone (23:59:59.999999 there)."""
    return datetime.combine(day, time.max, tzinfo=workspace_zone(workspace))


def at_local(workspace: Workspace, day: date, at: time) -> datetime:
    """A wall-clock time on a workspace day, as an aware datetime."""
    return datetime.combine(day, at, tzinfo=workspace_zone(workspace))


@contextmanager
def override(zone: zoneinfo.ZoneInfo | str) -> Iterator[None]:
    """Render (templates' date filters, `localtime`) in `zone` for the block."""
    with timezone.override(_zone(zone) if isinstance(zone, str) else zone):
        yield


def activate_for_request(request: Any, workspace: Workspace | None) -> None:
    """Show a page's instants in the viewer's zone (called once the workspace is resolved;
    `TimeZoneMiddleware` resets it after the response)."""
    user = getattr(request, "user", None)
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    zone = person_zone(user, workspace)
    if workspace is not None:
        remember(workspace)
    request.time_zone = zone
    timezone.activate(zone)


@transaction.atomic
def workspace_time_zone_set(*, actor: Membership, name: str) -> Workspace:
    """Set the workspace's zone (admin). Moves "today" and day buckets from now on; stored
    snapshots keep the dates they were taken on."""
    from alignment.audit import audit_by
    from alignment.models import Role, Workspace

    if not actor.has_role(Role.ADMIN):
        raise RoleRequired(role="admin")
    canonical = validate_zone_name(name)
    workspace = Workspace.objects.select_for_update().get(pk=actor.workspace_id)
    before = workspace_zone_name(workspace)
    if before == canonical:
        return workspace
    workspace.settings = {**(workspace.settings or {}), SETTING: canonical}
    workspace.save(update_fields=["settings"])
    actor.workspace = workspace
    audit_by(
        actor,
        verb="workspace.time_zone_changed",
        obj=workspace,
        before={"time_zone": before},
        after={"time_zone": canonical},
    )
    transaction.on_commit(lambda: cache.set(_cache_key(workspace.pk), canonical, CACHE_SECONDS))
    events.publish_on_commit(
        WorkspaceTimeZoneChanged(workspace_id=workspace.pk, actor_id=actor.user_id)
    )
    return workspace


def user_time_zone_set(*, user: User, name: str) -> User:
    """Set (or with an empty name, clear) a person's own zone for how times are shown."""
    canonical = validate_zone_name(name) if (name or "").strip() else ""
    if user.time_zone != canonical:
        user.time_zone = canonical
        user.save(update_fields=["time_zone"])
    return user
