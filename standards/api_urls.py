"""Standards API, under /api/v1/workspaces/<slug>/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from standards import api

router = SimpleRouter()
router.register("standards", api.StandardViewSet, basename="api-standards")
urlpatterns = [
    path("standards/compliance/", api.ComplianceView.as_view(), name="api-standards-compliance"),
    path("tasks/<str:key>/standards/", api.TaskStandardsView.as_view(), name="api-task-standards"),
    *router.urls,
]
