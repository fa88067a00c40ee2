from django.apps import AppConfig


class MailConfig(AppConfig):
    name = "patronflow.mail"
    verbose_name = "Mail"
