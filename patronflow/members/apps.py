from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "patronflow.members"
    verbose_name = "Libraries and members"
