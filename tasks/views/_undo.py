"""The undo toast of a change, for the views that make undoable changes (tasks.undo)."""

from __future__ import annotations

from django.middleware.csrf import get_token

from alignment.http import WorkspaceRequest
from alignment.models import Workspace
from tasks import undo
from tasks.views._common import url


def toast(request: WorkspaceRequest, workspace: Workspace, message: str, raw_token: str) -> str:
    return undo.toast_html(
        message,
        raw_token,
        undo_url=url("undo", workspace),
        csrf_token=get_token(request),
        next_url=request.headers.get("Referer", "") or request.get_full_path(),
    )


def undo_toast_from_query(request: WorkspaceRequest, workspace: Workspace) -> str:
    """The toast a redirect asked for with ?undo=<token> (a bulk change, an archive)."""
    raw = request.GET.get("undo", "")
    message = undo.message_of(request.membership, raw) if raw else None
    if not message:
        return ""
    return undo.toast_html(
        message,
        raw,
        undo_url=url("undo", workspace),
        csrf_token=get_token(request),
        next_url=request.path,
    )
