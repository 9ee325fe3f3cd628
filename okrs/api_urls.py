"""OKR API routes, included under /api/v1/workspaces/<slug>/ by alignment/urls.py."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from okrs import api
from okrs.api.settings import OkrSettingsView

router = SimpleRouter()
router.register("periods", api.PeriodViewSet, basename="api-periods")
router.register("objectives", api.ObjectiveViewSet, basename="api-objectives")
router.register("key-results", api.KeyResultViewSet, basename="api-key-results")
router.register("check-ins", api.CheckInViewSet, basename="api-check-ins")
router.register("smart-review", api.SmartReviewViewSet, basename="api-smart-review")
urlpatterns = [
    *router.urls,
    path("okr-settings/", OkrSettingsView.as_view(), name="api-okr-settings"),
]
