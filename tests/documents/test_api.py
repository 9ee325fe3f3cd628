"""The documents API: list, create, read as Markdown, rename/move (cycles refused), delete,
versions and restore; roles, tenancy and Idempotency-Key like every other API."""

from __future__ import annotations

import pytest
from django.test import Client

from documents import crdt, services
from documents.models import Document, DocumentVersion
from documents.starters import STARTERS
from tests.conftest import World, api_client_for, build_world
from tests.factories import TeamFactory

pytestmark = pytest.mark.django_db


def base(world: World) -> str:
    return f"/api/v1/workspaces/{world.workspace.slug}/documents/"


def post(client: Client, url: str, data: dict, **headers: str):  # type: ignore[no-untyped-def]
    return client.post(url, data, content_type="application/json", **headers)


def patch(client: Client, url: str, data: dict):  # type: ignore[no-untyped-def]
    return client.patch(url, data, content_type="application/json")


def test_create_from_a_template_or_empty_and_read_back_as_markdown(world: World) -> None:
    api = api_client_for(world.member)
    made = post(api, base(world), {"title": "Checkout RFC", "template": "rfc"})
    assert made.status_code == 201
    body = made.json()
    assert body["markdown"] == STARTERS["rfc"]
    assert body["team"] is None
    empty = post(api, base(world), {"title": "Scratch", "parent": body["id"]}).json()
    assert empty["markdown"] == ""
    assert empty["parent"] == body["id"]
    read = api_client_for(world.viewer, scope="read").get(f"{base(world)}{body['id']}/")
    assert read.status_code == 200
    assert read.json()["markdown"] == STARTERS["rfc"]
    assert read.json()["title"] == "Checkout RFC"


def test_a_retried_create_with_the_same_key_makes_one_document(world: World) -> None:
    api = api_client_for(world.member)
    first = post(api, base(world), {"title": "Once"}, HTTP_IDEMPOTENCY_KEY="doc-1")
    again = post(api, base(world), {"title": "Once"}, HTTP_IDEMPOTENCY_KEY="doc-1")
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert first.json()["id"] == again.json()["id"]
    assert Document.objects.filter(title="Once").count() == 1


def test_list_pages_with_a_cursor_and_hides_private_teams(world: World) -> None:
    private = TeamFactory(workspace=world.workspace, is_private=True)
    services.create_document(actor=world.owner, title="Secret", team=private)
    for title in ("One", "Two", "Three"):
        services.create_document(actor=world.member, title=title)
    api = api_client_for(world.member, scope="read")
    page = api.get(base(world), {"page_size": 2}).json()
    titles = [row["title"] for row in page["results"]]
    assert titles == ["Three", "Two"]
    rest = api.get(page["next"]).json()
    assert [row["title"] for row in rest["results"]] == ["One"]
    assert rest["next"] is None
    owner_titles = [
        r["title"] for r in api_client_for(world.owner).get(base(world)).json()["results"]
    ]
    assert "Secret" in owner_titles


def test_the_list_narrows_to_a_team_a_parent_or_the_top_of_the_tree(world: World) -> None:
    other_team = TeamFactory(workspace=world.workspace)
    guide = services.create_document(actor=world.member, title="Guide", team=world.team)
    services.create_document(actor=world.member, title="Chapter", parent=guide)
    services.create_document(actor=world.member, title="Elsewhere", team=other_team)
    api = api_client_for(world.member, scope="read")

    def titles(**query: str) -> list[str]:
        response = api.get(base(world), query)
        assert response.status_code == 200, response.json()
        return sorted(row["title"] for row in response.json()["results"])

    assert titles(parent=str(guide.pk)) == ["Chapter"]
    assert titles(team=str(other_team.pk)) == ["Elsewhere"]
    assert titles(top_level="true") == ["Elsewhere", "Guide"]
    assert titles(top_level="false") == ["Chapter", "Elsewhere", "Guide"]
    for field, bad in (("parent", "first"), ("top_level", "yes please")):
        refused = api.get(base(world), {field: bad})
        assert refused.status_code == 400
        assert field in refused.json()["error"]["fields"]


def test_another_workspaces_documents_are_404_and_unusable_as_parents(world: World) -> None:
    other = build_world("globex")
    foreign = services.create_document(actor=other.member, title="Theirs")
    api = api_client_for(world.member)
    assert api.get(f"{base(world)}{foreign.pk}/").status_code == 404
    refused = post(api, base(world), {"title": "Mine", "parent": foreign.pk})
    assert refused.status_code == 400
    assert "parent" in refused.json()["error"]["fields"]
    mine = services.create_document(actor=world.member, title="Mine")
    assert patch(api, f"{base(world)}{mine.pk}/", {"parent": foreign.pk}).status_code == 400
    assert Document.objects.get(pk=mine.pk).parent_id is None


def test_rename_and_move_in_the_tree(world: World) -> None:
    api = api_client_for(world.member)
    parent = services.create_document(actor=world.member, title="Handbook")
    child = services.create_document(actor=world.member, title="Onboarding")
    moved = patch(api, f"{base(world)}{child.pk}/", {"title": "Day one", "parent": parent.pk})
    assert moved.status_code == 200
    assert moved.json()["parent"] == parent.pk
    assert moved.json()["title"] == "Day one"
    top = patch(api, f"{base(world)}{child.pk}/", {"parent": None})
    assert top.json()["parent"] is None


def test_a_move_into_itself_or_its_descendants_is_409_with_a_clear_message(world: World) -> None:
    api = api_client_for(world.member)
    root = services.create_document(actor=world.member, title="Root")
    middle = services.create_document(actor=world.member, title="Middle", parent=root)
    leaf = services.create_document(actor=world.member, title="Leaf", parent=middle)
    for target in (root, leaf):
        refused = patch(api, f"{base(world)}{root.pk}/", {"parent": target.pk})
        assert refused.status_code == 409
        error = refused.json()["error"]
        assert error["code"] == "document_cycle"
        assert "cannot move inside itself" in error["message"]
    assert Document.objects.get(pk=root.pk).parent_id is None


def test_a_cycle_through_a_document_the_mover_cannot_see_is_still_refused(world: World) -> None:
    private = TeamFactory(workspace=world.workspace, is_private=True)
    root = services.create_document(actor=world.member, title="Root")
    hidden = services.create_document(actor=world.owner, title="Hidden", team=private, parent=root)
    below = services.create_document(actor=world.owner, title="Below", parent=hidden)
    refused = patch(api_client_for(world.member), f"{base(world)}{root.pk}/", {"parent": below.pk})
    assert refused.status_code == 409


def test_viewers_cannot_write_and_delete_moves_children_up(world: World) -> None:
    root = services.create_document(actor=world.member, title="Root")
    doomed = services.create_document(actor=world.member, title="Doomed", parent=root)
    kept = services.create_document(actor=world.member, title="Kept", parent=doomed)
    viewer = api_client_for(world.viewer)
    assert viewer.delete(f"{base(world)}{doomed.pk}/").status_code == 403
    assert post(viewer, base(world), {"title": "x"}).status_code == 403
    assert patch(viewer, f"{base(world)}{doomed.pk}/", {"title": "x"}).status_code == 403
    assert api_client_for(world.member).delete(f"{base(world)}{doomed.pk}/").status_code == 204
    assert not Document.objects.filter(pk=doomed.pk).exists()
    assert Document.objects.get(pk=kept.pk).parent_id == root.pk


def test_versions_list_save_and_restore(world: World) -> None:
    api = api_client_for(world.member)
    document = services.create_document(actor=world.member, title="Spec", text="first text")
    url = f"{base(world)}{document.pk}/versions/"
    saved = post(api, url, {"label": "v1"})
    assert saved.status_code == 201
    services.replace_text(actor=world.member, document=document, text="second text")
    listed = api.get(url).json()["results"]
    assert [row["label"] for row in listed] == ["v1"]
    restored = post(api, f"{url}{saved.json()['id']}/restore/", {})
    assert restored.status_code == 200
    assert restored.json()["markdown"] == "first text"
    assert crdt.text_of(Document.objects.get(pk=document.pk)) == "first text"
    assert DocumentVersion.objects.filter(document=document, label="Before restore").exists()
    assert post(api, f"{url}999999/restore/", {}).status_code == 404
    assert (
        post(api_client_for(world.viewer), f"{url}{saved.json()['id']}/restore/", {}).status_code
        == 403
    )


def test_archive_takes_a_document_out_of_the_list_search_and_backlinks(world: World) -> None:
    from documents.mentions import backlinks
    from tasks.search import workspace_search
    from tests.factories.work import TaskFactory

    task = TaskFactory(team=world.team)
    document = services.create_document(
        actor=world.member, title="Narwhal notes", text=f"@task:{task.key}"
    )
    api = api_client_for(world.member)
    url = f"{base(world)}{document.pk}/"
    assert patch(api_client_for(world.viewer), url, {"archived": True}).status_code == 403
    archived = patch(api, url, {"archived": True})
    assert archived.status_code == 200
    assert archived.json()["archived_at"] is not None
    assert [r["id"] for r in api.get(base(world)).json()["results"]] == []
    assert [r["id"] for r in api.get(base(world), {"archived": "true"}).json()["results"]] == [
        document.pk
    ]
    assert api.get(base(world), {"archived": "maybe"}).status_code == 400
    assert api.get(url).status_code == 200  # still readable by its id
    assert not list(workspace_search(world.workspace, "narwhal", viewer=world.member))
    assert backlinks(world.member, {"task": [task.pk]}) == []

    assert patch(api, url, {"archived": False}).json()["archived_at"] is None
    assert [link.title for link in backlinks(world.member, {"task": [task.pk]})] == [
        "Narwhal notes"
    ]
