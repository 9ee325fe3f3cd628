from django.apps import AppConfig


class TasksConfig(AppConfig):
    name = "tasks"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from alignment import models as core
        from tasks.team_setup import ensure_team_workflow

        # alignment/ must not import tasks/: every new team gets its workflow through this
        # slot (alignment.registry), which Team.save calls on insert.
        core.team_created.fill(ensure_team_workflow)
