"""What the live editor fetches beside the text: the rendered preview of the stored text, and
comments on a selection (the list, adding one, resolving or reopening one). HTML fragments;
viewers read, members comment."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from alignment.errors import FieldErrors
from alignment.http import WorkspaceRequest
from alignment.models import Workspace
from alignment.tenancy import workspace_view
from documents import comments, crdt, exports, mentions, services
from documents.models import Document, DocumentComment


def _document(request: WorkspaceRequest, document_id: int) -> Document:
    document = services.document_for(request.membership, document_id)
    if document is None:
        raise Http404("No such document in this workspace.")
    return document


def _list(
    request: WorkspaceRequest,
    document: Document,
    *,
    errors: dict[str, list[str]] | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "workspace": request.workspace,
        "document": document,
        "comments": comments.for_document(document),
        "can_edit": services.can_edit(request.membership),
        "errors": errors or {},
    }
    return render(request, "documents/_comments.html", context, status=status)


@require_http_methods(["GET", "POST"])
@workspace_view(guests=True)
def document_comments(
    request: WorkspaceRequest, workspace: Workspace, document_id: int
) -> HttpResponse:
    """GET: the comments of a document; POST: a comment on the selection the page sends."""
    document = _document(request, document_id)
    if request.method == "GET":
        return _list(request, document)
    try:
        comments.add(
            actor=request.membership,
            document=document,
            body=request.POST.get("body", ""),
            quote=request.POST.get("quote", ""),
            anchor_start=request.POST.get("anchor_start", ""),
            anchor_end=request.POST.get("anchor_end", ""),
        )
    except FieldErrors as exc:
        return _list(request, document, errors=exc.fields, status=422)
    return _list(request, document, status=201)


@require_POST
@workspace_view(guests=True)
def comment_resolve(
    request: WorkspaceRequest, workspace: Workspace, document_id: int, comment_id: int
) -> HttpResponse:
    """Resolve (`resolved=1`) or reopen (`resolved=0`) a comment; answers the list."""
    document = _document(request, document_id)
    comment = DocumentComment.objects.filter(
        workspace=workspace, document=document, pk=comment_id
    ).first()
    if comment is None:
        raise Http404("No such comment.")
    comments.set_resolved(
        actor=request.membership, comment=comment, resolved=request.POST.get("resolved") != "0"
    )
    return _list(request, document)


@require_GET
@workspace_view(guests=True)
def document_preview(
    request: WorkspaceRequest, workspace: Workspace, document_id: int
) -> HttpResponse:
    """The stored text rendered (sanitized Markdown, mentions as chips): the page reads it again
    after its edits are saved or others' arrive, so the preview follows the typing."""
    document = _document(request, document_id)
    text = crdt.text_of(document)
    html = mentions.with_chips(request.membership, exports.to_html_fragment(text), text)
    return HttpResponse(html, content_type="text/html; charset=utf-8")
