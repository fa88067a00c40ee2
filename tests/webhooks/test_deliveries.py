"""The deliverer against a real receiver: retries with backoff, pausing a subscription that
keeps failing, a receiver that never answers or answers a byte at a time, redirects, what
the log says of a failure, and the log's retention."""

import datetime as dt
import json
import time

import pytest
from django.utils import timezone

from patronflow import notices
from patronflow.privacy.models import AuditEntry
from patronflow.webhooks import delivery as deliverer
from patronflow.webhooks.delivery import deliver_due, forget_old_deliveries
from patronflow.webhooks.models import Delivery, Subscription
from patronflow.webhooks.subscriptions import resume_subscription
from tests.factories import LibraryFactory, MemberFactory
from tests.webhooks.helpers import documented_verify, subscribe
from tests.webhooks.receiver import dripping, hanging, receiving

pytestmark = pytest.mark.usefixtures("receivers_on_this_machine")

LEFT = {"member": "M000001", "list": {"key": "newsletter", "name": "Nieuwsbrief"}}


def left_the_newsletter(library, at=None) -> None:
    notices.announce(library_id=library.pk, kind=notices.LIST_LEFT, data=LEFT, at=at)


def due_at(delivery: Delivery) -> dt.datetime:
    delivery.refresh_from_db()
    return delivery.next_attempt_at


@pytest.mark.django_db(transaction=True)
def test_a_receiver_that_fails_twice_gets_the_notice_on_the_third_attempt_after_the_backoff():
    library = LibraryFactory()
    with receiving(500, 503) as library_system:
        subscription = subscribe(library, library_system.url)
        left_the_newsletter(library)
        notice = Delivery.objects.get()
        start = timezone.now()

        assert deliver_due(start).retried == 1
        first_retry = due_at(notice)
        assert dt.timedelta(seconds=54) <= first_retry - start <= dt.timedelta(seconds=66)
        assert deliver_due(start + dt.timedelta(seconds=30)).retried == 0  # not due yet
        assert deliver_due(first_retry).retried == 1
        second_retry = due_at(notice)
        assert dt.timedelta(minutes=4.5) <= second_retry - first_retry <= dt.timedelta(minutes=5.5)
        assert deliver_due(second_retry).delivered == 1
        assert deliver_due(second_retry + dt.timedelta(days=1)).delivered == 0

    assert [r.body for r in library_system.received] == [library_system.received[0].body] * 3
    assert {r.headers["Patronflow-Webhook-Id"] for r in library_system.received} == {
        str(notice.notice_id)
    }
    last = library_system.received[-1]
    assert documented_verify()(subscription.secret, last.body, last.headers)
    assert json.loads(last.body)["data"] == LEFT
    notice.refresh_from_db()
    assert (notice.state, notice.attempts, notice.last_status) == ("delivered", 3, 200)
    assert notice.delivered_at == second_retry
    subscription.refresh_from_db()
    assert (subscription.failures_in_a_row, subscription.failing_since) == (0, None)


@pytest.mark.django_db(transaction=True)
def test_a_receiver_that_always_fails_gets_its_subscription_paused_and_later_notices_wait():
    library = LibraryFactory()
    with receiving(*[500] * 50) as library_system:
        subscription = subscribe(library, library_system.url)
        left_the_newsletter(library)
        notice = Delivery.objects.get()
        now = timezone.now()
        rounds = 0
        while subscription.state == Subscription.State.ACTIVE and rounds < 20:
            deliver_due(now)
            rounds += 1
            now = due_at(notice)
            subscription.refresh_from_db()

        assert subscription.state == Subscription.State.PAUSED
        assert subscription.paused_reason.startswith(
            "Gepauzeerd door patronflow: elke levering mislukt"
        )
        assert "HTTP 500" in subscription.paused_reason
        posts = len(library_system.received)
        assert posts == 8  # about 44 hours of attempts: every one failed for over 24 hours
        entry = AuditEntry.objects.get(subject=f"webhook {subscription.pk} {subscription.url}")
        assert entry.operator == "patronflow"
        assert entry.changes["state"] == ["active", "paused"]

        left_the_newsletter(library)
        later = now + dt.timedelta(days=1)
        assert deliver_due(later).delivered == 0
        assert len(library_system.received) == posts  # nothing posted while paused
        assert Delivery.objects.filter(state="pending").count() == 2  # nothing lost either

        # Staff resume it: the first notice fails its ninth and last attempt and is given
        # up, which starts a fresh run of failures rather than pausing again; the notice
        # that waited while it was paused is delivered.
        library_system.answers[:] = [500]
        resume_subscription(subscription=subscription, now=later)
        assert deliver_due(later).failed == 1
        subscription.refresh_from_db()
        assert subscription.state == Subscription.State.ACTIVE
        assert deliver_due(later).delivered == 1
    notice.refresh_from_db()
    assert (notice.state, notice.attempts) == ("failed", 9)
    assert Delivery.objects.exclude(pk=notice.pk).get().state == "delivered"


@pytest.mark.django_db(transaction=True)
def test_twenty_failures_in_a_row_pause_a_subscription():
    library = LibraryFactory()
    with receiving(*[502] * 30) as library_system:
        subscription = subscribe(library, library_system.url)
        for _ in range(deliverer.PAUSE_AFTER_FAILURES):
            left_the_newsletter(library)
            Delivery.objects.filter(attempts=0).update(next_attempt_at=timezone.now())
            deliver_due()
            Delivery.objects.update(next_attempt_at=timezone.now() + dt.timedelta(days=9))
    subscription.refresh_from_db()
    assert subscription.state == Subscription.State.PAUSED
    assert "20 leveringen na elkaar mislukt" in subscription.paused_reason
    assert len(library_system.received) == deliverer.PAUSE_AFTER_FAILURES


@pytest.mark.django_db(transaction=True)
def test_a_receiver_that_never_answers_does_not_hold_up_another_librarys_notice(monkeypatch):
    monkeypatch.setattr(deliverer, "READ_TIMEOUT", 5)
    dead, alive = LibraryFactory(), LibraryFactory()
    with hanging() as dead_url, receiving() as library_system:
        subscribe(dead, dead_url)
        subscribe(alive, library_system.url)
        left_the_newsletter(dead)
        left_the_newsletter(alive)
        started = time.time()
        done = deliver_due()

    assert (done.delivered, done.retried) == (1, 1)
    [received] = library_system.received
    assert received.at < started + deliverer.READ_TIMEOUT  # before the dead one timed out
    stuck = Delivery.objects.get(subscription__library=dead)
    assert stuck.state == "pending"
    assert (stuck.last_status, stuck.last_error) == (None, "timed out")


@pytest.mark.django_db(transaction=True)
def test_a_receiver_that_answers_a_byte_a_second_fails_at_the_posts_deadline(monkeypatch):
    monkeypatch.setattr(deliverer, "POST_DEADLINE", 3)
    library = LibraryFactory()
    with dripping() as url:
        subscribe(library, url)
        left_the_newsletter(library)
        started = time.monotonic()
        done = deliver_due()
        took = time.monotonic() - started

    assert done.retried == 1
    assert deliverer.POST_DEADLINE <= took < deliverer.READ_TIMEOUT  # never silent that long
    notice = Delivery.objects.get()
    assert (notice.state, notice.last_status, notice.last_error) == ("pending", None, "timed out")


@pytest.mark.django_db(transaction=True)
def test_the_log_keeps_the_status_of_a_failed_answer_not_what_the_receiver_said():
    library, refused = LibraryFactory(), LibraryFactory()
    secret = b"<h1>Router admin</h1> firmware 1.2, admin:admin"
    with receiving(500, says=secret) as library_system:
        subscribe(library, library_system.url)
        subscribe(refused, "http://127.0.0.1:1/hooks")  # nothing listens there
        left_the_newsletter(library)
        left_the_newsletter(refused)
        assert deliver_due().retried == 2

    answered = Delivery.objects.get(subscription__library=library)
    assert (answered.last_status, answered.last_error) == (500, "")
    nobody = Delivery.objects.get(subscription__library=refused)
    assert (nobody.last_status, nobody.last_error) == (None, "connection refused")


@pytest.mark.django_db(transaction=True)
def test_a_redirect_to_another_host_is_not_followed():
    library = LibraryFactory()
    with receiving() as elsewhere, receiving(302, location=elsewhere.url) as library_system:
        subscribe(library, library_system.url)
        left_the_newsletter(library)
        deliver_due()

    assert len(library_system.received) == 1
    assert not elsewhere.received
    notice = Delivery.objects.get()
    assert (notice.state, notice.last_status) == ("pending", 302)
    assert notice.last_error == "redirect not followed"  # not where it pointed


@pytest.mark.django_db(transaction=True)
def test_a_subscription_hears_only_the_kinds_it_asked_for_and_a_paused_one_still_collects():
    library = LibraryFactory()
    lists_only = subscribe(library, "https://bib.example.be/lists", kinds=["list.left"])
    paused = subscribe(library, "https://bib.example.be/all", state=Subscription.State.PAUSED)
    member = MemberFactory(library=library)

    notices.announce(
        library_id=library.pk, kind=notices.ALL_MAIL_STOPPED, data={"member": member.external_id}
    )
    left_the_newsletter(library)

    assert list(lists_only.deliveries.values_list("kind", flat=True)) == ["list.left"]
    assert sorted(paused.deliveries.values_list("kind", flat=True)) == [
        "list.left",
        "member.unsubscribed",
    ]
    assert paused.deliveries.filter(state="pending").count() == 2


@pytest.mark.django_db
def test_delivery_rows_are_forgotten_after_thirty_days():
    library = LibraryFactory()
    subscribe(library, "https://bib.example.be/hooks")
    left_the_newsletter(library)
    left_the_newsletter(library)
    old, new = Delivery.objects.order_by("pk")
    Delivery.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=31))

    assert forget_old_deliveries(timezone.now()) == 1
    assert list(Delivery.objects.all()) == [new]


@pytest.mark.django_db(transaction=True)
def test_a_subscription_removed_while_its_notice_was_posted_is_left_alone():
    library = LibraryFactory()
    with receiving(500) as library_system:
        subscription = subscribe(library, library_system.url)
        left_the_newsletter(library)
        [claimed] = deliverer._claim(timezone.now()).items()
        tried = deliverer._post_in_order(*claimed)
        subscription.delete()  # by staff, while the post was under way
        done = deliverer.Round()
        deliverer._record(*claimed, tried, timezone.now(), done)

    assert done.retried == 1
    assert not Delivery.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_slow_receiver_takes_its_share_of_a_round_and_the_rest_follows_in_the_next(
    monkeypatch,
):
    monkeypatch.setattr(deliverer, "ROUND_SECONDS", 0.5)
    library = LibraryFactory()
    with receiving(delay=0.3) as slow_library_system:
        subscribe(library, slow_library_system.url)
        for _ in range(5):
            left_the_newsletter(library)
        first = deliver_due()
        assert 1 <= first.delivered < 5
        assert Delivery.objects.filter(state="pending", attempts=0).count() == 5 - first.delivered
        assert deliver_due().delivered >= 1  # due again at once, not after a lease
