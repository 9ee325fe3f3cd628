"""Rules of documents: create, move, save a version, restore, import; who may read and edit.

Viewers read; members (and guests on their own teams) edit. Every lookup goes through
`Document.objects.visible_to`, so a team's document is hidden with the team.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Max, Q, QuerySet
from django.utils import timezone

from alignment.errors import DomainError, FieldErrors
from alignment.models import Membership, Role, Team, Workspace
from alignment.tenancy import require_role
from documents import crdt
from documents.mentions import store_mentions
from documents.models import Document, DocumentVersion, Template
from documents.starters import STARTERS
from live import broadcast

MAX_IMPORT_BYTES = 1024 * 1024


class DocumentCycle(DomainError):
    status, code = 409, "document_cycle"
    message = (
        "“{title}” cannot move inside itself or inside a document that is inside it; "
        "choose another parent."
    )


def can_edit(membership: Membership) -> bool:
    try:
        require_role(membership, Role.MEMBER, guests=True)
    except DomainError:
        return False
    return True


def visible(membership: Membership) -> QuerySet[Document]:
    return Document.objects.visible_to(membership)


def active(membership: Membership) -> QuerySet[Document]:
    """Readable and not archived: what the tree, search and backlinks show."""
    return visible(membership).filter(archived_at__isnull=True)


def document_for(membership: Membership, document_id: int) -> Document | None:
    return visible(membership).filter(pk=document_id).select_related("team").first()


def _check_placement(membership: Membership, team: Team | None, parent: Document | None) -> None:
    if team is not None and not Team.objects.visible_to(membership).filter(pk=team.pk).exists():
        raise FieldErrors({"team": "No such team."})
    if team is None and membership.is_guest:
        raise FieldErrors({"team": "Guests write documents in their own teams."})
    if parent is not None and document_for(membership, parent.pk) is None:
        raise FieldErrors({"parent": "No such document."})


def create_document(
    *,
    actor: Membership,
    title: str,
    template: str = Template.BLANK,
    team: Team | None = None,
    parent: Document | None = None,
    text: str | None = None,
) -> Document:
    """A new document (at the end of its siblings) starting from a template or `text`."""
    require_role(actor, Role.MEMBER, guests=True)
    title = (title or "").strip()
    if not title or len(title) > 200:
        raise FieldErrors({"title": "Give the document a title (up to 200 characters)."})
    if template not in Template.values:
        raise FieldErrors({"template": "No such template."})
    _check_placement(actor, team, parent)
    state, body = crdt.initial_state(STARTERS[template] if text is None else text)
    with transaction.atomic():
        last = Document.objects.filter(workspace_id=actor.workspace_id, parent=parent).aggregate(
            Max("position")
        )["position__max"]
        document = Document.objects.create(
            workspace_id=actor.workspace_id,
            team=team,
            parent=parent,
            position=(last or 0) + 1,
            title=title,
            template=template,
            created_by_id=actor.user_id,
            snapshot=state,  # an empty body holds one paragraph: a place for the caret
            body_text=body,
        )
        store_mentions(document_id=document.pk, workspace_id=actor.workspace_id, text=body)
        return document


def rename(*, actor: Membership, document: Document, title: str) -> Document:
    require_role(actor, Role.MEMBER, guests=True)
    title = (title or "").strip()
    if not title or len(title) > 200:
        raise FieldErrors({"title": "Give the document a title (up to 200 characters)."})
    with transaction.atomic():
        document.title = title
        document.save(update_fields=["title"])
        announce(document, "renamed")
    return document


def _descendants(document: Document) -> set[int]:
    """Ids of every document under `document`, hidden ones included: a cycle through a
    private team's document is still a cycle."""
    children: dict[int | None, list[int]] = {}
    rows = Document.objects.filter(workspace_id=document.workspace_id).values_list(
        "pk", "parent_id"
    )
    for pk, parent_id in rows:
        children.setdefault(parent_id, []).append(pk)
    found: set[int] = set()
    stack = [document.pk]
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


def allowed_parents(membership: Membership, document: Document) -> QuerySet[Document]:
    """Where `document` may move: readable documents that are neither it nor inside it."""
    return (
        active(membership)
        .exclude(pk__in={document.pk, *_descendants(document)})
        .order_by("title", "pk")
    )


def move(*, actor: Membership, document: Document, parent: Document | None) -> Document:
    """Put `document` inside `parent` (None: the top level), after its new siblings."""
    require_role(actor, Role.MEMBER, guests=True)
    if parent is not None and document_for(actor, parent.pk) is None:
        raise FieldErrors({"parent": "No such document."})
    if (parent.pk if parent else None) == document.parent_id:
        return document
    with transaction.atomic():
        # One move at a time per workspace: two moves checked side by side (A under B, B
        # under A) would each see no cycle and together make one.
        Workspace.objects.select_for_update().filter(pk=document.workspace_id).first()
        if parent is not None and (parent.pk == document.pk or parent.pk in _descendants(document)):
            raise DocumentCycle(title=document.title)
        last = Document.objects.filter(workspace_id=document.workspace_id, parent=parent).aggregate(
            Max("position")
        )["position__max"]
        document.parent = parent
        document.position = (last or 0) + 1
        document.save(update_fields=["parent", "position"])
        announce(document, "moved")
    return document


def set_archived(*, actor: Membership, document: Document, archived: bool) -> Document:
    """Archive (out of the tree, search and backlinks; its link still opens it) or bring back."""
    require_role(actor, Role.MEMBER, guests=True)
    if archived == (document.archived_at is not None):
        return document
    with transaction.atomic():
        document.archived_at = timezone.now() if archived else None
        document.save(update_fields=["archived_at"])
        announce(document, "archived" if archived else "unarchived")
    return document


def delete_document(*, actor: Membership, document: Document) -> None:
    """Delete a document, its versions and stored edits. The documents inside it move up to
    its parent rather than going with it: some may be a private team's, which the deleting
    member cannot even see."""
    require_role(actor, Role.MEMBER, guests=True)
    with transaction.atomic():
        # Serialized with moves: a document moved under this one meanwhile would otherwise
        # be deleted with it (the foreign key cascades).
        Workspace.objects.select_for_update().filter(pk=document.workspace_id).first()
        announce(document, "deleted")
        Document.objects.filter(workspace_id=document.workspace_id, parent=document).update(
            parent=document.parent_id
        )
        document.delete()


def save_version(*, actor: Membership, document: Document, label: str = "") -> DocumentVersion:
    require_role(actor, Role.MEMBER, guests=True)
    doc = crdt.load(document)
    return DocumentVersion.objects.create(
        workspace_id=document.workspace_id,
        document=document,
        state=doc.get_update(),
        body_text=crdt.markdown_of(doc),
        label=label[:200],
        created_by_id=actor.user_id,
    )


def restore_version(*, actor: Membership, version: DocumentVersion) -> bytes:
    """Make the version's text current (the present is saved as a version first); returns the
    update to broadcast to open editors."""
    document = version.document
    save_version(actor=actor, document=document, label="Before restore")
    return replace_text(actor=actor, document=document, text=version.body_text)


def replace_text(*, actor: Membership, document: Document, text: str) -> bytes:
    require_role(actor, Role.MEMBER, guests=True)
    update = crdt.replace_text_update(document, text)
    crdt.append(
        document_id=document.pk,
        workspace_id=document.workspace_id,
        data=update,
        author_id=actor.user_id,
    )
    crdt.refresh_text(document)
    return update


def import_markdown(
    *, actor: Membership, raw: bytes, filename: str, team: Team | None = None
) -> Document:
    """A new document from a Markdown file: its first heading (or file name) is the title."""
    if len(raw) > MAX_IMPORT_BYTES:
        raise FieldErrors({"file": "Markdown files are limited to 1 MiB."})
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FieldErrors({"file": "The file is not UTF-8 text."}) from exc
    if "\x00" in text:
        raise FieldErrors({"file": "The file is not a text file."})
    title = (
        next((ln.lstrip("#").strip() for ln in text.splitlines() if ln.startswith("# ")), "")
        or filename.rsplit(".", 1)[0]
    )
    return create_document(actor=actor, title=title[:200] or "Imported", team=team, text=text)


def search(membership: Membership, query: str, limit: int = 20) -> QuerySet[Document]:
    query = query.strip()
    if not query:
        return active(membership).none()
    return active(membership).filter(Q(title__icontains=query) | Q(body_text__icontains=query))[
        :limit
    ]


def relay(document: Document, update: bytes) -> None:
    """Send an update made on the server (a restore) to the open editors, after commit."""
    from documents.live_topics import yjs_group

    transaction.on_commit(
        lambda: broadcast.send(
            yjs_group(document.workspace_id, document.pk),
            {"update": update, "sender": ""},
            handler="document.update",
        )
    )
    announce(document, "restored")


def announce(document: Document, change: str) -> None:
    """JSON news for every socket following `document:<id>` (after commit; ids only)."""
    from documents.live_topics import group

    topic = f"document:{document.pk}"
    data = {"type": "document", "topic": topic, "change": change}
    # The group is named now: after a delete commits, the instance has no pk any more.
    target = group(document.workspace_id, document.pk)
    transaction.on_commit(lambda: broadcast.send(target, data))
