from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers the delivery handlers (integrations.registry).
        from integrations import (  # noqa: F401
            handlers,
            handlers_deployments,
            slack_commands,
            slack_events,
            slack_interactivity,
        )

        # Notifications: in-transaction event subscribers, and the check-in reminder task.
        from integrations.notifications import subscribers
        from integrations.notifications import tasks as notification_tasks  # noqa: F401

        subscribers.register()

        # Outbound webhooks: domain events → outbox rows, in the publisher's transaction.
        from integrations import domain_webhooks

        domain_webhooks.register()

        # Board cards: the CI badge, read for a page of cards at once.
        from integrations.selectors import ci_card_badges
        from tasks import card_badges

        card_badges.register(ci_card_badges)
