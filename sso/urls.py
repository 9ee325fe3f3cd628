"""Single sign-on settings, under /w/<slug>/settings/sso/."""

from django.urls import path

from sso import views

app_name = "sso"
urlpatterns = [
    path("", views.sso_settings, name="settings"),
    path("delete/", views.sso_delete, name="delete"),
]
