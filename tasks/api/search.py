"""The search API: one box over tasks, comments, objectives, key results, roadmap items and
documents.

Pages like every other list (`{"next", "previous", "results"}`), with an opaque `cursor`.
Ranked results have no stable key to seek from (a rank is a float of the query), so the
cursor carries the position in the one total order `tasks.search` defines, signed and bound
to the query it was issued for: a cursor of another query (or a forged one) is a 400.
"""

from __future__ import annotations

from typing import Any

from django.core import signing
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from alignment.api_base import WorkspaceAPIMixin
from alignment.api_query import int_parameter, query_int, query_text, text_parameter
from alignment.api_schema import ERRORS
from tasks import custom_values
from tasks.api.task_serializers import CUSTOM_VALUE_HELP
from tasks.models import Task
from tasks.search import MAX_DEPTH, MAX_RESULTS, SearchResult, workspace_search
from tasks.search_query import MAX_QUERY_LENGTH, QUALIFIERS

CURSOR_SALT = "tasks.search.cursor"
DEFAULT_PAGE_SIZE = 20


class SearchResultSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=["task", "objective", "key_result", "roadmap_item", "comment", "document"],
        help_text=(
            "A comment hit carries its task's key and title; `id` is the comment's. A "
            "document's `id` is the document's (`/documents/{id}/`)."
        ),
    )
    id = serializers.IntegerField()
    key = serializers.CharField(help_text="The task key (a comment's task's), or empty.")
    title = serializers.CharField()
    snippet = serializers.CharField(
        help_text="The start of a matching comment or document, or empty."
    )
    custom_fields = serializers.SerializerMethodField()

    @extend_schema_field(
        {
            "type": "object",
            "nullable": True,
            "additionalProperties": {},
            "description": "A task hit's custom field values (a comment hit's: its task's), "
            "as `GET tasks/<key>/` reads them: field name → value for the fields set on it. "
            "Null for other kinds. " + CUSTOM_VALUE_HELP,
        }
    )
    def get_custom_fields(self, result: SearchResult) -> dict[str, Any] | None:
        task_id = result_task_id(result)
        if task_id is None:
            return None
        # The page's values, read in one query by the view (`custom_values` in the context).
        return dict(self.context.get("custom_values", {}).get(task_id, {}))


def result_task_id(result: SearchResult) -> int | None:
    """The task a hit shows: a task's own id, a comment's task; None for other kinds."""
    if result.kind == "task":
        return result.id
    if result.kind == "comment":
        return getattr(result.obj, "task_id", None)
    return None


SearchPageSerializer = inline_serializer(
    "SearchPage",
    {
        "next": serializers.URLField(allow_null=True, help_text="The next page, or null."),
        "previous": serializers.URLField(allow_null=True, help_text="The page before, or null."),
        "results": SearchResultSerializer(many=True),
    },
)


# A signed {"q", "o"}: 200 characters of query, each escaped in up to 12 (an emoji), fit.
CURSOR_MAX_LENGTH = 8192


def _page_size(request: Request) -> int:
    # `limit` is the parameter's first name, still accepted; `page_size` as on every list.
    name = "page_size" if "page_size" in request.query_params else "limit"
    return query_int(request, name, default=DEFAULT_PAGE_SIZE, min_value=1, max_value=MAX_RESULTS)


def _offset(request: Request, q: str) -> int:
    raw = query_text(request, "cursor", max_length=CURSOR_MAX_LENGTH)
    if raw is None:
        return 0
    try:
        data = signing.loads(raw, salt=CURSOR_SALT)
    except signing.BadSignature:
        raise serializers.ValidationError(
            {"cursor": ["This cursor is not valid: use the `next` link of a search answer."]}
        ) from None
    if not isinstance(data, dict) or data.get("q") != q or not isinstance(data.get("o"), int):
        raise serializers.ValidationError(
            {"cursor": ["This cursor belongs to another query: search again from page one."]}
        )
    return max(0, int(data["o"]))


def _link(request: Request, q: str, offset: int) -> str:
    url = request.build_absolute_uri()
    if offset <= 0:
        return remove_query_param(url, "cursor")
    return replace_query_param(
        url, "cursor", signing.dumps({"q": q, "o": offset}, salt=CURSOR_SALT)
    )


class SearchView(WorkspaceAPIMixin, generics.GenericAPIView):
    guest_access = True  # guests: their teams' rows only (visible_to)
    queryset = Task.objects.none()
    serializer_class = SearchResultSerializer
    pagination_class = None

    @extend_schema(
        summary="Search tasks, comments, objectives, key results, roadmap items and documents",
        description=(
            "Rows where every free word matches, best first: the task whose key was typed, "
            "then exact title matches, then by relevance. Qualifiers narrow the search to "
            "tasks (and their comments); an unknown qualifier or value is a 400 naming it. "
            f"Pages follow `next` links (cursors), up to {MAX_DEPTH} results deep."
        ),
        parameters=[
            text_parameter(
                "q",
                max_length=MAX_QUERY_LENGTH,
                required=True,
                description=(
                    "Free words, a task key, and qualifiers: "
                    + "; ".join(f"`{name}:` {help}" for name, help in QUALIFIERS.items())
                    + '. Quote values with spaces: `state:"In Review"`. Empty or over '
                    f"{MAX_QUERY_LENGTH} characters: a 400."
                ),
            ),
            int_parameter(
                "page_size",
                default=DEFAULT_PAGE_SIZE,
                min_value=1,
                max_value=MAX_RESULTS,
                description=f"Results per page, 1 to {MAX_RESULTS} (`limit` is an alias).",
            ),
            OpenApiParameter(
                "limit",
                {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": MAX_RESULTS,
                    "default": DEFAULT_PAGE_SIZE,
                },
                description="Old name of `page_size`, still accepted; `page_size` wins.",
                deprecated=True,
            ),
            text_parameter(
                "cursor",
                max_length=CURSOR_MAX_LENGTH,
                description=(
                    "The position a `next` or `previous` link carries; opaque, and valid only "
                    "for the query it came with (another query's cursor is a 400)."
                ),
            ),
            OpenApiParameter(
                "X-Has-More",
                {"type": "string", "enum": ["true", "false"]},
                location=OpenApiParameter.HEADER,
                response=[200],
                description="`true` when there is a next page.",
            ),
        ],
        responses={200: SearchPageSerializer, **ERRORS},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        q = query_text(
            request, "q", max_length=MAX_QUERY_LENGTH, required="Type something to search for."
        )
        size = _page_size(request)
        offset = _offset(request, q)
        if offset > MAX_DEPTH:
            raise serializers.ValidationError(
                {"cursor": [f"Search pages reach {MAX_DEPTH} results deep: narrow the query."]}
            )
        outcome = workspace_search(self.workspace, q, limit=size, offset=offset, viewer=self.member)
        has_next = outcome.has_more and offset + size <= MAX_DEPTH
        shown = {result_task_id(result) for result in outcome.results}
        found = custom_values.values_for(self.workspace.pk, [pk for pk in shown if pk])
        body = {
            "next": _link(request, q, offset + size) if has_next else None,
            "previous": _link(request, q, max(0, offset - size)) if offset else None,
            "results": SearchResultSerializer(
                outcome.results, many=True, context={"custom_values": found}
            ).data,
        }
        response = Response(body)
        response["X-Has-More"] = "true" if has_next else "false"
        return response
