"""Dashboards API, under /api/v1/workspaces/<slug>/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from dashboards import api, api_explain, api_findings, api_forecasts, api_layouts

router = SimpleRouter()
router.register("rollups", api.RollupViewSet, basename="api-rollups")
router.register("findings", api_findings.FindingViewSet, basename="api-findings")
router.register("forecasts", api_forecasts.ForecastViewSet, basename="api-forecasts")
router.register("team-metrics", api.TeamMetricsViewSet, basename="api-team-metrics")
router.register("snapshots", api.SnapshotViewSet, basename="api-snapshots")
router.register("deployments", api.DeploymentViewSet, basename="api-deployments")
router.register("incidents", api.IncidentViewSet, basename="api-incidents")
urlpatterns = [
    *router.urls,
    path(
        "key-results/<int:key_result_id>/explanation/",
        api_explain.KeyResultExplanationView.as_view(),
        name="api-key-result-explanation",
    ),
    path(
        "objectives/<int:objective_id>/progress-explanation/",
        api_explain.ObjectiveExplanationView.as_view(),
        name="api-objective-explanation",
    ),
    path(
        "dashboard-layouts/leader/",
        api_layouts.LeaderLayoutView.as_view(),
        name="api-dashboard-layout-leader",
    ),
    path(
        "dashboard-layouts/leader/default/",
        api_layouts.LeaderDefaultLayoutView.as_view(),
        name="api-dashboard-layout-leader-default",
    ),
    path(
        "dashboard-layouts/teams/<int:team_id>/",
        api_layouts.TeamLayoutView.as_view(),
        name="api-dashboard-layout-team",
    ),
    path(
        "dashboard-layouts/teams/<int:team_id>/default/",
        api_layouts.TeamDefaultLayoutView.as_view(),
        name="api-dashboard-layout-team-default",
    ),
]
