from django.apps import AppConfig


class StandardsConfig(AppConfig):
    name = "standards"
    verbose_name = "Standards"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Explicit registries of the apps below: the gate on task moves, the card badge, the
        # leader widget and the finding; and the record of refused automated moves.
        from standards import wiring

        wiring.connect()
