from django.apps import AppConfig


class DashboardsConfig(AppConfig):
    name = "dashboards"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Beat schedules live in settings.CELERY_BEAT_SCHEDULE ("dashboards-*" entries).
        from django.db.models.signals import pre_delete

        from alignment import events
        from dashboards import (
            subscribers,
            subscribers_freshness,
            subscribers_settings,
            trends,
        )
        from dashboards.rollups import refresher
        from okrs import selectors as okrs_selectors
        from readmodel import freshness
        from tasks.models import Task

        for event_type, handler in subscribers_settings.SUBSCRIPTIONS:
            events.subscribe(event_type, handler)
        # Stale rollup nodes, findings and team metrics are marked inside the changing
        # transaction: they commit with the change or not at all, so a process that dies right
        # after the commit loses no refresh (the jobs themselves are sent after commit).
        for event_type, handler in [
            *subscribers.SUBSCRIPTIONS,
            *subscribers_freshness.SUBSCRIPTIONS,
        ]:
            events.subscribe(event_type, handler, in_transaction=True)
        # A justified signal (docs/development.md, "Signals kept, and why"): no service
        # deletes tasks; they go in cascades (team, workspace) and from the admin.
        pre_delete.connect(
            subscribers.on_task_deleted, sender=Task, dispatch_uid="dashboards.task_deleted"
        )
        # Every read of the read model first brings the rows it reads up to date (readmodel.
        # freshness): we compute them.
        freshness.register(refresher.RollupRefresher())
        # The objective page draws its trend charts from our daily snapshots.
        okrs_selectors.trends.fill(trends.trends_for)
