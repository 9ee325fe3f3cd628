"""Work API, under /api/v1/workspaces/<slug>/. Tasks are addressed by key (kwarg `key`)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from tasks import api
from tasks.saved_views.api import SavedViewViewSet

router = SimpleRouter()
router.register("workflow-states", api.WorkflowStateViewSet, basename="api-workflow-states")
router.register("labels", api.LabelViewSet, basename="api-labels")
router.register("sprints", api.SprintViewSet, basename="api-sprints")
router.register("tasks", api.TaskViewSet, basename="api-tasks")
router.register("task-dependencies", api.TaskDependencyViewSet, basename="api-task-dependencies")
router.register("saved-views", SavedViewViewSet, basename="api-saved-views")

comments = api.TaskCommentViewSet.as_view({"get": "list", "post": "create"})
comment = api.TaskCommentViewSet.as_view({"delete": "destroy"})
key = "tasks/<str:key>"

urlpatterns = [
    path(f"{key}/comments/", comments, name="api-task-comments-list"),
    path(f"{key}/comments/<int:pk>/", comment, name="api-task-comments-detail"),
    path("search/", api.SearchView.as_view(), name="api-search"),
    *router.urls,
]
