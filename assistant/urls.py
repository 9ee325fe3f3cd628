"""Assistant pages, under /w/<slug>/assistant/."""

from django.urls import path

from assistant import views

app_name = "assistant"
urlpatterns = [
    path("draft/", views.draft_page, name="draft"),
    path("weekly/", views.weekly_page, name="weekly"),
    path("objectives/<int:objective_id>/changes/", views.objective_page, name="objective"),
    path("sprints/<int:sprint_id>/retro/", views.retro_page, name="retro"),
    path("settings/", views.settings_page, name="settings"),
]
