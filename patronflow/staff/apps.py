from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "patronflow.staff"
    verbose_name = "Staff"
