"""Attachments API: a task's files (list, multipart upload) and one file (read, content, delete)."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.http.response import HttpResponseBase
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.mixins import ListModelMixin
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from alignment.api_base import RetrieveWithETagMixin, WorkspaceViewSet
from alignment.api_pagination import OldestFirstCursorPagination
from alignment.api_schema import ERRORS, WRITE_ERRORS, ErrorSerializer
from alignment.api_serializers import ModelSerializer
from attachments import services
from attachments.models import Attachment
from attachments.serving import download_response
from tasks import selectors as task_selectors
from tasks.models import Task


class AttachmentSerializer(ModelSerializer):
    task = serializers.SerializerMethodField()
    uploaded_by = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField(
        help_text="The file, for a signed-in browser (images inline, other files as downloads)."
    )
    content_url = serializers.SerializerMethodField(
        help_text="The file's bytes through the API (Bearer token)."
    )
    markdown = serializers.SerializerMethodField(
        help_text="A Markdown link (an image for PNG, JPEG, GIF and WebP) to paste in comments."
    )
    is_image = serializers.BooleanField(source="is_inline_image", read_only=True)

    class Meta:
        model = Attachment
        fields = [
            "id",
            "task",
            "comment",
            "name",
            "content_type",
            "size",
            "sha256",
            "is_image",
            "uploaded_by",
            "created_at",
            "url",
            "content_url",
            "markdown",
        ]
        extra_kwargs = {
            "content_type": {"help_text": "Sniffed from the bytes, not taken from the client."},
            "size": {"help_text": "Bytes."},
            "comment": {"help_text": "The comment it was attached to, if any."},
        }

    def _slug(self) -> str:
        return str(self.context["workspace"].slug)

    def get_task(self, attachment: Attachment) -> str:
        return attachment.task.key

    def get_uploaded_by(self, attachment: Attachment) -> dict[str, Any] | None:
        user = attachment.uploaded_by
        return None if user is None else {"id": user.pk, "full_name": user.full_name}

    def get_url(self, attachment: Attachment) -> str:
        return reverse(
            "attachments:download", kwargs={"slug": self._slug(), "attachment_id": attachment.pk}
        )

    def get_content_url(self, attachment: Attachment) -> str:
        return reverse(
            "api-attachments-content", kwargs={"slug": self._slug(), "pk": attachment.pk}
        )

    def get_markdown(self, attachment: Attachment) -> str:
        label = attachment.name.replace("[", "(").replace("]", ")")
        link = f"[{label}]({self.get_url(attachment)})"
        return f"!{link}" if attachment.is_inline_image else link


UPLOAD_REQUEST = {
    "multipart/form-data": {
        "type": "object",
        "properties": {
            "files": {
                "type": "array",
                "items": {"type": "string", "format": "binary"},
                "minItems": 1,
                "description": "One or more files (repeat the `files` part). Limits: "
                "ATTACHMENTS_MAX_FILES_PER_UPLOAD per request (default 10), "
                "ATTACHMENTS_MAX_BYTES per file (default 25 MB), ATTACHMENTS_MAX_PER_TASK per "
                "task (default 200). Empty files and programs are refused; a name that promises "
                "an image must hold that image.",
            }
        },
        "required": ["files"],
    }
}


@extend_schema_view(
    list=extend_schema(
        summary="List a task's attachments, oldest first (cursor-paginated)",
        description=(
            "The files attached to a task, oldest first, with their size, type and who uploaded "
            "them. Cursor-paginated."
        ),
        responses={200: AttachmentSerializer(many=True), **ERRORS},
    ),
)
class TaskAttachmentViewSet(ListModelMixin, WorkspaceViewSet):
    """Files of one task: /tasks/<key>/attachments/."""

    queryset = Attachment.objects.all()
    serializer_class = AttachmentSerializer
    pagination_class = OldestFirstCursorPagination
    parser_classes = [MultiPartParser, FormParser]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        if request.method == "POST":
            # Before anything reads the body: an upload that cannot fit is refused unread.
            services.check_upload_length(request.META.get("CONTENT_LENGTH"))
        super().initial(request, *args, **kwargs)

    def task(self) -> Task:
        task = task_selectors.task_by_key(self.workspace, self.kwargs["key"], viewer=self.member)
        if task is None:
            raise Http404("Task not found.")
        return task

    def scoped_queryset(self, qs: Any) -> Any:
        return qs.filter(task=self.task()).select_related("task__team", "uploaded_by")

    @extend_schema(
        summary="Attach files to a task (multipart; all stored or none)",
        description=(
            "Attach one or more files to a task (multipart/form-data). Either all are stored or "
            "none is."
        ),
        request=UPLOAD_REQUEST,
        responses={
            201: AttachmentSerializer(many=True),
            **WRITE_ERRORS,
            409: OpenApiResponse(ErrorSerializer, description="The task holds its maximum."),
            413: OpenApiResponse(
                ErrorSerializer, description="A file (or the whole upload) is over the limit."
            ),
            422: OpenApiResponse(
                ErrorSerializer, description="An empty file, or a type that is refused."
            ),
        },
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        task = self.task()  # 404 before the body is looked at
        files = request.FILES.getlist("files") or request.FILES.getlist("file")
        added = services.attachments_add(actor=self.member, task=task, files=files)
        return Response(self.get_serializer(added, many=True).data, status=201)


@extend_schema_view(
    retrieve=extend_schema(
        summary="An attachment's details", responses={200: AttachmentSerializer, **ERRORS}
    ),
)
class AttachmentViewSet(RetrieveWithETagMixin, WorkspaceViewSet):
    """One attachment, by id: /attachments/<id>/."""

    queryset = Attachment.objects.all()
    serializer_class = AttachmentSerializer

    def scoped_queryset(self, qs: Any) -> Any:
        return qs.select_related("task__team", "uploaded_by")

    @extend_schema(
        summary="Download an attachment's bytes",
        description=(
            "PNG, JPEG, GIF and WebP images come inline with their type; anything else "
            "(SVG and HTML included) as an `attachment` typed application/octet-stream. "
            "Always with `X-Content-Type-Options: nosniff` and a CSP `sandbox`."
        ),
        responses={
            (200, "application/octet-stream"): OpenApiTypes.BINARY,
            (200, "image/*"): OpenApiTypes.BINARY,
            **ERRORS,
        },
    )
    def content(self, request: Request, *args: Any, **kwargs: Any) -> HttpResponseBase:
        return download_response(self.get_object())

    @extend_schema(
        summary="Delete an attachment (its uploader or an admin)",
        responses={204: None, **WRITE_ERRORS},
    )
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.attachment_delete(actor=self.member, attachment=self.get_object())
        return Response(status=204)
