"""Workspace core API, under /api/v1/workspaces/<slug>/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from alignment import api
from alignment.api.time_zone import TimeZoneView

router = SimpleRouter()
router.register("teams", api.TeamViewSet, basename="api-teams")
router.register("members", api.MembershipViewSet, basename="api-members")
router.register("invitations", api.InvitationViewSet, basename="api-invitations")
router.register("audit-events", api.AuditEventViewSet, basename="api-audit-events")
router.register("tokens", api.ApiTokenViewSet, basename="api-tokens")
urlpatterns = [
    path("time-zone/", TimeZoneView.as_view(), name="api-time-zone"),
    *router.urls,
]
