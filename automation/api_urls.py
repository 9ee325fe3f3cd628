"""Automation API, under /api/v1/workspaces/<slug>/."""

from django.urls import path

from automation import api

rules = api.RuleViewSet.as_view({"get": "list", "post": "create"})
rule = api.RuleViewSet.as_view({"get": "retrieve", "patch": "partial_update", "delete": "destroy"})
dry_run = api.RuleViewSet.as_view({"post": "dry_run"})
runs = api.RuleViewSet.as_view({"get": "runs"})
catalog = api.RuleViewSet.as_view({"get": "catalog"})

urlpatterns = [
    path("automation/rules/", rules, name="api-automation-rules"),
    path("automation/rules/<int:pk>/", rule, name="api-automation-rule"),
    path("automation/rules/<int:pk>/dry-run/", dry_run, name="api-automation-rule-dry-run"),
    path("automation/rules/<int:pk>/runs/", runs, name="api-automation-rule-runs"),
    path("automation/catalog/", catalog, name="api-automation-catalog"),
]
