"""The Yjs state of a document in the database: load, append an update, compact, replace.

Every function is synchronous and runs in one transaction. An update is validated (decoded
by pycrdt) before it is stored, and stored before the socket says it is saved, so a restart
loses nothing acknowledged. Compaction merges the snapshot and the update rows it read into a
new snapshot and deletes exactly those rows; rows committed meanwhile stay and are merged on
the next load (Yjs updates are idempotent and commutative, so order and overlap are harmless).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from pycrdt import Doc, Text, XmlFragment, merge_updates

from documents import richtext
from documents.mentions import store_mentions
from documents.models import Document, DocumentUpdate

BODY = richtext.BODY
# Where the body was before the editor was rich: Markdown in a Y.Text. A state that still has
# text there and nothing in BODY is converted once (`convert_legacy_body`); the Y.Text is left
# as it is (a Yjs type cannot be removed), unread.
LEGACY_BODY = "body"
EMPTY_UPDATE = b"\x00\x00"


class InvalidUpdate(ValueError):
    """Bytes that are not a Yjs update (or too many of them)."""


def body_of(doc: Doc) -> XmlFragment:
    return doc.get(BODY, type=XmlFragment)


def markdown_of(doc: Doc) -> str:
    return richtext.markdown_of(body_of(doc))


def validate_update(data: bytes) -> None:
    """Raise InvalidUpdate unless `data` is a Yjs v1 update within the size limit."""
    if len(data) > settings.DOCUMENTS_MAX_UPDATE_BYTES:
        raise InvalidUpdate(f"updates are limited to {settings.DOCUMENTS_MAX_UPDATE_BYTES} bytes")
    try:
        Doc().apply_update(data)  # a scratch doc: decoding is the check
    except Exception as exc:  # pycrdt raises ValueError; be safe against panics too
        raise InvalidUpdate("not a Yjs update") from exc


def stored_updates(document_id: int) -> list[tuple[int, bytes]]:
    rows = DocumentUpdate.objects.filter(document_id=document_id).values_list("id", "data")
    return [(pk, bytes(data)) for pk, data in rows]


def load(document: Document) -> Doc:
    """The document's current state as a pycrdt Doc (snapshot + stored updates)."""
    doc: Doc = Doc()
    body_of(doc)
    doc.get(LEGACY_BODY, type=Text)
    if document.snapshot:
        doc.apply_update(bytes(document.snapshot))
    for _, data in stored_updates(document.pk):
        doc.apply_update(data)
    return doc


def text_of(document: Document) -> str:
    """The body as Markdown (exports, search, mentions)."""
    return markdown_of(load(document))


def append(*, document_id: int, workspace_id: int, data: bytes, author_id: int | None) -> int:
    """Store one validated update; the id is the acknowledgement. Compacts now and then."""
    return append_many(
        document_id=document_id, workspace_id=workspace_id, updates=[(data, author_id)]
    )[0]


def append_many(
    *, document_id: int, workspace_id: int, updates: Sequence[tuple[bytes, int | None]]
) -> list[int]:
    """Store validated (update, author id) pairs in one transaction; their ids, in order.

    A batch costs one insert and one timestamp, never a read of the whole text: the text
    (search) and its mentions (backlinks) follow through `refresh_text`, which the socket runs
    a moment after typing pauses and every other writer runs at once. Compacts once the
    document holds DOCUMENTS_COMPACT_EVERY update rows."""
    with transaction.atomic():
        rows = DocumentUpdate.objects.bulk_create(
            DocumentUpdate(
                workspace_id=workspace_id, document_id=document_id, data=data, author_id=author_id
            )
            for data, author_id in updates
        )
        Document.objects.filter(pk=document_id).update(updated_at=timezone.now())
    if DocumentUpdate.objects.filter(document_id=document_id).count() >= (
        settings.DOCUMENTS_COMPACT_EVERY
    ):
        compact(document_id)
    return [row.pk for row in rows]


def compact(document_id: int) -> None:
    """Fold the stored updates into the snapshot and refresh the searchable text."""
    with transaction.atomic():
        document = Document.objects.select_for_update().filter(pk=document_id).first()
        if document is None:
            return
        rows = stored_updates(document_id)
        parts = [bytes(document.snapshot)] if document.snapshot else []
        parts += [data for _, data in rows]
        if parts:
            merged = merge_updates(*parts) if len(parts) > 1 else parts[0]
            doc: Doc = Doc()
            doc.apply_update(merged)
            document.snapshot = doc.get_update()  # garbage-collected, smallest form
            document.body_text = markdown_of(doc)
        document.save(update_fields=["snapshot", "body_text"])
        store_mentions(
            document_id=document_id, workspace_id=document.workspace_id, text=document.body_text
        )
        DocumentUpdate.objects.filter(pk__in=[pk for pk, _ in rows]).delete()


def refresh_text_of(document_id: int) -> None:
    """`refresh_text` by id (a socket's deferred refresh); nothing if the document is gone."""
    document = Document.objects.filter(pk=document_id).first()
    if document is not None:
        refresh_text(document)


def refresh_text(document: Document) -> str:
    text = text_of(document)
    with transaction.atomic():
        Document.objects.filter(pk=document.pk).update(body_text=text)
        store_mentions(document_id=document.pk, workspace_id=document.workspace_id, text=text)
    document.body_text = text
    return text


def replace_text_update(document: Document, text: str) -> bytes:
    """The update that turns the current body into the Markdown `text` (a restore): deletes
    and inserts, so concurrent editors converge on it like on any other edit."""
    doc = load(document)
    before = doc.get_state()
    body = body_of(doc)
    with doc.transaction():
        if len(body.children):
            del body.children[0 : len(body.children)]
        richtext.fill(body, text)
    return doc.get_update(before)


def initial_state(text: str) -> tuple[bytes, str]:
    """The state of a new document whose body is the Markdown `text`, and that body as the
    Markdown the server reads back from it (its searchable text)."""
    doc: Doc = Doc()
    richtext.fill(body_of(doc), text)
    return doc.get_update(), markdown_of(doc)


def legacy_text(doc: Doc) -> str | None:
    """The Markdown of a body written before the editor was rich, if it still needs
    converting (text in the old Y.Text, nothing in the fragment)."""
    text = str(doc.get(LEGACY_BODY, type=Text))
    return text if text and not len(body_of(doc).children) else None


def convert_legacy_body(document_id: int) -> bool:
    """Move a document's old Markdown body into its rich-text body, once; True if it did.

    Run by the data migration and after an archive import, never while the document is open
    in editors: two conversions racing would each insert the body. The row lock makes a second
    run find the fragment filled and do nothing."""
    with transaction.atomic():
        document = Document.objects.select_for_update().filter(pk=document_id).first()
        if document is None:
            return False
        rows = stored_updates(document_id)
        doc: Doc = Doc()
        body_of(doc)
        doc.get(LEGACY_BODY, type=Text)
        parts = [bytes(document.snapshot)] if document.snapshot else []
        for data in parts + [data for _, data in rows]:
            doc.apply_update(data)
        text = legacy_text(doc)
        if text is None:
            return False
        richtext.fill(body_of(doc), text)
        document.snapshot = doc.get_update()
        document.body_text = markdown_of(doc)
        document.save(update_fields=["snapshot", "body_text"])
        # Folded into the snapshot above; rows stored meanwhile stay and merge on load.
        DocumentUpdate.objects.filter(pk__in=[pk for pk, _ in rows]).delete()
    return True


def store_workspace_mentions(workspace_id: int) -> None:
    """Store the mentions of every document of a workspace (after an import: derived rows
    are not in the archive). An archive made before the editor was rich holds old bodies:
    they are converted first, as the migration converted this instance's own."""
    ids = Document.objects.filter(workspace_id=workspace_id).values_list("pk", flat=True)
    for document_id in list(ids):
        convert_legacy_body(document_id)
        document = Document.objects.get(pk=document_id)
        store_mentions(document_id=document_id, workspace_id=workspace_id, text=text_of(document))
