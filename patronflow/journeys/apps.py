from django.apps import AppConfig


class JourneysConfig(AppConfig):
    name = "patronflow.journeys"
    verbose_name = "Journeys"
