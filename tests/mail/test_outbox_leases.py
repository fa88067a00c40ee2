"""A sender that dies mid-batch: its messages are never lost and never sent twice.

A claimed message carries a lease; when the lease runs out without an outcome recorded, the
mail may or may not have left, so it becomes `uncertain`, is counted in the report and is not
resent automatically.
"""

import datetime as dt

from django.utils import timezone

from patronflow.mail.models import Message
from patronflow.mail.records import reclaim_expired_leases
from patronflow.mail.services import claim_batch
from patronflow.operations.tick import tick
from tests.factories import TODAY, MemberFactory, at
from tests.mail.servers import DropsAfterData, running


def new_members(library, count: int):
    return [MemberFactory(library=library, registered_on=TODAY) for _ in range(count)]


def a_sender_claims_and_dies(count: int, *, handed_over: bool) -> list[Message]:
    """What a worker leaves behind when it is killed after its claim, before or after it
    handed the mails to the SMTP server, and before it recorded an outcome."""
    claimed = claim_batch(at(TODAY), count)
    Message.objects.filter(pk__in=[m.pk for m in claimed]).update(
        lease_expires_at=timezone.now() - dt.timedelta(seconds=1),
        handed_over_at=timezone.now() if handed_over else None,
    )
    return claimed


def queue_welcome_mails(library, count: int) -> list:
    members = new_members(library, count)
    library.sending_paused_at = timezone.now()  # queue the mails without sending them
    library.save()
    tick(at(TODAY))
    library.sending_paused_at = None
    library.save()
    return members


def test_a_claim_takes_a_lease_on_the_wall_clock(library, smtp_server, settings):
    settings.SEND_LEASE_SECONDS = 300
    queue_welcome_mails(library, 2)

    before = timezone.now()
    claimed = claim_batch(at(TODAY), 10)

    for message in Message.objects.filter(pk__in=[m.pk for m in claimed]):
        assert message.status == Message.Status.SENDING
        assert before + dt.timedelta(seconds=299) < message.lease_expires_at
        assert message.lease_expires_at <= timezone.now() + dt.timedelta(seconds=300)


def test_a_dead_senders_handed_over_messages_become_uncertain_and_are_not_resent(
    library, smtp_server
):
    members = queue_welcome_mails(library, 5)
    abandoned = a_sender_claims_and_dies(2, handed_over=True)

    summary = tick(at(TODAY, hour=11))
    tick(at(TODAY, hour=12))

    abandoned_members = {m.enrolment.member.email for m in abandoned}
    delivered = [mail["To"].addresses[0].addr_spec for mail in smtp_server.messages]
    assert sorted(delivered) == sorted(m.email for m in members if m.email not in abandoned_members)
    assert summary.sending.sent == 3
    assert set(
        Message.objects.filter(pk__in=[m.pk for m in abandoned]).values_list("status", flat=True)
    ) == {Message.Status.UNCERTAIN}
    assert Message.objects.filter(library=library, status=Message.Status.UNCERTAIN).count() == 2


def test_a_dead_senders_messages_it_never_handed_over_are_sent_by_the_next_tick(
    library, smtp_server
):
    members = queue_welcome_mails(library, 5)
    abandoned = a_sender_claims_and_dies(2, handed_over=False)

    summary = tick(at(TODAY, hour=11))

    delivered = [mail["To"].addresses[0].addr_spec for mail in smtp_server.messages]
    assert sorted(delivered) == sorted(m.email for m in members)
    assert summary.sending.sent == 5
    abandoned_now = Message.objects.filter(pk__in=[m.pk for m in abandoned])
    assert {(m.status, m.attempts) for m in abandoned_now} == {(Message.Status.SENT, 1)}
    assert not Message.objects.filter(library=library, status=Message.Status.UNCERTAIN).exists()


def test_a_live_senders_lease_is_left_alone(library, smtp_server):
    queue_welcome_mails(library, 3)
    claim_batch(at(TODAY), 10)  # a sender that is still working

    assert reclaim_expired_leases() == 0
    tick(at(TODAY, hour=11))

    assert smtp_server.messages == []
    assert set(Message.objects.values_list("status", flat=True)) == {Message.Status.SENDING}


def test_a_connection_lost_after_the_message_went_out_is_not_resent(library, settings):
    [dropped, fine] = new_members(library, 2)
    handler = DropsAfterData()
    handler.drop_for.add(dropped.email)
    with running(handler) as server:
        settings.SMTP_URL = server.url
        summary = tick(at(TODAY))
        handler.drop_for.clear()
        tick(at(TODAY, hour=15))

    assert summary.sending.uncertain == 1
    assert len(server.to(dropped.email)) == 1  # the server had it; no second copy follows
    assert len(server.to(fine.email)) == 1
    message = Message.objects.get(enrolment__member=dropped)
    assert message.status == Message.Status.UNCERTAIN
    assert "after the message was sent" in message.last_error


def test_a_paused_library_sends_nothing_until_it_is_resumed(library, smtp_server):
    new_members(library, 2)
    library.sending_paused_at = timezone.now()
    library.sending_paused_reason = "complaint rate 0.3% over the last 1,000 deliveries"
    library.save()

    tick(at(TODAY))
    assert smtp_server.messages == []
    assert set(Message.objects.values_list("status", flat=True)) == {Message.Status.QUEUED}

    library.sending_paused_at = None
    library.save()
    tick(at(TODAY, hour=11))
    assert len(smtp_server.messages) == 2
