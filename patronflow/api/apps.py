from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "patronflow.api"
    verbose_name = "API"
