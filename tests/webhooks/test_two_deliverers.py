"""Two deliverers at once (two `patronflow webhooks --follow` processes, as on two machines)
post every notice exactly once: each delivery is claimed by one of them (which one takes how
many depends on which started first, and one taking them all is as right)."""

import collections
import json
import signal
import subprocess
import sys

import pytest

from patronflow import notices
from patronflow.webhooks.models import Delivery
from tests.factories import LibraryFactory
from tests.webhooks.helpers import deliverer_environment, subscribe
from tests.webhooks.receiver import receiving

DELIVERER = [sys.executable, "-m", "patronflow.cli", "webhooks", "--follow", "--interval", "0.2"]
NOTICES_PER_LIBRARY = 60


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_two_deliverers_at_once_post_each_notice_once(tmp_path):
    with receiving(delay=0.05) as library_system:
        for _ in range(3):
            library = LibraryFactory()
            subscribe(library, library_system.url)
            for number in range(NOTICES_PER_LIBRARY):
                notices.announce(
                    library_id=library.pk,
                    kind=notices.ALL_MAIL_STOPPED,
                    data={"member": f"M{number:06d}"},
                )
        logs = [(tmp_path / f"deliverer{n}.log").open("wb") for n in range(2)]
        deliverers = [
            subprocess.Popen(
                DELIVERER, env=deliverer_environment(), stdout=log, stderr=subprocess.STDOUT
            )
            for log in logs
        ]
        try:
            library_system.wait_for(3 * NOTICES_PER_LIBRARY, timeout=120)
        finally:
            for deliverer in deliverers:
                deliverer.send_signal(signal.SIGTERM)
            codes = [deliverer.wait(timeout=30) for deliverer in deliverers]
            for log in logs:
                log.close()

    assert codes == [0, 0]
    posted = collections.Counter(json.loads(r.body)["id"] for r in library_system.received)
    assert len(posted) == 3 * NOTICES_PER_LIBRARY
    assert set(posted.values()) == {1}
    assert set(Delivery.objects.values_list("state", "attempts")) == {("delivered", 1)}
