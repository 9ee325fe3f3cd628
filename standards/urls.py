"""Standards pages, under /w/<slug>/standards/."""

from django.urls import path

from standards import views

app_name = "standards"
urlpatterns = [
    path("", views.standard_list, name="list"),
    path("new/", views.standard_new, name="new"),
    path("from-template/", views.standard_from_template, name="from_template"),
    path("compliance/", views.standard_compliance, name="compliance"),
    path("<int:standard_id>/", views.standard_edit, name="edit"),
    path("<int:standard_id>/delete/", views.standard_delete, name="delete"),
    path("<int:standard_id>/teams/<int:team_id>/", views.standard_team, name="team"),
]
