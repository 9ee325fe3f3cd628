"""Custom-field pages, under /w/<slug>/."""

from django.urls import path

from customfields import views

app_name = "customfields"
urlpatterns = [
    path("settings/custom-fields/", views.field_settings, name="settings"),
    path(
        "settings/custom-fields/<int:custom_field_id>/",
        views.field_edit,
        name="field",
    ),
    path(
        "settings/custom-fields/<int:custom_field_id>/options/",
        views.option_add,
        name="option_add",
    ),
    path(
        "settings/custom-fields/options/<int:custom_field_option_id>/",
        views.option_edit,
        name="option",
    ),
    path("tasks/<str:key>/custom-fields/", views.task_values, name="task_values"),
]
