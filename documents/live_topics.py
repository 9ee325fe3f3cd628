"""The `document:<id>` topic: who may follow a document (and see who else has it open).

Checked as the document's page is: `Document.objects.visible_to` (workspace, private teams,
guests); anything else — another workspace's id, a hidden team's document, a missing id — is
the same 4404. Edits travel as binary Yjs frames on the document socket
(documents.consumers), not as JSON ops, so the kind has no ops; the topic itself carries
presence and JSON news (`{"type": "document", "change": "renamed" | "restored"}`).
"""

from __future__ import annotations

from documents import services
from live import groups, topics
from live.errors import NotFound
from live.topics import Access, Subscription, TopicKind, int_reference


def group(workspace_id: int, document_id: int) -> str:
    """JSON news of a document (renamed, restored) for any socket following its topic."""
    return f"live.w{workspace_id}.document.{document_id}"


def yjs_group(workspace_id: int, document_id: int) -> str:
    """Binary Yjs updates: joined only by document sockets (documents.consumers)."""
    return f"live.w{workspace_id}.document.{document_id}.yjs"


def document_access(access: Access, reference: str) -> Subscription:
    document = services.document_for(access.membership, int_reference(reference))
    if document is None:
        raise NotFound("no such document")
    return Subscription(
        topic=f"document:{document.pk}",
        groups=(group(document.workspace_id, document.pk),),
        can_write=access.can_write() and services.can_edit(access.membership),
        presence_group=groups.presence(document.workspace_id, "document", document.pk),
        context={"document_id": document.pk},
    )


KIND = TopicKind(name="document", authorize=document_access, reference="document id")


def register() -> None:
    topics.register(KIND)
