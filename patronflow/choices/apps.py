from django.apps import AppConfig


class ChoicesConfig(AppConfig):
    name = "patronflow.choices"
