"""Documents in the workspace search: the top bar and command palette (one endpoint), the
search page and the search API; found by title and text, ranked like every other kind."""

from __future__ import annotations

import pytest
from django.urls import reverse

from documents import services
from tasks.search import workspace_search
from tests.conftest import World, api_client_for, client_for
from tests.factories import TeamFactory
from tests.factories.work import TaskFactory

pytestmark = pytest.mark.django_db


def test_documents_are_found_by_title_and_by_text(world: World) -> None:
    by_title = services.create_document(actor=world.member, title="Quokka rollout plan")
    by_text = services.create_document(
        actor=world.member, title="Notes", text="We ship the quokka importer first."
    )
    services.create_document(actor=world.member, title="Other", text="Nothing here.")
    found = [
        (r.kind, r.id) for r in workspace_search(world.workspace, "quokka", viewer=world.viewer)
    ]
    # Same ordering rules as every kind: a title match ranks above a text-only match.
    assert found == [("document", by_title.pk), ("document", by_text.pk)]


def test_exact_title_and_key_keep_their_places_among_documents(world: World) -> None:
    task = TaskFactory(team=world.team, title="Billing")
    services.create_document(actor=world.member, title="Billing", text=f"About {task.key}")
    results = list(workspace_search(world.workspace, task.key, viewer=world.member))
    assert (results[0].kind, results[0].id) == ("task", task.pk)  # the typed key first
    assert "document" in {r.kind for r in results}
    exact = list(workspace_search(world.workspace, "billing", viewer=world.member))
    # Both titles equal the query: equal tier and rank, so the kind order decides (tasks first).
    assert [r.kind for r in exact[:2]] == ["task", "document"]


def test_private_team_documents_stay_out_of_others_results(world: World) -> None:
    private = TeamFactory(workspace=world.workspace, is_private=True)
    services.create_document(actor=world.owner, title="Wombat secret", team=private)
    assert not list(workspace_search(world.workspace, "wombat", viewer=world.member))
    assert [r.kind for r in workspace_search(world.workspace, "wombat", viewer=world.owner)] == [
        "document"
    ]


def test_top_bar_and_palette_list_documents_with_their_link(world: World) -> None:
    document = services.create_document(actor=world.member, title="Platypus RFC")
    url = reverse("tasks:search", kwargs={"slug": world.workspace.slug})
    partial = client_for(world.viewer.user).get(url, {"q": "platypus"}, HTTP_HX_REQUEST="true")
    body = partial.content.decode()
    assert "Document</span>" in body
    assert f"/w/{world.workspace.slug}/documents/{document.pk}/" in body
    page = client_for(world.viewer.user).get(url, {"q": "platypus"}).content.decode()
    assert "Platypus RFC" in page


def test_search_api_returns_documents(world: World) -> None:
    document = services.create_document(
        actor=world.member, title="Echidna review", text="Echidna numbers went up."
    )
    response = api_client_for(world.viewer, scope="read").get(
        f"/api/v1/workspaces/{world.workspace.slug}/search/", {"q": "echidna"}
    )
    assert response.status_code == 200
    (row,) = response.json()["results"]
    assert row["kind"] == "document"
    assert row["id"] == document.pk
    assert row["title"] == "Echidna review"
    assert row["snippet"].startswith("Echidna numbers")
