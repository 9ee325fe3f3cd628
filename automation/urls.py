"""Automation pages, under /w/<slug>/."""

from django.urls import path

from automation import views

app_name = "automation"
urlpatterns = [
    path("settings/automation/", views.rules, name="rules"),
    path("settings/automation/<int:rule_id>/", views.rule_detail, name="rule"),
    path("settings/automation/<int:rule_id>/dry-run/", views.rule_dry_run, name="dry_run"),
    path("settings/automation/<int:rule_id>/enabled/", views.rule_toggle, name="toggle"),
    path("settings/automation/<int:rule_id>/delete/", views.rule_delete, name="delete"),
]
