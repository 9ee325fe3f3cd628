"""Comments on a selection of a document: who may write them, and resolving them.

Everyone who may read the document reads its comments; whoever may edit it (members, guests
in their own teams) comments and resolves. The anchor is two Yjs relative positions made by
the page; the server keeps them as opaque, size-checked base64 (the pages resolve them).
"""

from __future__ import annotations

import base64
import binascii

from django.db.models import QuerySet
from django.utils import timezone

from alignment.errors import FieldErrors
from alignment.models import Membership, Role
from alignment.tenancy import require_role
from documents.models import Document, DocumentComment
from documents.services import announce

MAX_BODY = 4000
MAX_QUOTE = 500
MAX_ANCHOR = 200


def for_document(document: Document) -> QuerySet[DocumentComment]:
    return DocumentComment.objects.filter(
        workspace_id=document.workspace_id, document=document
    ).select_related("author", "resolved_by")


def _anchor(raw: str, field: str) -> str:
    raw = (raw or "").strip()
    try:
        decoded = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise FieldErrors({field: "The selection's anchor is not valid."}) from exc
    if not decoded or len(raw) > MAX_ANCHOR:
        raise FieldErrors({field: "The selection's anchor is not valid."})
    return raw


def add(
    *,
    actor: Membership,
    document: Document,
    body: str,
    quote: str,
    anchor_start: str,
    anchor_end: str,
) -> DocumentComment:
    """A comment on the selected text (anchored so it follows the text as others edit)."""
    require_role(actor, Role.MEMBER, guests=True)
    body = (body or "").strip()
    if not body or len(body) > MAX_BODY:
        raise FieldErrors({"body": f"Write a comment (up to {MAX_BODY} characters)."})
    comment = DocumentComment.objects.create(
        workspace_id=document.workspace_id,
        document=document,
        author_id=actor.user_id,
        body=body,
        quote=(quote or "")[:MAX_QUOTE],
        anchor_start=_anchor(anchor_start, "anchor_start"),
        anchor_end=_anchor(anchor_end, "anchor_end"),
    )
    announce(document, "comments")
    return comment


def set_resolved(*, actor: Membership, comment: DocumentComment, resolved: bool) -> None:
    """Resolve a comment (it leaves the open list, stays readable), or reopen it."""
    require_role(actor, Role.MEMBER, guests=True)
    comment.resolved_at = timezone.now() if resolved else None
    comment.resolved_by_id = actor.user_id if resolved else None
    comment.save(update_fields=["resolved_at", "resolved_by"])
    announce(comment.document, "comments")
