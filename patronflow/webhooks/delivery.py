"""Delivering notices: the due deliveries claimed (one deliverer per delivery at a time),
each subscription's posted in order in a thread of its own, so one library's slow or dead
receiver delays nobody else's beyond the timeout; retried with backoff, given up after
about three days, and a subscription that keeps failing paused, with its reason in words.

`deliver_due` is one round (`patronflow webhooks`; `--follow` runs rounds every few
seconds). The HTTP posts run in threads; the database is read and written by the caller's
thread alone.
"""

import datetime as dt
import http.client
import json
import logging
import random
import ssl
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import Case, F, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext

from patronflow.privacy.audit import PATRONFLOW, record_change
from patronflow.webhooks import signing
from patronflow.webhooks.models import Delivery, Subscription
from patronflow.webhooks.urls_allowed import check_url

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 5
# Seconds the receiver may stay silent while answering.
READ_TIMEOUT = 10
# How long a claimed delivery is kept from other deliverers (a deliverer that died holding
# it lets it go after this).
LEASE = dt.timedelta(minutes=5)
# Deliveries of one subscription posted per round, oldest first …
SUBSCRIPTION_BATCH = 20
# … for at most this many seconds (then one more post may start): a slow receiver's batch
# ends the round soon, and the rest waits for the next.
ROUND_SECONDS = 15
# Subscriptions posted to at once.
PARALLEL = 8
# The wait after each failed attempt; after the last one the delivery is given up: nine
# attempts over about three days.
BACKOFF = (
    dt.timedelta(minutes=1),
    dt.timedelta(minutes=5),
    dt.timedelta(minutes=30),
    dt.timedelta(hours=2),
    dt.timedelta(hours=6),
    dt.timedelta(hours=12),
    dt.timedelta(hours=24),
    dt.timedelta(hours=24),
)
# Each wait is stretched or shrunk by up to this share, so retries do not arrive together.
JITTER = 0.1
# A subscription is paused after this many failed attempts in a row …
PAUSE_AFTER_FAILURES = 20
# … or when every attempt has failed for this long.
PAUSE_AFTER_FAILING_FOR = dt.timedelta(hours=24)
# How much of a failed answer's body is kept in last_error.
EXCERPT = 120
ERROR_LENGTH = Delivery._meta.get_field("last_error").max_length
REASON_LENGTH = Subscription._meta.get_field("paused_reason").max_length
# Delivery rows are kept this long (forget_old_deliveries), whatever their state.
KEPT_FOR = dt.timedelta(days=30)


@dataclass(frozen=True)
class Outcome:
    delivered: bool
    status: int | None
    error: str = ""


@dataclass
class Round:
    """What one round did."""

    delivered: int = 0
    retried: int = 0
    failed: int = 0
    paused: list[str] = field(default_factory=list)

    def describe(self) -> str:
        text = f"{self.delivered} delivered, {self.retried} to retry, {self.failed} given up"
        return text + "".join(f"; paused {reason}" for reason in self.paused)


def body_of(delivery: Delivery) -> bytes:
    """The bytes posted (and signed) for a delivery: its payload as compact JSON."""
    return json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False).encode()


def post(url: str, body: bytes, headers: dict[str, str]) -> Outcome:
    """POST once, without following a redirect; any 2xx answer is delivered."""
    try:
        check_url(url)
    except ValueError as problem:
        return Outcome(False, None, f"address not allowed: {problem}")
    parts = urlsplit(url)
    if parts.scheme == "https":
        connection = http.client.HTTPSConnection(
            parts.hostname,
            parts.port,
            timeout=CONNECT_TIMEOUT,
            context=ssl.create_default_context(),
        )
    else:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=CONNECT_TIMEOUT)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.connect()
        connection.sock.settimeout(READ_TIMEOUT)
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        status = response.status
        location = response.getheader("Location", "")
        excerpt = response.read(EXCERPT).decode("utf-8", "replace")
    except TimeoutError:
        return Outcome(False, None, "no answer within the time allowed")
    except (OSError, http.client.HTTPException) as error:
        return Outcome(False, None, _describe(error))
    finally:
        connection.close()
    if 200 <= status < 300:
        return Outcome(True, status)
    if 300 <= status < 400:
        return Outcome(False, status, f"HTTP {status}: redirect to {location} not followed")
    excerpt = " ".join(excerpt.split())
    return Outcome(False, status, f"HTTP {status}" + (f": {excerpt}" if excerpt else ""))


def _describe(error: Exception) -> str:
    text = str(error) or type(error).__name__
    return f"{type(error).__name__}: {text}"


def deliver_due(now: dt.datetime | None = None) -> Round:
    """Post every delivery that is due now (or at `now`) to its active subscription."""
    now = now or timezone.now()
    claimed = _claim(now)
    done = Round()
    if not claimed:
        return done
    with ThreadPoolExecutor(max_workers=min(PARALLEL, len(claimed))) as pool:
        posting = {
            pool.submit(_post_in_order, subscription, deliveries): subscription
            for subscription, deliveries in claimed.items()
        }
        for finished in as_completed(posting):
            subscription = posting[finished]
            _record(subscription, claimed[subscription], finished.result(), now, done)
    return done


def _claim(now: dt.datetime) -> dict[Subscription, list[Delivery]]:
    """The due deliveries of each active subscription, oldest first, each taken with a
    conditional update that only one deliverer wins."""
    due = Delivery.objects.filter(
        state=Delivery.State.PENDING,
        next_attempt_at__lte=now,
        subscription__state=Subscription.State.ACTIVE,
    )
    claimed = {}
    subscriptions = Subscription.objects.filter(
        pk__in=due.values("subscription_id")
    ).select_related("library")
    for subscription in subscriptions:
        oldest = due.filter(subscription=subscription).order_by("next_attempt_at", "pk")
        won = [
            pk
            for pk in oldest.values_list("pk", flat=True)[:SUBSCRIPTION_BATCH]
            if Delivery.objects.filter(
                pk=pk, state=Delivery.State.PENDING, next_attempt_at__lte=now
            ).update(next_attempt_at=now + LEASE)
        ]
        if won:  # read once won: another deliverer may have changed them before
            claimed[subscription] = list(Delivery.objects.filter(pk__in=won).order_by("pk"))
    return claimed


def _post_in_order(
    subscription: Subscription, deliveries: Sequence[Delivery]
) -> list[tuple[Delivery, Outcome]]:
    """Post one subscription's deliveries in order until one fails (the rest wait with it)
    or the round's time is up (the rest are due again at once)."""
    tried = []
    until = time.monotonic() + ROUND_SECONDS
    for delivery in deliveries:
        if time.monotonic() > until:
            break
        body = body_of(delivery)
        headers = signing.headers(
            secret=subscription.secret,
            notice_id=str(delivery.notice_id),
            timestamp=int(time.time()),  # the receiver's clock judges it: the real time
            body=body,
        )
        outcome = post(subscription.url, body, headers)
        tried.append((delivery, outcome))
        if not outcome.delivered:
            break
    return tried


def retry_wait(attempts: int) -> dt.timedelta | None:
    """The wait after the attempts-th failed attempt, with jitter; None: give up."""
    if attempts > len(BACKOFF):
        return None
    return BACKOFF[attempts - 1] * random.uniform(1 - JITTER, 1 + JITTER)


def _record(
    subscription: Subscription,
    claimed: Sequence[Delivery],
    tried: list[tuple[Delivery, Outcome]],
    now: dt.datetime,
    done: Round,
) -> None:
    """Store what the posts did. The deliveries claimed after one that failed were not
    posted: they wait as long as it does, so a receiver that is down is tried once per
    wait, not once per delivery; those left when the round's time was up are due again."""
    later = now
    for delivery, outcome in tried:
        attempts = delivery.attempts + 1
        common = {
            "attempts": attempts,
            "last_attempt_at": now,
            "last_status": outcome.status,
            "last_error": outcome.error[:ERROR_LENGTH],
        }
        if outcome.delivered:
            Delivery.objects.filter(pk=delivery.pk).update(
                state=Delivery.State.DELIVERED, next_attempt_at=None, delivered_at=now, **common
            )
            Subscription.objects.filter(pk=subscription.pk).update(
                failures_in_a_row=0, failing_since=None
            )
            done.delivered += 1
            continue
        wait = retry_wait(attempts)
        if wait is None:
            Delivery.objects.filter(pk=delivery.pk).update(
                state=Delivery.State.FAILED, next_attempt_at=None, **common
            )
            done.failed += 1
        else:
            later = now + wait
            Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=later, **common)
            done.retried += 1
        _count_failure(subscription, outcome, now, done)
    posted = {delivery.pk for delivery, _ in tried}
    waiting = [delivery.pk for delivery in claimed if delivery.pk not in posted]
    if waiting:
        Delivery.objects.filter(pk__in=waiting, state=Delivery.State.PENDING).update(
            next_attempt_at=later
        )


def _count_failure(
    subscription: Subscription, outcome: Outcome, now: dt.datetime, done: Round
) -> None:
    """One more failed attempt in a row; pause the subscription when it has failed
    PAUSE_AFTER_FAILURES times in a row, or at every attempt for PAUSE_AFTER_FAILING_FOR.
    A run of failures starts again when staff resume it (failures_in_a_row back to 0)."""
    Subscription.objects.filter(pk=subscription.pk).update(
        failures_in_a_row=F("failures_in_a_row") + 1,
        failing_since=Case(
            When(failures_in_a_row=0, then=Value(now)),
            default=Coalesce(F("failing_since"), Value(now)),
        ),
    )
    now_stored = (
        Subscription.objects.filter(pk=subscription.pk)
        .values("state", "failures_in_a_row", "failing_since")
        .first()
    )
    if now_stored is None or now_stored["state"] != Subscription.State.ACTIVE:
        return  # removed or paused by staff meanwhile
    subscription.failures_in_a_row = now_stored["failures_in_a_row"]
    subscription.failing_since = now_stored["failing_since"]
    latest = outcome.error or "no answer"
    # In the network's language, as staff read it on their screens.
    with translation.override(settings.LANGUAGE_CODE):
        if subscription.failures_in_a_row >= PAUSE_AFTER_FAILURES:
            reason = gettext(
                "Paused by patronflow: %(count)s deliveries in a row failed; the latest: %(latest)s"
            ) % {"count": subscription.failures_in_a_row, "latest": latest}
        elif now - subscription.failing_since >= PAUSE_AFTER_FAILING_FOR:
            since = subscription.failing_since.astimezone(dt.UTC)
            reason = gettext(
                "Paused by patronflow: every delivery failed since %(since)s UTC; the latest: "
                "%(latest)s"
            ) % {"since": f"{since:%Y-%m-%d %H:%M}", "latest": latest}
        else:
            return
    if pause(subscription, reason=reason, now=now):
        done.paused.append(f"{subscription.library.code} {subscription.url}: {reason}")


def pause(subscription: Subscription, *, reason: str, now: dt.datetime) -> bool:
    """Pause a subscription that keeps failing; its deliveries wait, pending, until staff
    resume it. The staff screens show the reason; the audit log records the change. True
    when it paused now."""
    reason = reason[:REASON_LENGTH]
    paused = Subscription.objects.filter(
        pk=subscription.pk, state=Subscription.State.ACTIVE
    ).update(state=Subscription.State.PAUSED, paused_at=now, paused_reason=reason)
    if not paused:
        return False
    record_change(
        f"webhook {subscription.pk} {subscription.url}",
        {"state": ("active", "paused"), "reason": (None, reason)},
        actor=PATRONFLOW,
        library_code=subscription.library.code,
        at=now,
    )
    log.warning("webhook paused for %s %s: %s", subscription.library.code, subscription.url, reason)
    return True


def forget_old_deliveries(now: dt.datetime) -> int:
    """Remove the deliveries made more than KEPT_FOR ago, in any state (a delivery still
    waiting for a subscription paused that long goes too): the log holds members' ids and
    volunteers' details no longer than that. Returns how many went."""
    removed, _ = Delivery.objects.filter(created_at__lt=now - KEPT_FOR).delete()
    return removed
