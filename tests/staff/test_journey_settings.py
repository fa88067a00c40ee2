"""The holdout share on the journey page: saved through the journey's definition, so a
journey members are already in gets a new version, and the page says so."""

import pytest
from django.urls import reverse

from patronflow.journeys.models import Journey
from tests.factories import EnrolmentFactory

pytestmark = pytest.mark.django_db


def welcome(library) -> Journey:
    return Journey.objects.get(library=library, key="welcome")


def set_holdout(client, journey: Journey, percent: object):
    url = reverse("staff:journey_holdout", args=[journey.pk])
    return client.post(url, {"holdout_percent": percent}, follow=True)


def test_the_journey_page_offers_the_holdout_share_to_change(staff_client, library):
    journey = welcome(library)
    page = staff_client.get(reverse("staff:journey", args=[journey.pk])).content.decode()
    assert 'name="holdout_percent"' in page and "Controlegroep" in page


def test_a_new_share_for_a_journey_nobody_entered_replaces_its_version(staff_client, library):
    journey = welcome(library)

    page = set_holdout(staff_client, journey, 20).content.decode()

    assert "Bewaard (versie 1" in page
    assert journey.versions.count() == 1
    assert journey.current_version.holdout_percent == 20


def test_a_new_share_for_a_running_journey_makes_a_new_version_and_says_so(staff_client, library):
    journey = welcome(library)
    EnrolmentFactory(journey=journey)

    page = set_holdout(staff_client, journey, 15).content.decode()

    assert "Bewaard als versie 2. Leden die al onderweg zijn, maken versie 1 af" in page
    assert [v.holdout_percent for v in journey.versions.order_by("number")] == [0, 15]


@pytest.mark.parametrize("percent", [-1, 51, "veel"])
def test_a_share_out_of_bounds_is_refused_and_nothing_changes(staff_client, library, percent):
    journey = welcome(library)

    page = set_holdout(staff_client, journey, percent).content.decode()

    assert 'class="message error"' in page
    assert journey.current_version.holdout_percent == 0
