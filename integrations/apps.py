from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers the delivery handlers (integrations.registry).
        from integrations import handlers, slack_commands  # noqa: F401
