"""Writes of saved views: create, change (rename, re-query, share, layout), archive, restore,
delete.

Anyone who may open the work pages keeps personal views (a viewer too: a view is a way of
reading, not a change to the work). Sharing with a team or the workspace needs a member, and
a shared view is changed, archived, restored or deleted by an admin or by its owner while they
may still share (a viewer or guest only reads it); a personal one by its owner only. The query
is parsed before it is stored, so a saved view never holds a query search would refuse.

Every change bumps `version` in one conditional UPDATE, so a stale `expected_version` (the
API's If-Match or body `version`, the pages' hidden field) is refused, never overwritten.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from alignment.audit import audit_by
from alignment.errors import FieldErrors, NotFound, RoleRequired, StaleVersion
from alignment.guards import ensure_same_workspace
from alignment.models import Membership, Role, Team
from tasks.errors import SavedViewAlreadyArchived, SavedViewNotArchived
from tasks.saved_views.models import SavedView, ViewLayout, ViewScope
from tasks.search_query import SearchQueryInvalid, parse_search_query, task_filter

UNSET: object = object()


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise FieldErrors({"name": "Give the view a name."})
    if len(name) > 80:
        raise FieldErrors({"name": "Use at most 80 characters."})
    return name


def _clean_query(actor: Membership, query: str) -> str:
    query = " ".join((query or "").split())
    if not query:
        raise FieldErrors({"query": "Give the view a filter, e.g. assignee:me state:Todo."})
    if len(query) > 200:
        raise FieldErrors({"query": "Use at most 200 characters."})
    try:
        # Values are checked too (an unknown label or state): the same answer search gives.
        task_filter(parse_search_query(query), viewer=actor)
    except SearchQueryInvalid as exc:
        raise FieldErrors({"query": exc.text}, exc.text) from exc
    return query


def may_share(actor: Membership) -> bool:
    """Sharing a view (and changing a shared one one owns) needs a member who is no guest."""
    return not actor.is_guest and actor.has_role(Role.MEMBER)


def _clean_sharing(actor: Membership, scope: str, team: Team | None) -> Team | None:
    if scope not in ViewScope.values:
        raise FieldErrors({"scope": "Use personal, team or workspace."})
    if scope != ViewScope.PERSONAL and not may_share(actor):
        raise RoleRequired(role="member")
    if scope == ViewScope.TEAM:
        if team is None:
            raise FieldErrors({"team": "Choose the team to share the view with."})
        ensure_same_workspace(actor, team, what="That team")
        if not Team.objects.visible_to(actor).filter(pk=team.pk).exists():
            raise NotFound("That team was not found in this workspace.")
        return team
    return None


def _clean_layout(layout: str) -> str:
    if layout not in ViewLayout.values:
        raise FieldErrors({"layout": "Use board, list or table."})
    return layout


def may_change(actor: Membership, view: SavedView) -> bool:
    """A personal view: its owner. A shared one: an admin, or its owner while they may share
    (an owner demoted to viewer reads the views others rely on but no longer changes them)."""
    if not view.is_shared:
        return view.owner_id == actor.user_id
    if actor.has_role(Role.ADMIN) and not actor.is_guest:
        return True
    return view.owner_id == actor.user_id and may_share(actor)


def _require_change(actor: Membership, view: SavedView) -> None:
    ensure_same_workspace(actor, view, what="That view")
    if not may_change(actor, view):
        raise RoleRequired(
            "Only the view's owner (or an admin, for a shared view) can change it.", role="admin"
        )


def _name_taken(view: SavedView) -> FieldErrors:
    archived = (
        SavedView.objects.for_workspace(view.workspace_id)
        .archived()
        .filter(owner_id=view.owner_id, name__iexact=view.name)
        .exclude(pk=view.pk)
        .exists()
    )
    if archived:
        return FieldErrors(
            {"name": "One of your archived views has this name: restore it, or pick another."}
        )
    return FieldErrors({"name": "You already have a view with this name."})


def _save(view: SavedView) -> None:
    try:
        with transaction.atomic():
            view.save()
    except IntegrityError as exc:
        raise _name_taken(view) from exc


def _stale(view: SavedView) -> StaleVersion:
    current = SavedView.objects.filter(pk=view.pk).values_list("version", flat=True).first()
    return StaleVersion(object=f"The view “{view.name}”", current=current)


@transaction.atomic
def saved_view_create(
    *,
    actor: Membership,
    name: str,
    query: str,
    scope: str = ViewScope.PERSONAL,
    team: Team | None = None,
    layout: str = ViewLayout.LIST,
) -> SavedView:
    """A new view owned by `actor`; shared with `team` or the workspace when `scope` says so."""
    view = SavedView(
        workspace_id=actor.workspace_id,
        owner_id=actor.user_id,
        name=_clean_name(name),
        query=_clean_query(actor, query),
        scope=scope,
        team=_clean_sharing(actor, scope, team),
        layout=_clean_layout(layout),
    )
    _save(view)
    audit_by(actor, verb="saved_view.created", obj=view, after={"name": view.name})
    return view


@transaction.atomic
def saved_view_update(
    *,
    actor: Membership,
    view: SavedView,
    expected_version: int | None = None,
    name: str | object = UNSET,
    query: str | object = UNSET,
    scope: str | object = UNSET,
    team: Team | None | object = UNSET,
    layout: str | object = UNSET,
) -> SavedView:
    """Rename, re-filter, (un)share or re-lay out a view; a stale version is refused (409)."""
    _require_change(actor, view)
    before = {"name": view.name, "scope": view.scope}
    if name is not UNSET:
        view.name = _clean_name(str(name))
    if query is not UNSET:
        view.query = _clean_query(actor, str(query))
    if scope is not UNSET or team is not UNSET:
        new_scope = str(scope) if scope is not UNSET else view.scope
        new_team = team if team is not UNSET else view.team
        if view.owner_id != actor.user_id and new_scope == ViewScope.PERSONAL:
            # An admin making someone's shared view "personal" would hide it from everyone.
            raise FieldErrors({"scope": "Only the owner can make a shared view personal."})
        view.team = _clean_sharing(actor, new_scope, new_team)  # type: ignore[arg-type]
        view.scope = new_scope
    if layout is not UNSET:
        view.layout = _clean_layout(str(layout))
    if expected_version is not None and expected_version != view.version:
        raise StaleVersion(object=f"The view “{view.name}”", current=view.version)
    rows = SavedView.objects.filter(pk=view.pk)
    if expected_version is not None:
        rows = rows.filter(version=expected_version)
    try:
        with transaction.atomic():
            updated = rows.update(
                name=view.name,
                query=view.query,
                scope=view.scope,
                team=view.team,
                layout=view.layout,
                version=F("version") + 1,
            )
    except IntegrityError as exc:
        raise _name_taken(view) from exc
    if not updated:
        raise _stale(view)
    view.refresh_from_db()
    audit_by(
        actor,
        verb="saved_view.updated",
        obj=view,
        before=before,
        after={"name": view.name, "scope": view.scope},
    )
    return view


def _set_archived(
    actor: Membership, view: SavedView, expected_version: int | None, *, archived: bool
) -> SavedView:
    _require_change(actor, view)
    if archived and view.is_archived:
        raise SavedViewAlreadyArchived(view=view.name)
    if not archived and not view.is_archived:
        raise SavedViewNotArchived(view=view.name)
    rows = SavedView.objects.filter(pk=view.pk, archived_at__isnull=archived)
    if expected_version is not None:
        rows = rows.filter(version=expected_version)
    now = timezone.now()
    if not rows.update(
        archived_at=now if archived else None, version=F("version") + 1, updated_at=now
    ):
        raise _stale(view)
    view.refresh_from_db(fields=["archived_at", "version", "updated_at"])
    verb = "archived" if archived else "restored"
    audit_by(actor, verb=f"saved_view.{verb}", obj=view, after={"name": view.name})
    return view


@transaction.atomic
def saved_view_archive(
    *, actor: Membership, view: SavedView, expected_version: int | None = None
) -> SavedView:
    """Take a view off the views list and the palette; it keeps its filter and can be restored."""
    return _set_archived(actor, view, expected_version, archived=True)


@transaction.atomic
def saved_view_restore(
    *, actor: Membership, view: SavedView, expected_version: int | None = None
) -> SavedView:
    """Bring an archived view back to the list, as it was."""
    return _set_archived(actor, view, expected_version, archived=False)


@transaction.atomic
def saved_view_delete(
    *, actor: Membership, view: SavedView, expected_version: int | None = None
) -> None:
    """Delete a view for good (the tasks are untouched); a stale version is refused."""
    _require_change(actor, view)
    rows = SavedView.objects.filter(pk=view.pk)
    if expected_version is not None:
        rows = rows.filter(version=expected_version)
    audit_by(actor, verb="saved_view.deleted", obj=view, before={"name": view.name})
    deleted, _ = rows.delete()
    if not deleted:
        raise _stale(view)
