"""SMART review of a draft: reads input, writes nothing, so the viewer role is enough."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from alignment.api_schema import ERRORS
from alignment.models import Role
from okrs import smart
from okrs.api._base import OkrViewSet
from okrs.api.serializers_smart import SmartReviewRequestSerializer, SmartReviewSerializer
from okrs.models import Objective


class SmartReviewViewSet(OkrViewSet):
    queryset = Objective.objects.none()
    serializer_class = SmartReviewSerializer
    filter_backends: list[Any] = []
    pagination_class = None
    read_role = Role.VIEWER
    write_role = Role.VIEWER

    @extend_schema(
        summary="Review an objective or key result draft against SMART",
        description='Send {"objective": {...}} (with its key_results) or {"key_result": {...}}.',
        request=SmartReviewRequestSerializer,
        responses={200: SmartReviewSerializer, **ERRORS},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self.validated(SmartReviewRequestSerializer)
        if "objective" in data:
            review = smart.review_objective(data["objective"])
        else:
            review = smart.review_key_result(data["key_result"])
        return Response(
            {
                "is_smart": review.is_smart,
                "counts": {letter: len(found) for letter, found in review.by_letter.items()},
                "findings": [
                    {
                        "letter": f.letter,
                        "code": f.code,
                        "message": f.message,
                        "suggestion": f.suggestion,
                        "subject": f.subject,
                    }
                    for f in review.findings
                ],
            }
        )
