"""Moving a document in the tree and deleting it from its page: members see the controls
(a select of the parents it may move under, a delete that asks first); viewers never do."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages

from documents import services
from documents.models import Document
from tests.conftest import World, client_for

pytestmark = pytest.mark.django_db


def page_url(world: World, document: Document, suffix: str = "") -> str:
    return f"/w/{world.workspace.slug}/documents/{document.pk}/{suffix}"


def test_the_move_select_offers_only_parents_that_make_no_cycle(world: World) -> None:
    root = services.create_document(actor=world.member, title="Root doc")
    child = services.create_document(actor=world.member, title="Child doc", parent=root)
    other = services.create_document(actor=world.member, title="Other doc")
    page = client_for(world.member.user).get(page_url(world, root)).content.decode()
    select = page.split('id="doc-move-parent"')[1].split("</select>")[0]
    assert f'value="{other.pk}"' in select
    assert f'value="{child.pk}"' not in select  # inside it: a cycle
    assert f'value="{root.pk}"' not in select  # itself
    assert "data-confirm=" in page.split('id="document-manage-heading"')[1]


def test_viewers_never_see_the_controls_and_cannot_post_them(world: World) -> None:
    document = services.create_document(actor=world.member, title="Spec")
    viewer = client_for(world.viewer.user)
    page = viewer.get(page_url(world, document)).content.decode()
    assert "doc-move-parent" not in page
    assert "Delete document" not in page
    assert viewer.post(page_url(world, document, "delete/")).status_code == 403
    assert viewer.post(page_url(world, document, "move/"), {"parent": ""}).status_code == 403
    assert Document.objects.filter(pk=document.pk).exists()


def test_a_member_moves_a_document_and_a_cycle_is_refused_with_a_message(world: World) -> None:
    root = services.create_document(actor=world.member, title="Root")
    child = services.create_document(actor=world.member, title="Child", parent=root)
    other = services.create_document(actor=world.member, title="Other")
    client = client_for(world.member.user)
    moved = client.post(page_url(world, child, "move/"), {"parent": other.pk})
    assert moved.status_code == 303
    assert Document.objects.get(pk=child.pk).parent_id == other.pk

    refused = client.post(page_url(world, other, "move/"), {"parent": child.pk})
    assert refused.status_code == 303
    texts = [str(m) for m in get_messages(refused.wsgi_request)]
    assert any("cannot move inside itself" in text for text in texts)
    assert Document.objects.get(pk=other.pk).parent_id is None

    client.post(page_url(world, child, "move/"), {"parent": ""})
    assert Document.objects.get(pk=child.pk).parent_id is None


def test_a_member_deletes_a_document_and_its_children_move_up(world: World) -> None:
    root = services.create_document(actor=world.member, title="Root")
    doomed = services.create_document(actor=world.member, title="Doomed", parent=root)
    kept = services.create_document(actor=world.member, title="Kept", parent=doomed)
    response = client_for(world.member.user).post(page_url(world, doomed, "delete/"))
    assert response.status_code == 303
    assert response["Location"] == f"/w/{world.workspace.slug}/documents/"
    assert not Document.objects.filter(pk=doomed.pk).exists()
    assert Document.objects.get(pk=kept.pk).parent_id == root.pk


def test_archive_and_unarchive_from_the_page(world: World) -> None:
    document = services.create_document(actor=world.member, title="Old plan")
    client = client_for(world.member.user)
    assert (
        client_for(world.viewer.user).post(page_url(world, document, "archive/")).status_code == 403
    )
    client.post(page_url(world, document, "archive/"), {"archived": "1"})
    listing = client.get(f"/w/{world.workspace.slug}/documents/").content.decode()
    assert "Old plan" in listing.split("<h2>Archived</h2>")[1]
    page = client.get(page_url(world, document)).content.decode()
    assert "Unarchive" in page
    client.post(page_url(world, document, "archive/"), {"archived": "0"})
    assert Document.objects.get(pk=document.pk).archived_at is None
    assert (
        "<h2>Archived</h2>"
        not in client.get(f"/w/{world.workspace.slug}/documents/").content.decode()
    )
