"""Document pages under /w/<slug>/documents/: the tree, a document, history, export, import.

Viewers read; members (and guests in their own teams) create and edit. The text itself is
edited over the document socket (documents.consumers); these pages hold everything else.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from alignment.errors import FieldErrors
from alignment.http import WorkspaceRequest, see_other, see_other_with
from alignment.models import Team, Workspace
from alignment.tenancy import workspace_view
from documents import crdt, exports, mentions, services
from documents.models import Document, DocumentVersion, Template


def _document(request: WorkspaceRequest, document_id: int) -> Document:
    document = services.document_for(request.membership, document_id)
    if document is None:
        raise Http404("No such document in this workspace.")
    return document


def _url(workspace: Workspace, name: str, **kwargs: object) -> str:
    return reverse(f"documents:{name}", kwargs={"slug": workspace.slug, **kwargs})


def _tree(request: WorkspaceRequest) -> list[tuple[int, Document]]:
    """(depth, document) in tree order; children of hidden parents show at the top level."""
    rows = list(services.active(request.membership).select_related("team"))
    ids = {d.pk for d in rows}
    children: dict[int | None, list[Document]] = {}
    for d in rows:
        children.setdefault(d.parent_id if d.parent_id in ids else None, []).append(d)
    out: list[tuple[int, Document]] = []

    def walk(parent: int | None, depth: int) -> None:
        for d in children.get(parent, []):
            out.append((depth, d))
            walk(d.pk, depth + 1)

    walk(None, 0)
    return out


def _team(request: WorkspaceRequest, raw: str | None) -> Team | None:
    if not raw:
        return None
    team = Team.objects.visible_to(request.membership).filter(pk=raw if raw.isdigit() else 0)
    found = team.first()
    if found is None:
        raise FieldErrors({"team": "No such team."})
    return found


@require_http_methods(["GET", "POST"])
@workspace_view(guests=True)
def document_list(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    """The tree of documents; POST creates one (from a template)."""
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            parent = None
            if request.POST.get("parent"):
                raw = request.POST["parent"]
                parent = services.document_for(request.membership, int(raw) if raw.isdigit() else 0)
                if parent is None:
                    raise FieldErrors({"parent": "No such document."})
            document = services.create_document(
                actor=request.membership,
                title=request.POST.get("title", ""),
                template=request.POST.get("template", Template.BLANK),
                team=_team(request, request.POST.get("team")),
                parent=parent,
            )
        except FieldErrors as exc:
            errors = exc.fields
        else:
            return see_other(_url(workspace, "document", document_id=document.pk))
    query = request.GET.get("q", "")
    context = {
        "workspace": workspace,
        "tree": _tree(request),
        "archived": services.visible(request.membership)
        .filter(archived_at__isnull=False)
        .only("pk", "title", "archived_at")
        .order_by("-archived_at", "-pk"),
        "results": list(services.search(request.membership, query)) if query else None,
        "query": query,
        "templates": Template.choices,
        "teams": Team.objects.visible_to(request.membership),
        "can_edit": services.can_edit(request.membership),
        "errors": errors,
    }
    return render(request, "documents/list.html", context, status=422 if errors else 200)


@require_GET
@workspace_view(guests=True)
def document_page(
    request: WorkspaceRequest, workspace: Workspace, document_id: int
) -> HttpResponse:
    """One document: the live editor (read-only for viewers), who else is here, the preview."""
    document = _document(request, document_id)
    text = crdt.text_of(document)
    nonce = secrets.token_urlsafe(16)
    context = {
        "workspace": workspace,
        "document": document,
        "text": text,
        "preview": mentions.with_chips(request.membership, exports.to_html_fragment(text), text),
        "can_edit": services.can_edit(request.membership),
        "socket_url": f"/ws/w/{workspace.slug}/documents/{document.pk}/",
        "nonce": nonce,
        "children": services.active(request.membership).filter(parent=document),
        # The move select (members only): readable documents that are not it nor inside it.
        "allowed_parents": (
            list(services.allowed_parents(request.membership, document).only("pk", "title"))
            if services.can_edit(request.membership)
            else []
        ),
    }
    response = render(request, "documents/document.html", context)
    # The import map (bare "yjs"/"lib0/…" specifiers of the vendored modules) is an inline
    # script: allowed by a nonce on this page only, the rest of the policy unchanged.
    response.headers["Content-Security-Policy"] = settings.CONTENT_SECURITY_POLICY.replace(
        "script-src 'self'", f"script-src 'self' 'nonce-{nonce}'", 1
    )
    return response


@require_POST
@workspace_view(guests=True)
def document_rename(
    request: WorkspaceRequest, workspace: Workspace, document_id: int
) -> HttpResponse:
    document = _document(request, document_id)
    try:
        services.rename(
            actor=request.membership, document=document, title=request.POST.get("title", "")
        )
    except FieldErrors as exc:
        return see_other_with(
            request, _url(workspace, "document", document_id=document.pk), error=exc
        )
    return see_other(_url(workspace, "document", document_id=document.pk))


@require_POST
@workspace_view(guests=True)
def document_move(
    request: WorkspaceRequest, workspace: Workspace, document_id: int
) -> HttpResponse:
    """Put the document inside another (or at the top level); a cycle is refused."""
    document = _document(request, document_id)
    back = _url(workspace, "document", document_id=document.pk)
    raw = request.POST.get("parent", "")
    parent = None
    try:
        if raw:
            parent = services.document_for(request.membership, int(raw) if raw.isdigit() else 0)
            if parent is None:
                raise FieldErrors({"parent": "No such document."})
        services.move(actor=request.membership, document=document, parent=parent)
    except (FieldErrors, services.DocumentCycle) as exc:
        return see_other_with(request, back, error=exc)
    where = f"inside “{parent.title}”" if parent else "to the top level"
    return see_other_with(request, back, success=f"Moved {where}.")


@require_POST
@workspace_view(guests=True)
def document_archive(
    request: WorkspaceRequest, workspace: Workspace, document_id: int
) -> HttpResponse:
    """Archive the document (`archived=1`) or bring it back (`archived=0`)."""
    document = _document(request, document_id)
    archived = request.POST.get("archived", "1") == "1"
    services.set_archived(actor=request.membership, document=document, archived=archived)
    return see_other_with(
        request,
        _url(workspace, "document", document_id=document.pk),
        success="Archived: out of the tree, search and backlinks; this link still opens it."
        if archived
        else "Back in the tree, search and backlinks.",
    )


@require_POST
@workspace_view(guests=True)
def document_delete(
    request: WorkspaceRequest, workspace: Workspace, document_id: int
) -> HttpResponse:
    """Delete the document (the page asks for confirmation); its children move up."""
    document = _document(request, document_id)
    title = document.title
    services.delete_document(actor=request.membership, document=document)
    return see_other_with(
        request,
        _url(workspace, "list"),
        success=f"“{title}” deleted; the documents inside it moved up a level.",
    )


@require_http_methods(["GET", "POST"])
@workspace_view(guests=True)
def document_history(
    request: WorkspaceRequest, workspace: Workspace, document_id: int
) -> HttpResponse:
    """Saved versions; POST saves the current text as a version."""
    document = _document(request, document_id)
    if request.method == "POST":
        services.save_version(
            actor=request.membership, document=document, label=request.POST.get("label", "")
        )
        return see_other_with(
            request, _url(workspace, "history", document_id=document.pk), success="Version saved."
        )
    context = {
        "workspace": workspace,
        "document": document,
        "versions": document.versions.select_related("created_by"),
        "can_edit": services.can_edit(request.membership),
    }
    return render(request, "documents/history.html", context)


@require_POST
@workspace_view(guests=True)
def version_restore(
    request: WorkspaceRequest, workspace: Workspace, document_id: int, version_id: int
) -> HttpResponse:
    document = _document(request, document_id)
    version = DocumentVersion.objects.filter(document=document, pk=version_id).first()
    if version is None:
        raise Http404("No such version.")
    update = services.restore_version(actor=request.membership, version=version)
    services.relay(document, update)
    return see_other_with(
        request,
        _url(workspace, "document", document_id=document.pk),
        success="Version restored; the text before it was saved as a version.",
    )


@require_GET
@workspace_view(guests=True)
def document_export(
    request: WorkspaceRequest, workspace: Workspace, document_id: int, fmt: str
) -> HttpResponse:
    """The document as a Markdown or a standalone HTML file."""
    document = _document(request, document_id)
    text = crdt.text_of(document)
    name = exports.filename(document.title)
    if fmt == "md":
        response = HttpResponse(text, content_type="text/markdown; charset=utf-8")
    else:
        response = HttpResponse(
            exports.to_html_page(document.title, text), content_type="text/html; charset=utf-8"
        )
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


@require_POST
@workspace_view(guests=True)
def document_import(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    """A new document from an uploaded Markdown file."""
    upload = request.FILES.get("file")
    try:
        if upload is None:
            raise FieldErrors({"file": "Choose a Markdown file."})
        if upload.size and upload.size > services.MAX_IMPORT_BYTES:
            raise FieldErrors({"file": "Markdown files are limited to 1 MiB."})
        document = services.import_markdown(
            actor=request.membership,
            raw=upload.read(services.MAX_IMPORT_BYTES + 1),
            filename=upload.name or "Imported.md",
            team=_team(request, request.POST.get("team")),
        )
    except FieldErrors as exc:
        return see_other_with(request, _url(workspace, "list"), error=exc)
    return see_other(_url(workspace, "document", document_id=document.pk))
