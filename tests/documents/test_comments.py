"""Comments on a selection: members comment and resolve, viewers read, anchors are checked,
another workspace's (or a hidden team's) document answers 404."""

from __future__ import annotations

import base64

import pytest
from pycrdt import Doc, StickyIndex

from documents import crdt, services
from documents.models import Document, DocumentComment
from tests.conftest import World, build_world, client_for
from tests.documents.ycli import first_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db) -> World:
    return build_world("acme")


AUTHOR = 4242  # the Yjs client id of the one writer of each test document's body


def _varuint(n: int) -> bytes:
    out = bytearray()
    while n > 0x7F:
        out.append(0x80 | (n & 0x7F))
        n >>= 7
    out.append(n)
    return bytes(out)


def anchors(document: Document, start: int, end: int) -> dict[str, str]:
    """Relative positions of [start, end) as the page makes them (y-prosemirror: the id of a
    character of the paragraph's Y.XmlText, Yjs' v1 encoding, base64).

    pycrdt cannot make a sticky index in an XmlText, so the body is rewritten by one client
    whose id is known: the paragraph is its clock 0, the XmlText 1, character i is 2 + i."""
    text = crdt.text_of(document)
    doc = Doc(client_id=AUTHOR)
    first_text(doc).insert(0, text)
    Document.objects.filter(pk=document.pk).update(snapshot=doc.get_update(), body_text=text)
    document.refresh_from_db()

    def encode(index: int, assoc: bytes) -> str:
        raw = b"\x00" + _varuint(AUTHOR) + _varuint(2 + index) + assoc
        return base64.b64encode(raw).decode()

    # The start sticks to the first selected character, the end after the last one.
    return {"anchor_start": encode(start, b"\x00"), "anchor_end": encode(end - 1, b"\x00")}


def url(document: Document, suffix: str = "") -> str:
    return f"/w/{document.workspace.slug}/documents/{document.pk}/comments/{suffix}"


def test_a_member_comments_on_a_selection_and_resolves_it(world: World) -> None:
    document = services.create_document(actor=world.member, title="PRD", text="Scope: all users")
    client = client_for(world.member.user)
    data = {"body": "Which users?", "quote": "all users", **anchors(document, 7, 16)}
    response = client.post(url(document), data)
    assert response.status_code == 201
    comment = DocumentComment.objects.get(document=document)
    assert (comment.body, comment.quote, comment.author) == (
        "Which users?",
        "all users",
        world.member.user,
    )
    assert comment.workspace == world.workspace
    page = response.content.decode()
    assert "Which users?" in page
    assert f'data-anchor-start="{data["anchor_start"]}"' in page
    # The anchor follows the text: text typed before it moves it, the quoted words stay put.
    doc = crdt.load(document)
    first_text(doc).insert(0, "NEW ")
    start = StickyIndex.decode(base64.b64decode(comment.anchor_start))
    end = StickyIndex.decode(base64.b64decode(comment.anchor_end))
    with doc.transaction() as txn:
        assert (start.get_index(txn), end.get_index(txn) + 1) == (11, 20)
    assert str(first_text(doc))[11:20] == "all users"
    response = client.post(url(document, f"{comment.pk}/resolve/"), {"resolved": "1"})
    assert response.status_code == 200
    comment.refresh_from_db()
    assert comment.resolved_at is not None
    assert comment.resolved_by == world.member.user
    assert "Reopen" in response.content.decode()
    client.post(url(document, f"{comment.pk}/resolve/"), {"resolved": "0"})
    comment.refresh_from_db()
    assert comment.resolved_at is None
    assert comment.resolved_by is None


def test_viewers_read_comments_but_cannot_write_or_resolve(world: World) -> None:
    document = services.create_document(actor=world.member, title="PRD", text="Scope")
    member = client_for(world.member.user)
    member.post(url(document), {"body": "Hm", "quote": "Scope", **anchors(document, 0, 5)})
    comment = DocumentComment.objects.get()
    viewer = client_for(world.viewer.user)
    listing = viewer.get(url(document))
    assert listing.status_code == 200
    assert "Hm" in listing.content.decode()
    assert "Resolve" not in listing.content.decode()
    assert (
        viewer.post(url(document), {"body": "Mine", **anchors(document, 0, 1)}).status_code == 403
    )
    assert viewer.post(url(document, f"{comment.pk}/resolve/")).status_code == 403
    assert DocumentComment.objects.count() == 1
    comment.refresh_from_db()
    assert comment.resolved_at is None


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"body": ""}, "Write a comment"),
        ({"body": "x" * 4001}, "Write a comment"),
        ({"anchor_start": "not base64!"}, "anchor is not valid"),
        ({"anchor_end": ""}, "anchor is not valid"),
        ({"anchor_end": "QUFB" * 60}, "anchor is not valid"),
    ],
)
def test_bad_comments_are_422_and_store_nothing(world: World, data: dict, field: str) -> None:
    document = services.create_document(actor=world.member, title="PRD", text="Scope")
    good = {"body": "Fine", "quote": "Scope", **anchors(document, 0, 5)}
    response = client_for(world.member.user).post(url(document), {**good, **data})
    assert response.status_code == 422
    assert field in response.content.decode()
    assert not DocumentComment.objects.exists()


def test_another_workspaces_document_and_comment_are_404(world: World) -> None:
    other = build_world("globex")
    theirs = services.create_document(actor=other.member, title="Secret", text="Secret plan")
    client_for(other.member.user).post(url(theirs), {"body": "Theirs", **anchors(theirs, 0, 6)})
    comment = DocumentComment.objects.get()
    mine = services.create_document(actor=world.member, title="Mine", text="Mine")
    client = client_for(world.member.user)
    foreign = f"/w/{world.workspace.slug}/documents/{theirs.pk}/comments/"
    assert client.get(foreign).status_code == 404
    assert client.post(foreign, {"body": "x", **anchors(theirs, 0, 1)}).status_code == 404
    # Their comment's id under my own document: still 404, and it stays open.
    assert client.post(url(mine, f"{comment.pk}/resolve/")).status_code == 404
    comment.refresh_from_db()
    assert comment.resolved_at is None
    assert DocumentComment.objects.count() == 1
