from django.apps import AppConfig


class LiveConfig(AppConfig):
    name = "live"
    verbose_name = "Live pages"

    def ready(self) -> None:
        from live import subscribers, work_topics, workspace_topics

        work_topics.register()
        workspace_topics.register()
        subscribers.register()
