from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers the delivery handlers (integrations.registry).
        from integrations import (  # noqa: F401
            handlers,
            handlers_deployments,
            slack_buttons,
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
        from integrations.selectors import ci_card_badges, task_page_links
        from tasks import card_badges, page_selectors

        card_badges.register(ci_card_badges)
        # The task page's "Linked work" (alignment.registry slot).
        page_selectors.task_links.fill(task_page_links)
