"""Backlinks: the mentions a document's stored text makes, listed on the mentioned object's
page ("Mentioned in documents") for readers who may read the document."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from documents import crdt, mentions, services
from documents.models import DocumentMention
from tests.conftest import World, build_world, client_for
from tests.factories import TeamFactory
from tests.factories.okrs import KeyResultFactory
from tests.factories.work import (
    RoadmapFactory,
    RoadmapItemFactory,
    TaskFactory,
    key_result_in,
)

pytestmark = pytest.mark.django_db


def stored(document_id: int) -> set[tuple[str, int]]:
    rows = DocumentMention.objects.filter(document_id=document_id)
    return set(rows.values_list("kind", "object_id"))


def edit(document_id: int, world: World, text: str) -> None:
    """An editor's edit, as the socket stores it, and the refresh once typing pauses (the
    socket's timing is tested in tests/documents/test_document_socket.py)."""
    document = services.document_for(world.member, document_id)
    assert document is not None
    update = crdt.replace_text_update(document, text)
    crdt.append(
        document_id=document_id,
        workspace_id=world.workspace.pk,
        data=update,
        author_id=world.member.user_id,
    )
    crdt.refresh_text_of(document_id)


def test_mentions_follow_every_stored_edit_and_compaction(world: World, settings) -> None:
    task = TaskFactory(team=world.team)
    kr = KeyResultFactory(objective__workspace=world.workspace)
    document = services.create_document(actor=world.member, title="Plan", text=f"@task:{task.key}")
    assert stored(document.pk) == {("task", task.pk)}

    edit(document.pk, world, f"@kr:{kr.pk} and @objective:{kr.objective_id}.")
    assert stored(document.pk) == {("kr", kr.pk), ("objective", kr.objective_id)}

    settings.DOCUMENTS_COMPACT_EVERY = 1  # the next edit compacts into the snapshot
    edit(document.pk, world, f"only @objective:{kr.objective_id}")
    assert document.updates.count() == 0
    assert stored(document.pk) == {("objective", kr.objective_id)}


def test_another_workspaces_ids_are_never_stored(world: World) -> None:
    other = build_world("globex")
    foreign_kr = KeyResultFactory(objective__workspace=other.workspace)
    foreign_task = TaskFactory(team=other.team)
    text = f"@kr:{foreign_kr.pk} @objective:{foreign_kr.objective_id} @task:{foreign_task.key}"
    document = services.create_document(actor=world.member, title="Leak?", text=text)
    # ENG-n exists in both workspaces (same team key): it resolves to this workspace's only.
    assert all(kind == "task" for kind, _ in stored(document.pk))
    assert foreign_task.pk not in {pk for _, pk in stored(document.pk)}


def test_task_page_lists_documents_it_may_read_only(world: World) -> None:
    task = TaskFactory(team=world.team, title="Ship pricing")
    private = TeamFactory(workspace=world.workspace, is_private=True)
    services.create_document(actor=world.member, title="Pricing PRD", text=f"@task:{task.key}")
    services.create_document(
        actor=world.owner, title="Secret board notes", team=private, text=f"@task:{task.key}"
    )
    url = reverse("tasks:task", kwargs={"slug": world.workspace.slug, "key": task.key})

    page = client_for(world.member.user).get(url).content.decode()
    section = page.split("Mentioned in documents")[1]
    assert "Pricing PRD" in section
    assert "Secret board notes" not in page

    owner_page = client_for(world.owner.user).get(url).content.decode()
    assert "Secret board notes" in owner_page.split("Mentioned in documents")[1]


def test_objective_page_lists_documents_naming_it_or_its_key_results(world: World) -> None:
    kr = key_result_in(world.workspace)
    services.create_document(actor=world.member, title="OKR review", text=f"@kr:{kr.pk}")
    services.create_document(
        actor=world.member, title="Strategy memo", text=f"@objective:{kr.objective_id}"
    )
    services.create_document(actor=world.member, title="Unrelated", text="@objective:999999")
    url = reverse(
        "okrs:objective_detail",
        kwargs={"slug": world.workspace.slug, "objective_id": kr.objective_id},
    )
    section = client_for(world.viewer.user).get(url).content.decode()
    section = section.split("Mentioned in documents")[1]
    assert "OKR review" in section
    assert f"@kr:{kr.pk}" in section
    assert "Strategy memo" in section
    assert "Unrelated" not in section


def test_roadmap_item_page_lists_documents(world: World) -> None:
    item = RoadmapItemFactory(roadmap=RoadmapFactory(workspace=world.workspace))
    services.create_document(actor=world.member, title="Item RFC", text=f"@item:{item.pk}")
    url = reverse(
        "roadmaps:item",
        kwargs={"slug": world.workspace.slug, "roadmap_id": item.roadmap_id, "item_id": item.pk},
    )
    page = client_for(world.member.user).get(url).content.decode()
    assert "Item RFC" in page.split("Mentioned in documents")[1]


def test_backlinks_are_one_query_and_newest_first(world: World) -> None:
    task = TaskFactory(team=world.team)
    older = services.create_document(actor=world.member, title="Older", text=f"@task:{task.key}")
    newer = services.create_document(actor=world.member, title="Newer", text=f"@task:{task.key}")
    edit(newer.pk, world, f"@task:{task.key} again")
    with CaptureQueriesContext(connection) as queries:
        links = mentions.backlinks(world.member, {"task": [task.pk]})
    assert len(queries.captured_queries) == 1
    assert [link.document_id for link in links] == [newer.pk, older.pk]
