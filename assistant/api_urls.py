"""Assistant API, under /api/v1/workspaces/<slug>/assistant/."""

from django.urls import path

from assistant import api

urlpatterns = [
    path("drafts/", api.DraftView.as_view(), name="api-assistant-drafts"),
    path("drafts/accept/", api.AcceptView.as_view(), name="api-assistant-accept"),
    path("summaries/weekly/", api.WeeklySummaryView.as_view(), name="api-assistant-weekly"),
    path(
        "summaries/objectives/<int:objective_id>/",
        api.ObjectiveSummaryView.as_view(),
        name="api-assistant-objective",
    ),
    path(
        "summaries/sprints/<int:sprint_id>/",
        api.SprintSummaryView.as_view(),
        name="api-assistant-sprint",
    ),
    path("settings/", api.SettingsView.as_view(), name="api-assistant-settings"),
    path("logs/", api.LogView.as_view(), name="api-assistant-logs"),
]
