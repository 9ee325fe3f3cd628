"""Dashboards API, under /api/v1/workspaces/<slug>/."""

from rest_framework.routers import SimpleRouter

from dashboards import api

router = SimpleRouter()
router.register("rollups", api.RollupViewSet, basename="api-rollups")
router.register("findings", api.FindingViewSet, basename="api-findings")
router.register("team-metrics", api.TeamMetricsViewSet, basename="api-team-metrics")
router.register("snapshots", api.SnapshotViewSet, basename="api-snapshots")
router.register("deployments", api.DeploymentViewSet, basename="api-deployments")
router.register("incidents", api.IncidentViewSet, basename="api-incidents")
urlpatterns = router.urls
