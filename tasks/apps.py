from django.apps import AppConfig


class TasksConfig(AppConfig):
    name = "tasks"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from alignment.models import Team
        from tasks import signals

        # alignment/ must not import tasks/, so every new team gets its workflow from here.
        post_save.connect(
            signals.team_created, sender=Team, dispatch_uid="tasks.team_default_workflow"
        )
