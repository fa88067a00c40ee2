from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "patronflow.surveys"
