"""The nightly purge also forgets what the API and the webhooks keep for a while only: kept
answers of idempotent requests (a day), rate-limit counts (an hour) and webhook deliveries
(30 days) — each past its time, nothing younger."""

import datetime as dt

import pytest
from django.utils import timezone

from patronflow.api.models import ApiRequest, RequestCount
from patronflow.api.tokens import create_token
from patronflow.operations.purge import purge
from patronflow.webhooks.models import Delivery, Subscription
from tests.factories import LibraryFactory

pytestmark = pytest.mark.django_db


def test_the_purge_forgets_api_answers_counts_and_deliveries_past_their_time():
    now = timezone.now()
    library = LibraryFactory()
    token, _ = create_token(library=library, name="Bibliotheeksysteem", scopes=["events"])
    for hours, key in ((25, "old"), (23, "young")):
        ApiRequest.objects.create(
            library=library, key=key, fingerprint="f" * 64, status=201,
            created_at=now - dt.timedelta(hours=hours),
        )  # fmt: skip
    for minutes in (61, 59):
        RequestCount.objects.create(
            token=token, window_start=now - dt.timedelta(minutes=minutes), count=3
        )
    webhook = Subscription.objects.create(
        library=library, url="https://bib.example.org/hooks", kinds=["list.left"], secret="s"
    )
    for days, kind in ((31, "list.left"), (29, "list.joined")):
        delivery = Delivery.objects.create(subscription=webhook, kind=kind, payload={})
        Delivery.objects.filter(pk=delivery.pk).update(created_at=now - dt.timedelta(days=days))

    purge(timezone.localdate(), operator="cron", now=now)

    assert list(ApiRequest.objects.values_list("key", flat=True)) == ["young"]
    assert RequestCount.objects.get().window_start == now - dt.timedelta(minutes=59)
    assert list(Delivery.objects.values_list("kind", flat=True)) == ["list.joined"]


def test_a_dry_run_forgets_nothing():
    now = timezone.now()
    library = LibraryFactory()
    ApiRequest.objects.create(
        library=library, key="old", fingerprint="f" * 64, created_at=now - dt.timedelta(days=3)
    )

    purge(timezone.localdate(), operator="cron", now=now, dry_run=True)

    assert ApiRequest.objects.exists()
