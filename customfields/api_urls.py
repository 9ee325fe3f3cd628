"""Custom fields API, under /api/v1/workspaces/<slug>/."""

from django.urls import path

from customfields import api

fields = api.CustomFieldViewSet.as_view({"get": "list", "post": "create"})
field = api.CustomFieldViewSet.as_view({"get": "retrieve", "patch": "partial_update"})
values = api.TaskCustomValuesViewSet.as_view({"get": "retrieve", "patch": "partial_update"})

urlpatterns = [
    path("custom-fields/", fields, name="api-custom-fields-list"),
    path("custom-fields/<int:pk>/", field, name="api-custom-fields-detail"),
    path("tasks/<str:key>/custom-fields/", values, name="api-task-custom-fields"),
]
