from django.apps import AppConfig


class TrackingConfig(AppConfig):
    name = "patronflow.tracking"
    verbose_name = "Tracking"
