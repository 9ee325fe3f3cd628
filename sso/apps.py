from django.apps import AppConfig


class SsoConfig(AppConfig):
    name = "sso"
    verbose_name = "Single sign-on"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # "SSO required" refuses password log-ins through the core's policy registry.
        from alignment import login_policies
        from sso import services

        login_policies.register_password_policy(services.password_login_refusal)
