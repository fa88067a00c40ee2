"""Archiving a journey cannot be undone (its members leave it, it cannot be activated
again), so it is never one click: the journey page links to a page that says what it does,
and only that page's button archives. No script needed."""

import pytest
from django.urls import reverse

from patronflow.journeys.models import Enrolment, Journey
from tests.factories import EnrolmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def journey(library) -> Journey:
    return Journey.objects.get(library=library, key="welcome")


def test_the_journey_page_has_no_archive_button_but_a_link_to_ask_first(staff_client, journey):
    page = staff_client.get(reverse("staff:journey", args=[journey.pk])).content.decode()

    assert 'value="archived"' not in page
    assert f'href="{reverse("staff:journey_archive", args=[journey.pk])}"' in page
    assert "Deze reeks archiveren…" in page


def test_a_click_on_an_old_archive_button_only_leads_to_the_question(staff_client, journey):
    response = staff_client.post(
        reverse("staff:journey_status", args=[journey.pk]), {"status": "archived"}
    )

    assert response.url == reverse("staff:journey_archive", args=[journey.pk])
    journey.refresh_from_db()
    assert journey.status == "active"


def test_the_question_says_what_archiving_does_and_archives_nothing(staff_client, journey):
    page = staff_client.get(reverse("staff:journey_archive", args=[journey.pk])).content.decode()

    assert "Welkom voor nieuwe leden archiveren?" in page
    assert "kan niet opnieuw geactiveerd worden" in page
    assert "Voorgoed archiveren" in page
    journey.refresh_from_db()
    assert journey.status == "active"


def test_its_button_archives_and_the_members_leave(staff_client, journey):
    enrolment = EnrolmentFactory(journey=journey)

    response = staff_client.post(reverse("staff:journey_archive", args=[journey.pk]), follow=True)

    journey.refresh_from_db()
    enrolment.refresh_from_db()
    assert journey.status == "archived"
    assert enrolment.status != Enrolment.Status.ACTIVE
    assert "Welkom voor nieuwe leden is nu gearchiveerd." in response.content.decode()
    again = staff_client.get(reverse("staff:journey_archive", args=[journey.pk]))
    assert again.url == reverse("staff:journey", args=[journey.pk])
