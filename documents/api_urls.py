"""Documents API, under /api/v1/workspaces/<slug>/."""

from rest_framework.routers import SimpleRouter

from documents import api

router = SimpleRouter()
router.register("documents", api.DocumentViewSet, basename="api-documents")
urlpatterns = router.urls
