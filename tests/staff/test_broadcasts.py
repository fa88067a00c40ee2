"""Broadcasts in the browser: who they reach and when they go before they are scheduled, the
guard rails on switching a journey on, and cancelling a broadcast before it leaves."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from patronflow.journeys.definitions import install_journey, save_segment
from patronflow.journeys.models import Journey
from patronflow.mail.models import Message
from patronflow.operations.tick import tick
from patronflow.privacy.models import AuditEntry
from tests.factories import MemberFactory
from tests.journeys.helpers import only, step

pytestmark = pytest.mark.django_db


def next_opening(library, days: int = 2) -> dt.datetime:
    """A moment inside the library's window, `days` from now."""
    return library.send_window.next_opening(timezone.now() + dt.timedelta(days=days))


def boekenweek(library, entry: dict | None = None, send_at: dt.datetime | None = None) -> Journey:
    save_segment(library, "lezers", "Lezers", {"active_within_days": 30})
    return install_journey(
        library,
        {
            "key": "boekenweek",
            "name": "Boekenweek",
            "kind": "broadcast",
            "send_at": (send_at or next_opening(library)).isoformat(),
            "entry": {"segment": "lezers"} if entry is None else entry,
            "steps": [step("Boekenweek", 0)],
        },
    ).journey


def readers(library, count: int) -> list:
    return [
        MemberFactory(library=library, last_activity_on=timezone.localdate()) for _ in range(count)
    ]


def page(client, name: str, journey: Journey, **headers) -> str:
    return client.get(reverse(f"staff:{name}", args=[journey.pk]), **headers).content.decode()


def test_the_journey_page_loads_who_it_reaches_with_a_link_for_no_script(staff_client, library):
    journey = boekenweek(library)
    reach_url = reverse("staff:journey_reach", args=[journey.pk])

    html = page(staff_client, "journey", journey)

    assert f'hx-get="{reach_url}"' in html and f'href="{reach_url}"' in html


def test_the_reach_says_how_many_get_it_and_when(staff_client, library):
    journey = boekenweek(library)
    readers(library, 3)
    MemberFactory(library=library, last_activity_on=timezone.localdate(), email="")

    partial = page(staff_client, "journey_reach", journey, HTTP_HX_REQUEST="true")
    full = page(staff_client, "journey_reach", journey)

    assert "<html" not in partial and "<html" in full
    assert "Horen bij de doelgroep</dt><dd>4" in partial
    assert "Van wie mag gemaild worden</dt><dd>3" in partial
    assert 'data-testid="reach-mailed">3<' in partial
    assert "De eerste mails vertrekken op" in partial
    assert "Ze vertrekken allemaal die dag." in partial


def test_a_daily_cap_shows_the_days_it_spreads_over(staff_client, library):
    library.daily_cap = 2
    library.save()
    journey = boekenweek(library)
    readers(library, 5)

    html = page(staff_client, "journey_reach", journey, HTTP_HX_REQUEST="true")

    assert "De plafonds spreiden ze over meerdere dagen" in html
    assert "Hoogstens 2 mails per dag." in html
    assert html.count('<td class="num">') == 3


def test_scheduling_shows_the_reach_first_then_schedules_and_logs_it(staff_client, library):
    journey = boekenweek(library)
    readers(library, 2)

    response = staff_client.post(
        reverse("staff:journey_status", args=[journey.pk]), {"status": "active"}
    )
    assert response.url == reverse("staff:journey_activate", args=[journey.pk])
    journey.refresh_from_db()
    assert journey.status == "draft"
    question = page(staff_client, "journey_activate", journey)
    assert "Boekenweek inplannen?" in question and "Krijgen de mail" in question

    done = staff_client.post(
        reverse("staff:journey_activate", args=[journey.pk]), follow=True
    ).content.decode()

    assert "Boekenweek is ingepland." in done
    journey.refresh_from_db()
    assert journey.status == "active"
    entry = AuditEntry.objects.filter(subject="journey boekenweek").latest("id")
    assert entry.operator == "staff:an" and entry.changes["status"] == ["draft", "active"]


def test_each_missing_thing_is_said_with_a_link_to_mend_it(staff_client, library):
    library.privacy_url = library.sender_email = ""
    library.save()
    journey = boekenweek(library)

    html = page(staff_client, "journey_activate", journey)

    assert "Ze kan nog niet ingepland worden" in html
    assert "geen link naar haar privacyverklaring" in html
    assert "geen afzenderadres" in html
    assert "Niemand wordt bereikt" in html
    assert f'href="{reverse("staff:settings")}"' in html
    assert f'href="{reverse("staff:imports")}"' in html
    assert "Inplannen</button>" not in html
    staff_client.post(reverse("staff:journey_activate", args=[journey.pk]))
    journey.refresh_from_db()
    assert journey.status == "draft"


def test_refusals_are_in_english_for_an_english_user(staff_client, library):
    library.sender_email = ""
    library.save()
    journey = boekenweek(library)
    readers(library, 1)
    staff_client.cookies["django_language"] = "en"

    html = page(staff_client, "journey_activate", journey)

    assert "The library has no sender address for its mails to leave from." in html
    assert "Add it in the library settings" in html


def test_a_journey_for_everyone_asks_to_confirm_on_a_page(staff_client, library):
    only(library)
    journey = install_journey(
        library, {"key": "iedereen", "name": "Iedereen", "steps": [step("Hallo")]}
    ).journey
    readers(library, 1)

    response = staff_client.post(
        reverse("staff:journey_status", args=[journey.pk]), {"status": "active"}
    )

    assert response.url == reverse("staff:journey_activate", args=[journey.pk])
    journey.refresh_from_db()
    assert journey.status == "draft"
    question = page(staff_client, "journey_activate", journey)
    assert "De doelgroep is iedereen" in question and "Activeren voor iedereen" in question
    staff_client.post(reverse("staff:journey_activate", args=[journey.pk]))
    journey.refresh_from_db()
    assert journey.status == "active"


def test_a_journey_with_an_audience_activates_at_a_click(staff_client, library):
    journey = library.journeys.get(key="welcome")
    journey.status = "draft"
    journey.save()
    MemberFactory(library=library, registered_on=timezone.localdate())

    staff_client.post(reverse("staff:journey_status", args=[journey.pk]), {"status": "active"})

    journey.refresh_from_db()
    assert journey.status == "active"


def test_cancelling_before_it_leaves_asks_first_and_makes_a_draft(staff_client, library):
    journey = boekenweek(library)
    readers(library, 2)
    journey.status = "active"
    journey.save()
    assert f'href="{reverse("staff:broadcast_cancel", args=[journey.pk])}"' in page(
        staff_client, "journey", journey
    )
    assert "niemand krijgt ze" in page(staff_client, "broadcast_cancel", journey)

    done = staff_client.post(
        reverse("staff:broadcast_cancel", args=[journey.pk]), follow=True
    ).content.decode()

    assert "Boekenweek is niet langer ingepland: niemand kreeg een mail." in done
    journey.refresh_from_db()
    assert journey.status == "draft"


def test_cancelling_after_entry_withdraws_what_waits_and_says_so(
    staff_client, library, smtp_server
):
    only(library)
    library.daily_cap = 1
    library.save()
    moment = next_opening(library)
    journey = boekenweek(library, send_at=moment)
    readers(library, 3)
    journey.status = "active"
    journey.save()
    tick(moment)
    assert len(smtp_server.messages) == 1
    assert "2 van de mails zijn nog niet vertrokken" in page(
        staff_client, "broadcast_cancel", journey
    )

    done = staff_client.post(
        reverse("staff:broadcast_cancel", args=[journey.pk]), follow=True
    ).content.decode()

    assert (
        "Boekenweek is geannuleerd: 2 mails die nog niet vertrokken waren, zijn ingetrokken; "
        "1 was al verzonden." in done
    )
    assert Message.objects.filter(status="suppressed").count() == 2


def test_a_journey_is_no_broadcast_to_cancel(staff_client, library):
    journey = library.journeys.get(key="welcome")
    response = staff_client.post(reverse("staff:broadcast_cancel", args=[journey.pk]))
    assert response.url == reverse("staff:journey", args=[journey.pk])
    journey.refresh_from_db()
    assert journey.status == "active"
