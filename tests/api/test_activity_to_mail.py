"""The issue's promise, end to end over real HTTP: a website registers a member for an activity
through `patronflow serve`, and the practical information leaves at the next tick, with the
reminder the day before the activity."""

import datetime as dt

import pytest
import requests
from django.utils import timezone

from patronflow.journeys.definitions import install_journey, standard_definition
from patronflow.journeys.models import Version
from patronflow.operations.lifecycle import change_status
from patronflow.operations.tick import tick
from tests.api.factories import token
from tests.factories import MemberFactory
from tests.journeys.helpers import only
from tests.tracking.test_serve import serving


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_registration_on_the_website_mails_the_practical_information_at_the_next_tick(
    tmp_path, library, smtp_server
):
    now = timezone.now()
    # Any hour of any day may send: the test runs at whatever time it is.
    library.send_days, library.send_opens_at, library.send_closes_at = "1234567", "00:00", "23:59"
    library.save()
    only(library)
    journey = install_journey(library, standard_definition("activity", "nl")).journey
    Version.objects.filter(journey=journey).update(created_at=now - dt.timedelta(hours=1))
    change_status(journey, "active", timezone.localdate())
    member = MemberFactory(library=library, external_id="100234")
    starts = (now + dt.timedelta(days=5)).replace(hour=14, minute=0, second=0, microsecond=0)
    registration = {
        "type": "activity.registered",
        "member": "100234",
        "occurred_at": now.isoformat(),
        "key": "registration-88121",
        "properties": {
            "name": "Voorleesuurtje",
            "starts_at": starts.isoformat(),
            "place": "Filiaal Ledeberg",
            "link": "https://gent.bibliotheek.be/activiteiten/voorleesuurtje",
        },
    }

    with serving(tmp_path) as base_url:
        answer = requests.post(
            f"{base_url}/api/v1/events", json=registration, timeout=20,
            headers={"Authorization": f"Bearer {token(library, ['events'])}"},
        )  # fmt: skip
    assert answer.status_code == 201, answer.text
    assert not smtp_server.to(member.email)

    tick(timezone.now())
    first = smtp_server.to(member.email)
    assert [str(mail["Subject"]) for mail in first] == ["Je bent ingeschreven: Voorleesuurtje"]
    text = first[0].get_body(("plain",)).get_content()
    assert "Filiaal Ledeberg" in text

    for day in range(1, 6):
        tick(now + dt.timedelta(days=day))
    mails = smtp_server.to(member.email)
    assert [str(mail["Subject"]) for mail in mails[1:]] == ["Morgen: Voorleesuurtje"]
    assert mails[1]["Date"] is not None
