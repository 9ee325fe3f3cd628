"""Roadmap pages, under /w/<slug>/roadmaps/."""

from django.urls import path

from roadmaps import views

app_name = "roadmaps"
urlpatterns = [
    path("", views.roadmap_list, name="list"),
    path("<int:roadmap_id>/", views.roadmap_timeline, name="timeline"),
    path(
        "<int:roadmap_id>/items/<int:item_id>/reschedule/",
        views.item_reschedule,
        name="item_reschedule",
    ),
]
