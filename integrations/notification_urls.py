"""Notification routes: pages under /w/<slug>/notifications/ (namespace "notifications") and the
API under /api/v1/workspaces/<slug>/notifications/. alignment/urls.py includes both lists."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from integrations.notifications import api, views

page_patterns = [
    path("", views.inbox, name="inbox"),
    path("read-all/", views.mark_all_read, name="read_all"),
    path("preferences/", views.preferences, name="preferences"),
    path("<int:notification_id>/read/", views.mark_read, name="read"),
]

_router = SimpleRouter()
_router.register("notifications", api.NotificationViewSet, basename="api-notifications")
api_patterns = [
    # Before the router's routes, so "preferences" is never taken for a notification id.
    path(
        "notifications/preferences/",
        api.NotificationPreferencesView.as_view(),
        name="api-notification-preferences",
    ),
    *_router.urls,
]
