"""Notices become deliveries: one per subscription of the library that asked for the kind,
created in the transaction of the fact (patronflow/notices.py), so neither is kept without
the other.

A paused subscription gets its deliveries too: they wait, pending, until staff resume it,
so nothing it asked for is lost while its receiver was down.

A focus-group volunteer's notice carries their name, e-mail address and phone: patronflow
keeps those in the delivery only while it still has to post them. Delivered or given up,
they are blanked (without_personal_details, by the deliverer); and when the volunteer is
erased, by staff or by the purge when their retention ends, their waiting deliveries go with
them (forget_volunteer, on the surveys stage's own post_delete of the volunteer: the stage
below never hears of webhooks)."""

import datetime as dt

from django.db.models.signals import post_delete
from django.utils import timezone

from patronflow import notices
from patronflow.members.models import Library
from patronflow.surveys.models import Volunteer
from patronflow.webhooks.models import Delivery, Subscription

# What a survey.volunteer notice says about the person; the rest (the volunteer's number in
# patronflow, the survey) is kept.
VOLUNTEER_DETAILS = ("name", "email", "phone")


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


def without_personal_details(payload: dict) -> dict:
    """A survey.volunteer notice's payload with the volunteer's details blanked."""
    data = payload.get("data", {})
    blanked = {name: "" for name in VOLUNTEER_DETAILS if name in data}
    return payload | {"data": data | blanked}


def forget_volunteer(*, instance: Volunteer, **_: object) -> int:
    """An erased volunteer's notices not delivered yet are removed (in the erasure's
    transaction): nobody is to hear of them now. Delivered and given-up ones hold no details
    any more. Returns how many went."""
    removed, _ = Delivery.objects.filter(
        kind=notices.VOLUNTEER,
        state=Delivery.State.PENDING,
        subscription__library_id=instance.library_id,
        payload__data__volunteer=instance.pk,
    ).delete()
    return removed


def connect() -> None:
    notices.announced.connect(queue_notice, dispatch_uid="webhooks.queue_notice")
    post_delete.connect(forget_volunteer, sender=Volunteer, dispatch_uid="webhooks.volunteer")
