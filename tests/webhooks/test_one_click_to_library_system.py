"""Done when the library system learns of an unsubscribe within a minute: a member leaves a
list with the mail program's one-click (the real tracking server), and the deliverer running
as a service (`patronflow webhooks --follow`) posts one signed notice to the library system's
receiver, however often the click is retried."""

import json
import signal
import subprocess
import sys
import time

import pytest

from patronflow.choices.services import standard_lists
from patronflow.webhooks.models import Delivery
from tests.factories import EnrolmentFactory, JourneyFactory, LibraryFactory, MessageFactory
from tests.tracking.test_one_click_served import _one_click
from tests.tracking.test_serve import serving
from tests.webhooks.helpers import deliverer_environment, documented_verify, subscribe
from tests.webhooks.receiver import receiving

DELIVERER = [sys.executable, "-m", "patronflow.cli", "webhooks", "--follow", "--interval", "0.5"]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_one_click_leave_reaches_the_library_system_signed_once_within_a_minute(tmp_path):
    welcome = JourneyFactory(key="welcome")
    welcome.mailing_list = standard_lists(welcome.library)["welcome"]
    welcome.save(update_fields=["mailing_list"])
    mail = MessageFactory(enrolment=EnrolmentFactory(journey=welcome))
    member = mail.enrolment.member

    with receiving() as library_system, receiving() as other_library_system:
        subscription = subscribe(welcome.library, library_system.url, kinds=["list.left"])
        subscribe(LibraryFactory(), other_library_system.url)
        log = (tmp_path / "webhooks.log").open("wb")
        deliverer = subprocess.Popen(
            DELIVERER, env=deliverer_environment(), stdout=log, stderr=subprocess.STDOUT
        )
        try:
            with serving(tmp_path) as base_url:
                clicked_at = time.time()
                assert [_one_click(base_url, mail) for _ in range(3)] == [200, 200, 200]
            [received] = library_system.wait_for(1, timeout=60)
            time.sleep(1.5)  # a second notice would have left by now
        finally:
            deliverer.send_signal(signal.SIGTERM)
            assert deliverer.wait(timeout=30) == 0
            log.close()

    assert len(library_system.received) == 1
    assert not other_library_system.received
    assert received.at - clicked_at < 60
    verify = documented_verify()
    assert verify(subscription.secret, received.body, received.headers)
    assert not verify("whsec_not-the-secret", received.body, received.headers)
    assert not verify(subscription.secret, received.body + b" ", received.headers)
    notice = json.loads(received.body)
    assert notice["type"] == "list.left"
    assert notice["library"] == welcome.library.code
    assert notice["data"] == {
        "member": member.external_id,
        "list": {"key": "welcome", "name": "Welkomstmails"},
    }
    assert received.headers["Patronflow-Webhook-Id"] == notice["id"]
    assert received.headers["User-Agent"] == "patronflow"
    assert received.path == "/hooks/patronflow"
    delivery = Delivery.objects.get()
    assert (delivery.state, delivery.attempts, delivery.last_status) == ("delivered", 1, 200)
    assert "Stopped." in (tmp_path / "webhooks.log").read_text()
