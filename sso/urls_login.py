"""Signing in through a workspace's identity provider, under /accounts/sso/ (no workspace in
the URL: the workspace is found from the e-mail domain, and the callback from the state)."""

from django.urls import path

from sso import views

app_name = "sso_login"
urlpatterns = [
    path("", views.sso_login, name="start"),
    path("callback/", views.sso_callback, name="callback"),
]
