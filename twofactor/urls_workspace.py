"""Workspace pages of two-factor, under /w/<slug>/settings/two-factor/."""

from django.urls import path

from twofactor import views_workspace

app_name = "twofactor_workspace"
urlpatterns = [
    path("", views_workspace.two_factor_settings, name="settings"),
]
