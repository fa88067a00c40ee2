from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "patronflow.webhooks"

    def ready(self) -> None:
        from patronflow.webhooks import receivers

        receivers.connect()
