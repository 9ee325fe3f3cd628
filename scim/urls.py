"""SCIM 2.0 endpoints, mounted at /scim/v2/<workspace slug>/ (the provider's "tenant URL")."""

from django.urls import path

from scim import views

app_name = "scim"
urlpatterns = [
    path("ServiceProviderConfig", views.ServiceProviderConfigView.as_view(), name="config"),
    path("ResourceTypes", views.ResourceTypesView.as_view(), name="resource_types"),
    path("ResourceTypes/<str:name>", views.ResourceTypesView.as_view(), name="resource_type"),
    path("Schemas", views.SchemasView.as_view(), name="schemas"),
    path("Schemas/<str:uri>", views.SchemasView.as_view(), name="schema"),
    path("Users", views.UsersView.as_view(), name="users"),
    path("Users/<str:scim_user_id>", views.UserView.as_view(), name="user"),
    path("Groups", views.GroupsView.as_view(), name="groups"),
    path("Groups/<str:scim_group_id>", views.GroupView.as_view(), name="group"),
]
