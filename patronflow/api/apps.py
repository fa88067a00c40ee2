import datetime as dt

from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "patronflow.api"
    verbose_name = "API"

    def forget_expired(self, now: dt.datetime) -> None:
        """Called by `patronflow purge`: kept answers of idempotent requests and rate-limit
        counts past their time."""
        from patronflow.api.idempotency import forget_old_requests
        from patronflow.api.limits import forget_old_counts

        forget_old_requests(now)
        forget_old_counts(now)
