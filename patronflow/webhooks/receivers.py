"""Notices become deliveries: one per subscription of the library that asked for the kind,
created in the transaction of the fact (patronflow/notices.py), so neither is kept without
the other.

A paused subscription gets its deliveries too: they wait, pending, until staff resume it,
so nothing it asked for is lost while its receiver was down."""

import datetime as dt

from django.utils import timezone

from patronflow import notices
from patronflow.members.models import Library
from patronflow.webhooks.models import Delivery, Subscription


def queue_notice(
    *, library_id: int, kind: str, data: dict, at: dt.datetime | None = None, **_: object
) -> list[Delivery]:
    """The deliveries of one notice, due at once (the signal's receiver)."""
    subscriptions = [
        subscription
        for subscription in Subscription.objects.filter(library_id=library_id).only(
            "pk", "kinds", "state"
        )
        if kind in subscription.kinds
    ]
    if not subscriptions:
        return []
    code = Library.objects.values_list("code", flat=True).get(pk=library_id)
    at = at or timezone.now()
    now = timezone.now()
    deliveries = []
    for subscription in subscriptions:
        delivery = Delivery(subscription=subscription, kind=kind, next_attempt_at=now)
        delivery.payload = {
            "id": str(delivery.notice_id),
            "type": kind,
            "occurred_at": at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
            "library": code,
            "data": data,
        }
        deliveries.append(delivery)
    return Delivery.objects.bulk_create(deliveries)


def connect() -> None:
    notices.announced.connect(queue_notice, dispatch_uid="webhooks.queue_notice")
