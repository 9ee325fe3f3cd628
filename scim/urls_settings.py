"""The provisioning settings page, under /w/<slug>/settings/scim/."""

from django.urls import path

from scim import views_settings

app_name = "scim_settings"
urlpatterns = [
    path("", views_settings.scim_token_list, name="tokens"),
    path("created/", views_settings.scim_token_created, name="token_created"),
    path("<int:scim_token_id>/revoke/", views_settings.scim_token_revoke, name="token_revoke"),
]
