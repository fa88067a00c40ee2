import datetime as dt

from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "patronflow.webhooks"

    def forget_expired(self, now: dt.datetime) -> None:
        """Called by `patronflow purge`: deliveries older than their 30 days."""
        from patronflow.webhooks.delivery import forget_old_deliveries

        forget_old_deliveries(now)

    def ready(self) -> None:
        from patronflow.webhooks import receivers

        receivers.connect()
