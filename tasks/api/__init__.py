"""The work API (DRF), split by resource. api_urls.py reads the views from here."""

from tasks.api.collaboration import TaskCommentViewSet, TaskDependencyViewSet
from tasks.api.search import SearchView
from tasks.api.sprints import SprintViewSet
from tasks.api.task_views import TaskViewSet
from tasks.api.workflow import LabelViewSet, WorkflowStateViewSet

__all__ = [
    "LabelViewSet",
    "SearchView",
    "SprintViewSet",
    "TaskCommentViewSet",
    "TaskDependencyViewSet",
    "TaskViewSet",
    "WorkflowStateViewSet",
]
