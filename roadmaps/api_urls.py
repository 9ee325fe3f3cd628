"""Roadmaps API, under /api/v1/workspaces/<slug>/."""

from rest_framework.routers import SimpleRouter

from roadmaps.api.dependencies import RoadmapItemDependencyViewSet
from roadmaps.api.items import RoadmapItemViewSet
from roadmaps.api.roadmaps import RoadmapViewSet

router = SimpleRouter()
router.register("roadmaps", RoadmapViewSet, basename="api-roadmaps")
router.register("roadmap-items", RoadmapItemViewSet, basename="api-roadmap-items")
router.register(
    "roadmap-item-dependencies",
    RoadmapItemDependencyViewSet,
    basename="api-roadmap-item-dependencies",
)
urlpatterns = router.urls
