from django.apps import AppConfig


class ProfilesConfig(AppConfig):
    name = "patronflow.profiles"
    verbose_name = "Reading profiles"
