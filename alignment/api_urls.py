"""Workspace core API, under /api/v1/workspaces/<slug>/."""

from rest_framework.routers import SimpleRouter

from alignment import api

router = SimpleRouter()
router.register("teams", api.TeamViewSet, basename="api-teams")
urlpatterns = router.urls
