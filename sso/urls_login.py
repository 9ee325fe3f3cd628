"""Signing in through a workspace's identity provider, under /accounts/sso/ (no workspace in
the URL: the workspace is found from the e-mail domain, the OIDC callback from the state, and
a SAML service provider from its random `sp_id`)."""

from django.urls import path

from sso import views

app_name = "sso_login"
urlpatterns = [
    path("", views.sso_login, name="start"),
    path("callback/", views.sso_callback, name="callback"),
    path("saml/<str:sp_id>/metadata/", views.saml_metadata, name="saml_metadata"),
    path("saml/<str:sp_id>/acs/", views.saml_acs, name="saml_acs"),
    path("saml/complete/", views.saml_complete, name="saml_complete"),
]
