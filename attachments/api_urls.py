"""Attachments API, under /api/v1/workspaces/<slug>/."""

from django.urls import path

from attachments import api

task_files = api.TaskAttachmentViewSet.as_view({"get": "list", "post": "create"})
one = api.AttachmentViewSet.as_view({"get": "retrieve", "delete": "destroy"})
content = api.AttachmentViewSet.as_view({"get": "content"})

urlpatterns = [
    path("tasks/<str:key>/attachments/", task_files, name="api-task-attachments-list"),
    path("attachments/<int:pk>/", one, name="api-attachments-detail"),
    path("attachments/<int:pk>/content/", content, name="api-attachments-content"),
]
