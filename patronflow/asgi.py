"""The ASGI application `patronflow serve` runs: the API's events front (api/front.py) before
the tracking server's front (tracking/asgi.py), which hands everything else to Django."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "patronflow.settings")

import django

django.setup()

from patronflow.api.front import EventsFront  # noqa: E402
from patronflow.tracking.asgi import application as tracking  # noqa: E402

application = EventsFront(tracking)
