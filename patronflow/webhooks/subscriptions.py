"""Staff's side of the webhooks: subscribing an address, changing what it hears, pausing,
resuming and removing it. Each change is audit-logged inside its own transaction; the secret
that signs the deliveries leaves patronflow once, in the return value of
`create_subscription`, and never appears in the log."""

import datetime as dt
import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from patronflow.members.models import Library
from patronflow.notices import KINDS
from patronflow.privacy.audit import Actor, record_change
from patronflow.webhooks.models import Delivery, Subscription
from patronflow.webhooks.urls_allowed import (
    CREDENTIALS_IN_ADDRESS,
    NOT_A_WEB_ADDRESS,
    NOT_HTTPS,
    PRIVATE_ADDRESS,
    check_url,
)

SECRET_PREFIX = "whsec_"


class SubscriptionError(ValueError):
    """A subscription patronflow refuses; `field` names the form field it is about."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


# check_url's reasons in the words staff read (translated by the staff screens).
URL_REFUSALS = {
    NOT_A_WEB_ADDRESS: gettext_noop("Give a full address that starts with https://."),
    CREDENTIALS_IN_ADDRESS: gettext_noop("Leave the user name and password out of the address."),
    NOT_HTTPS: gettext_noop("Deliveries may name a member: use https://."),
    PRIVATE_ADDRESS: gettext_noop(
        "This address is in a private or local network: patronflow delivers only to "
        "addresses on the internet."
    ),
}


def checked_url(url: str) -> str:
    """The address as deliveries will use it, by the rule the deliverer asks again before
    each post (urls_allowed.check_url: https to an address on the internet, unless the
    operator allows private addresses)."""
    try:
        return check_url(url)
    except ValueError as error:
        raise SubscriptionError(URL_REFUSALS[str(error)], "url") from None


def _check_kinds(kinds: list[str]) -> list[str]:
    chosen = [kind for kind in KINDS if kind in set(kinds)]
    if not kinds or len(chosen) != len(set(kinds)):
        raise SubscriptionError(gettext_noop("Choose at least one of the notices."), "kinds")
    return chosen


def _subject(subscription: Subscription) -> str:
    return f"webhook {subscription.pk} {subscription.url}"


def create_subscription(
    *, library: Library, url: str, kinds: list[str], description: str = "", actor: Actor = None
) -> tuple[Subscription, str]:
    """A new active subscription; returns it and its signing secret in clear."""
    secret = f"{SECRET_PREFIX}{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        subscription = Subscription.objects.create(
            library=library,
            url=checked_url(url),
            kinds=_check_kinds(kinds),
            description=description,
            secret=secret,
            created_by=actor if not isinstance(actor, str | None) else None,
        )
        record_change(
            _subject(subscription),
            {
                "subscription": (None, "created"),
                "kinds": (None, ", ".join(subscription.kinds)),
                "description": (None, description),
            },
            actor=actor, library_code=library.code,
        )  # fmt: skip
    return subscription, secret


def update_subscription(
    *, subscription: Subscription, kinds: list[str], description: str, actor: Actor = None
) -> Subscription:
    """Change which notices the address hears and what staff call it."""
    kinds = _check_kinds(kinds)
    changes = {}
    if kinds != subscription.kinds:
        changes["kinds"] = (", ".join(subscription.kinds), ", ".join(kinds))
    if description != subscription.description:
        changes["description"] = (subscription.description, description)
    with transaction.atomic():
        subscription.kinds, subscription.description = kinds, description
        subscription.save(update_fields=["kinds", "description"])
        record_change(
            _subject(subscription), changes, actor=actor,
            library_code=subscription.library.code,
        )  # fmt: skip
    return subscription


def pause_subscription(
    *, subscription: Subscription, reason: str, actor: Actor = None, now: dt.datetime | None = None
) -> Subscription:
    """Stop delivering to the address (notices still queue) until staff resume it."""
    with transaction.atomic():
        updated = Subscription.objects.filter(
            pk=subscription.pk, state=Subscription.State.ACTIVE
        ).update(
            state=Subscription.State.PAUSED, paused_at=now or timezone.now(), paused_reason=reason
        )
        if updated:
            record_change(
                _subject(subscription),
                {"state": ("active", "paused"), "paused_reason": ("", reason)},
                actor=actor, library_code=subscription.library.code,
            )  # fmt: skip
    subscription.refresh_from_db()
    return subscription


def resume_subscription(
    *, subscription: Subscription, actor: Actor = None, now: dt.datetime | None = None
) -> Subscription:
    """Deliver again: the count of failures starts over and what waited is due now."""
    now = now or timezone.now()
    with transaction.atomic():
        updated = Subscription.objects.filter(
            pk=subscription.pk, state=Subscription.State.PAUSED
        ).update(
            state=Subscription.State.ACTIVE,
            paused_at=None,
            paused_reason="",
            failures_in_a_row=0,
            failing_since=None,
        )
        if updated:
            due = Delivery.objects.filter(
                subscription=subscription, state=Delivery.State.PENDING
            ).update(next_attempt_at=now)
            record_change(
                _subject(subscription),
                {"state": ("paused", "active"), "deliveries due now": (None, due)},
                actor=actor, library_code=subscription.library.code,
            )  # fmt: skip
    subscription.refresh_from_db()
    return subscription


def remove_subscription(*, subscription: Subscription, actor: Actor = None) -> None:
    """Forget the address, its secret and its deliveries, waiting ones too."""
    with transaction.atomic():
        record_change(
            _subject(subscription),
            {"subscription": (subscription.state, None)},
            actor=actor, library_code=subscription.library.code,
        )  # fmt: skip
        subscription.delete()
