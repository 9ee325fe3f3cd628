"""Findings pages, under /w/<slug>/dashboards/findings/ (included by dashboards/urls.py)."""

from django.urls import path

from dashboards import views_findings

urlpatterns = [
    path("findings/", views_findings.findings_list, name="findings"),
    path("findings/dismissed/", views_findings.findings_dismissed, name="findings_dismissed"),
    path(
        "findings/<int:finding_id>/dismiss/",
        views_findings.finding_dismiss,
        name="finding_dismiss",
    ),
    path("findings/<int:finding_id>/snooze/", views_findings.finding_snooze, name="finding_snooze"),
    path(
        "findings/<int:finding_id>/restore/",
        views_findings.finding_restore,
        name="finding_restore",
    ),
]
