"""Workspace pages of the core, under /w/<slug>/."""

from django.urls import path

from alignment.views import workspace

app_name = "workspace"
urlpatterns = [
    path("", workspace.workspace_home, name="home"),
]
