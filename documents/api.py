"""Documents API, under /api/v1/workspaces/<slug>/documents/.

The same services as the pages: viewers read, members (and guests in their own teams) write,
and every lookup — the document in the URL, a `parent` or `team` in a body — goes through
`visible_to`, so another workspace's or a private team's document is a 404 (or "does not
exist" in a body), never a leak. The text itself is edited live over the document socket;
here it is read as Markdown (`markdown`), and a version can be saved or restored.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.mixins import ListModelMixin, RetrieveModelMixin
from rest_framework.request import Request
from rest_framework.response import Response

from alignment.api_base import WorkspaceViewSet
from alignment.api_query import ArchivedFilterSet, FlagFilter, IdFilter
from alignment.api_schema import ERRORS, WRITE_ERRORS
from alignment.api_serializers import ModelSerializer
from alignment.errors import NotFound
from alignment.models import Team
from documents import crdt, services
from documents.models import Document, DocumentVersion, Template


class VisibleField(serializers.PrimaryKeyRelatedField):
    """An id of a row the caller may see (`visible_to`); anything else "does not exist"."""

    def __init__(self, model: Any, **kwargs: Any) -> None:
        self.model = model
        super().__init__(queryset=model.objects.none(), **kwargs)

    def get_queryset(self) -> QuerySet:
        return self.model.objects.visible_to(self.context["member"])


class DocumentSerializer(ModelSerializer):
    class Meta:
        model = Document
        fields = [
            "id",
            "title",
            "template",
            "team",
            "parent",
            "position",
            "created_by",
            "created_at",
            "updated_at",
            "archived_at",
        ]
        extra_kwargs = {
            "archived_at": {"help_text": "When it was archived; null: it is not."},
            "team": {"help_text": "The team it is shared with; null: the whole workspace."},
            "parent": {"help_text": "The document it is inside; null: the top level."},
            "updated_at": {"help_text": "When its text was last edited."},
        }


class DocumentDetailSerializer(DocumentSerializer):
    markdown = serializers.SerializerMethodField(help_text="The current text (Markdown).")

    class Meta(DocumentSerializer.Meta):
        fields = [*DocumentSerializer.Meta.fields, "markdown"]

    def get_markdown(self, document: Document) -> str:
        return crdt.text_of(document)


class DocumentCreateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    template = serializers.ChoiceField(
        choices=Template.choices,
        default=Template.BLANK,
        help_text="The starting text: `blank` is empty.",
    )
    team = VisibleField(Team, required=False, allow_null=True, default=None)
    parent = VisibleField(Document, required=False, allow_null=True, default=None)  # type: ignore[assignment]


class DocumentPatchSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    parent = VisibleField(  # type: ignore[assignment]
        Document,
        required=False,
        allow_null=True,
        help_text="Move it inside this document (null: the top level); not inside itself.",
    )
    archived = serializers.BooleanField(
        required=False,
        help_text=(
            "true: out of the tree, search and backlinks (still readable by id); false: back."
        ),
    )


class DocumentVersionSerializer(ModelSerializer):
    class Meta:
        model = DocumentVersion
        fields = ["id", "label", "created_by", "created_at"]


class DocumentVersionCreateSerializer(serializers.Serializer):
    label = serializers.CharField(  # type: ignore[assignment]
        max_length=200, required=False, allow_blank=True, default=""
    )


class DocumentFilter(ArchivedFilterSet):
    team = IdFilter(field_name="team_id", help_text="Only this team's documents.")
    parent = IdFilter(
        field_name="parent_id", help_text="Only the documents directly inside this one."
    )
    top_level = FlagFilter(
        true={"true"},
        false={"false"},
        message="Use true or false.",
        method="filter_top_level",
        help_text="`true`: only documents at the top of the tree (no parent).",
    )

    class Meta:
        model = Document
        fields = ["archived", "team", "parent", "top_level"]

    def filter_top_level(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        return queryset.filter(parent__isnull=True) if value else queryset


@extend_schema_view(
    list=extend_schema(
        summary="List documents (newest first, cursor-paginated)",
        description=(
            "The workspace's documents you can see, newest first, with their place in the "
            "tree. `?archived=true` lists the archived ones instead; `team`, `parent` and "
            "`top_level=true` narrow the list to a team, one document's children or the top "
            "of the tree."
        ),
        responses={200: DocumentSerializer(many=True), **ERRORS},
    ),
    retrieve=extend_schema(
        summary="A document: its place in the tree and its text as Markdown",
        responses={200: DocumentDetailSerializer, **ERRORS},
    ),
)
class DocumentViewSet(ListModelMixin, RetrieveModelMixin, WorkspaceViewSet):
    queryset = Document.objects.all()
    serializer_class = DocumentSerializer
    filterset_class = DocumentFilter
    guest_access = True  # guests: their teams' documents only (visible_to)
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def scoped_queryset(self, qs: QuerySet) -> QuerySet:
        return qs.defer("snapshot", "body_text")

    def get_serializer_class(self) -> type[serializers.Serializer]:
        return DocumentDetailSerializer if self.action == "retrieve" else DocumentSerializer

    def document(self) -> Document:
        document: Document = self.get_object()
        return document

    @extend_schema(
        summary="Create a document, empty or from a template",
        description=(
            "Create a document, at the top level or inside another one (`parent`), empty or "
            "filled from a template."
        ),
        request=DocumentCreateSerializer,
        responses={201: DocumentDetailSerializer, **WRITE_ERRORS},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self.validated(DocumentCreateSerializer)
        document = services.create_document(actor=self.member, **data)
        return Response(DocumentDetailSerializer(document).data, status=201)

    @extend_schema(
        summary="Rename, move in the tree, archive or unarchive a document",
        description=(
            "A `parent` that is the document itself or inside it is refused with 409 "
            "`document_cycle`; `null` moves it to the top level."
        ),
        request=DocumentPatchSerializer,
        responses={200: DocumentDetailSerializer, **WRITE_ERRORS},
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        document = self.document()
        data = self.validated(DocumentPatchSerializer)
        if "title" in data:
            services.rename(actor=self.member, document=document, title=data["title"])
        if "parent" in data:
            services.move(actor=self.member, document=document, parent=data["parent"])
        if "archived" in data:
            services.set_archived(actor=self.member, document=document, archived=data["archived"])
        return Response(DocumentDetailSerializer(document).data)

    @extend_schema(
        summary="Delete a document (the documents inside it move up to its parent)",
        responses={204: None, **WRITE_ERRORS},
    )
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.delete_document(actor=self.member, document=self.document())
        return Response(status=204)

    @extend_schema(
        methods=["GET"],
        summary="A document's saved versions, newest first (cursor-paginated)",
        responses={200: DocumentVersionSerializer(many=True), **ERRORS},
    )
    @extend_schema(
        methods=["POST"],
        summary="Save the current text as a version",
        request=DocumentVersionCreateSerializer,
        responses={201: DocumentVersionSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["get", "post"])
    def versions(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        document = self.document()
        if request.method == "POST":
            data = self.validated(DocumentVersionCreateSerializer)
            version = services.save_version(
                actor=self.member, document=document, label=data["label"]
            )
            return Response(DocumentVersionSerializer(version).data, status=201)
        versions = DocumentVersion.objects.filter(
            workspace_id=self.workspace.pk, document=document
        ).defer("state", "body_text")
        page = self.paginate_queryset(versions)
        return self.get_paginated_response(DocumentVersionSerializer(page, many=True).data)

    @extend_schema(
        summary="Restore a version: its text becomes current for everyone editing",
        description="The text before it is saved as a version first.",
        request=None,
        responses={200: DocumentDetailSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"], url_path=r"versions/(?P<version_id>[0-9]+)/restore")
    def restore(self, request: Request, *args: Any, version_id: str, **kwargs: Any) -> Response:
        document = self.document()
        version = DocumentVersion.objects.filter(
            workspace_id=self.workspace.pk, document=document, pk=int(version_id)
        ).first()
        if version is None:
            raise NotFound("No such version of this document.")
        update = services.restore_version(actor=self.member, version=version)
        services.relay(document, update)
        return Response(DocumentDetailSerializer(document).data)
