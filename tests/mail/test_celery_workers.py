"""Send workers on Celery with Redis: `tick` hands out batches, real worker processes send
them, and a task delivered twice sends nothing twice (the outbox's claim decides)."""

import time
from collections import Counter

import pytest

from patronflow.mail.models import Message
from patronflow.mail.tasks import send_batch
from patronflow.operations.tick import tick
from tests.factories import TODAY, MemberFactory, at
from tests.mail.workers import start_worker, stop, wait_for


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_tick_hands_batches_to_workers_that_send_each_mail_once(
    library, smtp_server, broker, tmp_path
):
    broker.SEND_BATCH_SIZE = 5
    members = MemberFactory.create_batch(12, library=library, registered_on=TODAY)
    worker = start_worker(broker, tmp_path, "worker", concurrency=2)
    try:
        summary = tick(at(TODAY))
        assert summary.sending.dispatched == 3
        assert summary.sending.sent == 0  # the workers send, not tick

        wait_for(lambda: len(smtp_server.messages) == 12)
        for _ in range(3):  # the same tasks again, as a broker may redeliver them
            send_batch.apply_async((at(TODAY).isoformat(), 5), queue=broker.SEND_QUEUE)
        time.sleep(2)
    finally:
        stop(worker)

    received = Counter(mail["To"].addresses[0].addr_spec for mail in smtp_server.messages)
    assert received == Counter({member.email: 1 for member in members})
    assert set(Message.objects.values_list("status", flat=True)) == {Message.Status.SENT}
