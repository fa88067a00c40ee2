"""Four eyes in chromium, as two marketers with no terminal: one turns four eyes on and
schedules a broadcast, which does not go out on the tick at its moment; the other sees it on
the dashboard, reads what it does and approves it; the next tick sends it."""

import datetime as dt

import pytest
from django.utils import timezone

from patronflow.journeys.definitions import install_journey
from patronflow.journeys.models import ApprovalRequest, Journey
from patronflow.operations.tick import tick
from tests.factories import MemberFactory
from tests.journeys.helpers import addresses, only, step
from tests.staff.conftest import make_marketer
from tests.staff.phone import fits_and_passes, phone_page

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_the_broadcast_goes_out_only_after_the_second_marketer_approves(
    browser, live_server, library, smtp_server
):
    only(library)
    make_marketer(library, "an")
    make_marketer(library, "bert")
    readers = [
        MemberFactory(library=library, last_activity_on=timezone.localdate()) for _ in range(3)
    ]
    moment = library.send_window.next_opening(timezone.now() + dt.timedelta(days=2))
    journey = install_journey(
        library,
        {
            "key": "boekenweek",
            "name": "Boekenweek",
            "kind": "broadcast",
            "send_at": moment.isoformat(),
            "entry": {"active_within_days": 30},
            "steps": [step("Boekenweek", 0, subject="Het is Boekenweek!")],
        },
    ).journey

    an = phone_page(browser, live_server, "an")
    an.goto(f"{live_server.url}/staff/settings/")
    an.get_by_label("Vier ogen: wijzigingen wachten op de goedkeuring van je collega").check()
    an.get_by_role("button", name="Bewaren").click()
    an.get_by_text("De instellingen van de bibliotheek zijn bewaard.").wait_for()
    an.goto(f"{live_server.url}/staff/journeys/{journey.pk}/")
    an.get_by_role("link", name="Inplannen…").click()
    an.get_by_role("button", name="Inplannen", exact=True).click()
    an.get_by_text("Goedkeuring gevraagd").wait_for()
    fits_and_passes(an)

    tick(moment + dt.timedelta(minutes=5))
    assert smtp_server.messages == []
    journey.refresh_from_db()
    assert journey.status == Journey.Status.DRAFT

    bert = phone_page(browser, live_server, "bert")
    waiting = bert.get_by_role("region", name="Wacht op jouw goedkeuring")
    waiting.get_by_role("link", name="Boekenweek: de verzending inplannen").click()
    assert bert.get_by_text("de verzending vertrekt op").is_visible()
    fits_and_passes(bert)
    bert.get_by_label("Opmerking (niet verplicht)").fill("Ziet er goed uit")
    bert.get_by_role("button", name="Goedkeuren").click()
    bert.get_by_text("Goedgekeurd: de wijziging aan Boekenweek is actief.").wait_for()
    fits_and_passes(bert)

    tick(moment + dt.timedelta(minutes=10))
    assert sorted(addresses(smtp_server)) == sorted(reader.email for reader in readers)
    approval = ApprovalRequest.objects.get()
    assert (approval.requested_by.username, approval.decided_by.username) == ("an", "bert")
    assert approval.note == "Ziet er goed uit"
