"""API routes outside a workspace: who am I, which workspaces can I reach."""

from django.urls import path

from alignment import api

urlpatterns = [
    path("me/", api.MeView.as_view(), name="api-me"),
    path("workspaces/", api.WorkspaceListView.as_view(), name="api-workspaces"),
]
