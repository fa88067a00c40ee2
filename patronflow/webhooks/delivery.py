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
import io
import json
import logging
import random
import socket
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
from django.utils.translation import gettext, gettext_noop

from patronflow import notices
from patronflow.privacy.audit import PATRONFLOW, record_change
from patronflow.webhooks import signing
from patronflow.webhooks.models import Delivery, Subscription
from patronflow.webhooks.receivers import without_personal_details
from patronflow.webhooks.urls_allowed import (
    CREDENTIALS_IN_ADDRESS,
    NOT_A_WEB_ADDRESS,
    NOT_HTTPS,
    PRIVATE_ADDRESS,
    Address,
    addresses_for,
    check_url,
)

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 5
# Seconds the receiver may stay silent while answering.
READ_TIMEOUT = 10
# Seconds one post may take in all, connecting, sending and reading the answer's head: a
# receiver that answers a byte at a time fails the attempt when they are up.
POST_DEADLINE = 15
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
# A failed attempt as the delivery log keeps it: its status, and in last_error (shown to
# staff in their language) one of these fixed phrases where the status does not say it all;
# never what the receiver answered, so the log cannot be used to read another machine.
REDIRECT_NOT_FOLLOWED = gettext_noop("redirect not followed")
TIMED_OUT = gettext_noop("timed out")
CONNECTION_REFUSED = gettext_noop("connection refused")
CONNECTION_FAILED = gettext_noop("connection failed")
NAME_NOT_FOUND = gettext_noop("name not found")
CERTIFICATE_NOT_TRUSTED = gettext_noop("certificate not trusted")
TLS_FAILED = gettext_noop("secure connection failed")
NOT_AN_HTTP_ANSWER = gettext_noop("no valid HTTP answer")
ADDRESS_REFUSALS = {
    NOT_A_WEB_ADDRESS: gettext_noop("address not allowed: not a web address"),
    CREDENTIALS_IN_ADDRESS: gettext_noop("address not allowed: a user name or password in it"),
    NOT_HTTPS: gettext_noop("address not allowed: only https://"),
    PRIVATE_ADDRESS: gettext_noop("address not allowed: a private or local address"),
}
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
    """POST once, without following a redirect; any 2xx answer is delivered. The attempt
    connects only to the addresses the rule allows (urls_allowed) and ends within
    POST_DEADLINE, whatever the receiver does. A failure is kept in the log's fixed words
    (failure_of); its details go to the deliverer's own log, for the operator."""
    until = time.monotonic() + POST_DEADLINE
    try:
        check_url(url)
        parts = urlsplit(url)
        tls = parts.scheme == "https"
        port = parts.port or (443 if tls else 80)
        addresses = addresses_for(parts.hostname, port, plain_http=not tls)
    except ValueError as refusal:  # a name that cannot be a host's too (UnicodeError)
        words = ADDRESS_REFUSALS.get(str(refusal), ADDRESS_REFUSALS[NOT_A_WEB_ADDRESS])
        return Outcome(False, None, words)
    except OSError as error:
        return _failed(url, error)
    sock = None
    try:
        sock = _connect(addresses, hostname=parts.hostname, tls=tls, until=until)
        connection = http.client.HTTPConnection(parts.hostname, port)
        connection.default_port = 443 if tls else 80  # the Host header names the port if other
        connection.sock = _Deadline(sock, until)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        connection.request("POST", path, body=body, headers=headers)
        status = connection.getresponse().status
    except (OSError, http.client.HTTPException) as error:
        return _failed(url, error)
    finally:
        if sock is not None:
            sock.close()
    if 200 <= status < 300:
        return Outcome(True, status)
    if 300 <= status < 400:
        return Outcome(False, status, REDIRECT_NOT_FOLLOWED)
    return Outcome(False, status)


def _left(until: float, most: float) -> float:
    """Seconds a step may wait: at most `most`, and never past the post's deadline."""
    left = until - time.monotonic()
    if left <= 0:
        raise TimeoutError("the post's deadline passed")
    return min(most, left)


def _connect(
    addresses: Sequence[Address], *, hostname: str, tls: bool, until: float
) -> socket.socket:
    """A connection to the first of the allowed addresses that takes it; over https, the
    receiver's certificate verified against the name in the address (sent as SNI too)."""
    problem: OSError = ConnectionRefusedError()
    for family, address in addresses:
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.settimeout(_left(until, CONNECT_TIMEOUT))
            sock.connect(address)
            break
        except OSError as error:
            sock.close()
            problem = error
    else:
        raise problem
    if not tls:
        return sock
    try:
        sock.settimeout(_left(until, CONNECT_TIMEOUT))  # the whole handshake, not each read
        return ssl.create_default_context().wrap_socket(sock, server_hostname=hostname)
    except BaseException:
        sock.close()
        raise


class _Deadline(io.RawIOBase):
    """The connection's socket as http.client uses it (sendall, makefile), every send and
    read waiting at most READ_TIMEOUT and never past the post's deadline: a receiver that
    drip-feeds its answer cannot keep a post, and the round, going."""

    def __init__(self, sock: socket.socket, until: float) -> None:
        super().__init__()
        self.sock, self.until = sock, until

    def sendall(self, data: bytes) -> None:
        self.sock.settimeout(_left(self.until, READ_TIMEOUT))
        self.sock.sendall(data)

    def makefile(self, mode: str) -> io.BufferedReader:
        return io.BufferedReader(self)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        self.sock.settimeout(_left(self.until, READ_TIMEOUT))
        return self.sock.recv_into(buffer)


def _failed(url: str, error: Exception) -> Outcome:
    log.info("webhook post to %s failed: %s: %s", url, type(error).__name__, error)
    return Outcome(False, None, failure_of(error))


def failure_of(error: Exception) -> str:
    """A failed attempt in the delivery log's fixed words, never what the receiver said."""
    if isinstance(error, ssl.SSLCertVerificationError):
        return CERTIFICATE_NOT_TRUSTED
    if isinstance(error, ssl.SSLError):
        return TLS_FAILED
    if isinstance(error, TimeoutError):
        return TIMED_OUT
    if isinstance(error, ConnectionRefusedError):
        return CONNECTION_REFUSED
    if isinstance(error, socket.gaierror):
        return NAME_NOT_FOUND
    if isinstance(error, http.client.HTTPException):
        return NOT_AN_HTTP_ANSWER
    return CONNECTION_FAILED


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


def in_words(outcome: Outcome) -> str:
    """A failed attempt in a few words (in the active language): its status, its phrase."""
    words = gettext(outcome.error) if outcome.error else ""
    if outcome.status is None:
        return words
    return f"HTTP {outcome.status}" + (f", {words}" if words else "")


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
                state=Delivery.State.DELIVERED,
                next_attempt_at=None,
                delivered_at=now,
                **common,
                **_done_with(delivery),
            )
            Subscription.objects.filter(pk=subscription.pk).update(
                failures_in_a_row=0, failing_since=None
            )
            done.delivered += 1
            continue
        wait = retry_wait(attempts)
        if wait is None:
            Delivery.objects.filter(pk=delivery.pk).update(
                state=Delivery.State.FAILED, next_attempt_at=None, **common, **_done_with(delivery)
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


def _done_with(delivery: Delivery) -> dict:
    """What else a delivered or given-up delivery stores: a volunteer's name, address and
    phone are blanked, since the library's system has them (or will never get them)."""
    if delivery.kind != notices.VOLUNTEER:
        return {}
    return {"payload": without_personal_details(delivery.payload)}


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
    # In the network's language, as staff read it on their screens.
    with translation.override(settings.LANGUAGE_CODE):
        latest = in_words(outcome)
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
    waiting for a subscription paused that long goes too): the log holds members' ids, and
    a waiting volunteer's details, no longer than that. Returns how many went."""
    removed, _ = Delivery.objects.filter(created_at__lt=now - KEPT_FOR).delete()
    return removed
