from django.apps import AppConfig


class TwoFactorConfig(AppConfig):
    name = "twofactor"
    verbose_name = "Two-factor authentication"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The log-in view asks this step after every verified password (alignment.login_steps).
        from alignment import login_steps
        from twofactor import login

        login_steps.register_second_step(login.second_step)
