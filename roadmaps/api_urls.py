"""Roadmaps API, under /api/v1/workspaces/<slug>/."""

from rest_framework.routers import SimpleRouter

from roadmaps import api

router = SimpleRouter()
router.register("roadmaps", api.RoadmapViewSet, basename="api-roadmaps")
router.register("roadmap-items", api.RoadmapItemViewSet, basename="api-roadmap-items")
router.register(
    "roadmap-item-dependencies",
    api.RoadmapItemDependencyViewSet,
    basename="api-roadmap-item-dependencies",
)
urlpatterns = router.urls
