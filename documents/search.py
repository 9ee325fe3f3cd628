"""Documents in the workspace search (the top bar, the command palette, the search API).

Registered with `tasks.search.register_kind` so that tasks, below this app, never imports it.
A document matches by its title and its searchable text (`body_text`), with the same rules
and ranking as every other kind; only documents the viewer may read are found, archived ones
left out.
"""

from __future__ import annotations

from django.urls import reverse

from alignment.models import Membership, Workspace
from documents import services
from tasks.search import SearchKind, SearchResult, ranked_results, register_kind

SNIPPET_CHARS = 120


def find(workspace: Workspace, text: str, viewer: Membership, limit: int) -> list[SearchResult]:
    rows = services.active(viewer).defer("snapshot")
    results = ranked_results("document", rows, text, fields=("title", "body_text"), limit=limit)
    for result in results:
        result.snippet = " ".join(result.obj.body_text.split())[:SNIPPET_CHARS]  # type: ignore[attr-defined]
    return results


def url(workspace: Workspace, result: SearchResult) -> str:
    return reverse("documents:document", kwargs={"slug": workspace.slug, "document_id": result.id})


def register() -> None:
    register_kind("document", SearchKind(label="Document", find=find, url=url))
