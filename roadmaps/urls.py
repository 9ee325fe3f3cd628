"""Roadmap pages, under /w/<slug>/roadmaps/."""

from django.urls import path

from roadmaps import views, views_manage

app_name = "roadmaps"
urlpatterns = [
    path("", views.roadmap_list, name="list"),
    path("new/", views_manage.roadmap_new, name="roadmap_new"),
    path("<int:roadmap_id>/", views.roadmap_timeline, name="timeline"),
    path("<int:roadmap_id>/edit/", views_manage.roadmap_edit, name="roadmap_edit"),
    path("<int:roadmap_id>/delete/", views_manage.roadmap_delete, name="roadmap_delete"),
    path("<int:roadmap_id>/items/new/", views_manage.item_new, name="item_new"),
    path("<int:roadmap_id>/items/<int:item_id>/", views_manage.item_detail, name="item"),
    path("<int:roadmap_id>/items/<int:item_id>/edit/", views_manage.item_edit, name="item_edit"),
    path(
        "<int:roadmap_id>/items/<int:item_id>/delete/",
        views_manage.item_delete,
        name="item_delete",
    ),
    path("<int:roadmap_id>/items/<int:item_id>/links/", views_manage.item_link, name="item_link"),
    path(
        "<int:roadmap_id>/items/<int:item_id>/links/<int:link_id>/delete/",
        views_manage.item_unlink,
        name="item_unlink",
    ),
    path(
        "<int:roadmap_id>/items/<int:item_id>/reschedule/",
        views.item_reschedule,
        name="item_reschedule",
    ),
]
