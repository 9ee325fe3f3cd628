"""Dashboard pages, under /w/<slug>/dashboards/."""

from django.urls import path

from dashboards import urls_findings, views, views_explain, views_snapshots, views_trends

app_name = "dashboards"
urlpatterns = [
    path("", views.leader, name="leader"),
    path("export/", views.leader_export, name="leader_export"),
    path("snapshot/", views_snapshots.snapshot_now, name="snapshot_now"),
    path(
        "objectives/<int:objective_id>/trend.csv",
        views_trends.objective_trend_export,
        name="objective_trend_export",
    ),
    path("layout/", views.leader_layout, name="leader_layout"),
    path("layout/default/", views.leader_layout_default, name="leader_layout_default"),
    path("teams/<int:team_id>/", views.team, name="team"),
    path("teams/<int:team_id>/export/", views.team_export, name="team_export"),
    path("teams/<int:team_id>/layout/", views.team_layout, name="team_layout"),
    path(
        "teams/<int:team_id>/layout/default/",
        views.team_layout_default,
        name="team_layout_default",
    ),
    path("teams/<int:team_id>/delivery/", views.team_delivery, name="delivery"),
    *urls_findings.urlpatterns,
    path(
        "explain/key-results/<int:key_result_id>/",
        views_explain.key_result_explanation,
        name="explain_key_result",
    ),
    path(
        "explain/objectives/<int:objective_id>/",
        views_explain.objective_explanation,
        name="explain_objective",
    ),
]
