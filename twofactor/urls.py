"""Your own two-factor pages and the log-in's second step, under /accounts/two-factor/."""

from django.urls import path

from twofactor import views, views_passkeys

app_name = "twofactor"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("setup/", views.setup, name="setup"),
    path("recovery-codes/", views.recovery_codes, name="recovery_codes"),
    path(
        "recovery-codes/regenerate/",
        views.recovery_codes_regenerate,
        name="recovery_codes_regenerate",
    ),
    path("disable/", views.disable, name="disable"),
    path("verify/", views.verify, name="verify"),
    path("verify/cancel/", views.verify_cancel, name="verify_cancel"),
    path("verify/passkey/options/", views_passkeys.login_options, name="passkey_login_options"),
    path("verify/passkey/", views_passkeys.login_verify, name="passkey_login"),
    path("passkeys/options/", views_passkeys.register_options, name="passkey_options"),
    path("passkeys/", views_passkeys.register, name="passkey_register"),
    path("passkeys/<int:passkey_id>/remove/", views_passkeys.remove, name="passkey_remove"),
]
