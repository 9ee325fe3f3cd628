"""Provider webhook endpoints, outside /w/<slug>/: the integration's uuid names the workspace."""

from django.urls import path

from integrations import hook_views

urlpatterns = [
    path("github/<uuid:integration_uuid>/", hook_views.github, name="hook_github"),
    path("gitlab/<uuid:integration_uuid>/", hook_views.gitlab, name="hook_gitlab"),
    path("slack/<uuid:integration_uuid>/", hook_views.slack, name="hook_slack"),
]
