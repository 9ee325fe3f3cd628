"""A URLconf for tests/api: the real routes plus probe viewsets that exercise the API base.

The probes subclass `WorkspaceViewSet` exactly as a domain viewset would, but with bodies the
tests control (a versioned objective, a crash, a conflict, a validation refusal), so the
cross-cutting behaviour is tested without depending on any one app's endpoints.
"""

from __future__ import annotations

import threading
from typing import Any

from django.db import transaction
from django.db.models import F
from django.urls import URLResolver, include, path
from django.urls.resolvers import RegexPattern
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from alignment.api_base import WorkspaceViewSet
from alignment.api_serializers import ModelSerializer
from alignment.errors import Conflict, StaleVersion
from okrs.models import Objective

CALLS: list[str] = []
# Set by the concurrency test: the first create() signals "entered", then waits for "release".
GATE: dict[str, threading.Event] = {}
# Idempotency keys whose create() fails after its write, as a dropped connection would.
FAIL_AFTER_WRITE: set[str] = set()


class ObjectiveOut(ModelSerializer):
    class Meta:
        model = Objective
        fields = ["id", "title", "version"]


class TitleIn(serializers.Serializer):
    title = serializers.CharField(max_length=200)


class ProbeObjectiveViewSet(WorkspaceViewSet):
    queryset = Objective.objects.all()
    serializer_class = ObjectiveOut

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(ObjectiveOut(self.get_object()).data)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        CALLS.append("partial_update")
        objective = self.get_object()
        data = self.validated(TitleIn)
        expected = self.if_match_version()
        changed = Objective.objects.filter(
            pk=objective.pk, **({"version": expected} if expected is not None else {})
        ).update(title=data["title"], version=F("version") + 1)
        if not changed:
            objective.refresh_from_db()
            raise StaleVersion(object="Objective", current=objective.version)
        objective.refresh_from_db()
        return Response(ObjectiveOut(objective).data)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        CALLS.append("destroy")
        self.get_object().delete()
        return Response(status=204)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        CALLS.append("create")
        entered = GATE.pop("entered", None)
        if entered is not None:  # only the first caller waits at the gate
            entered.set()
            GATE["release"].wait(timeout=10)
        data = self.validated(TitleIn)
        source = Objective.objects.for_workspace(self.workspace).order_by("pk").first()
        assert source is not None
        copy = Objective.objects.create(
            workspace=self.workspace,
            period=source.period,
            level=source.level,
            team=source.team,
            title=data["title"],
        )
        if request.headers.get("Idempotency-Key") in FAIL_AFTER_WRITE:
            FAIL_AFTER_WRITE.discard(request.headers["Idempotency-Key"])
            raise RuntimeError("the connection dropped after the write")
        response = Response(ObjectiveOut(copy).data, status=201)
        response["Location"] = f"/objectives/{copy.pk}/"
        return response

    @action(detail=False, methods=["post"])
    def crash(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        CALLS.append("crash")
        raise RuntimeError("the probe crashed")

    @action(detail=False, methods=["post"])
    def conflict(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        CALLS.append("conflict")
        raise Conflict()

    @action(detail=False, methods=["post"])
    def renumber(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # Writes a number from the body without bounds, as a serializer without max_value would;
        # atomic like every service, so the failed statement rolls back to its savepoint.
        with transaction.atomic():
            self.get_queryset().update(version=int(request.data.get("version", 1)))
        return Response(status=204)

    @action(detail=False, methods=["get"])
    def plain(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response({"objectives": Objective.objects.for_workspace(self.workspace).count()})


router = SimpleRouter()
router.register("probe-objectives", ProbeObjectiveViewSet, basename="probe-objectives")

urlpatterns = [
    path("api/v1/workspaces/<slug:slug>/", include(router.urls)),
    # The real URLconf, imported lazily (on first resolve), like Django's own ROOT_URLCONF.
    URLResolver(RegexPattern(r"^"), "alignment.urls"),
]
