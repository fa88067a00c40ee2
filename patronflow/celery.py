"""The Celery app for send workers. Tasks are thin: the sending is plain functions over the
outbox (patronflow/mail/services.py), whose claim makes a redelivered task harmless."""

import os

from celery import Celery
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "patronflow.settings")

app = Celery("patronflow", include=["patronflow.mail.tasks", "patronflow.operations.tasks"])
app.conf.update(
    # A task is acknowledged when it has finished, so a worker that dies mid-batch gives its
    # task back; the outbox's claim and lease decide what is safe to send again.
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    broker_connection_retry_on_startup=True,
    task_ignore_result=True,
    worker_hijack_root_logger=False,
)


def configure() -> Celery:
    """Point the app at settings.BROKER_URL (read at use, so tests and commands may set it)."""
    from django.conf import settings

    if app.conf.broker_url != settings.BROKER_URL:
        app.conf.broker_url = settings.BROKER_URL
    app.conf.task_default_queue = settings.SEND_QUEUE
    return app


@task_prerun.connect
@task_postrun.connect
def _fresh_database_connections(**kwargs) -> None:
    """Long-lived workers: drop database connections that broke or outlived CONN_MAX_AGE."""
    from django.db import close_old_connections

    close_old_connections()
