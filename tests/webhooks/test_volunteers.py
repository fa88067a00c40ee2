"""A focus-group volunteer's name, address and phone stay in a delivery only while patronflow
still has to post them: delivered or given up, they are blanked; erased by staff, or by the
purge when their retention ends, the volunteer's notices that have not left go with them."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from patronflow.operations.purge import purge
from patronflow.surveys import services
from patronflow.surveys.models import Volunteer
from patronflow.webhooks.delivery import deliver_due
from patronflow.webhooks.models import Delivery
from patronflow.webhooks.receivers import without_personal_details
from tests.staff.conftest import make_marketer
from tests.surveys.helpers import make_survey
from tests.webhooks.helpers import subscribe
from tests.webhooks.receiver import receiving

pytestmark = pytest.mark.usefixtures("receivers_on_this_machine")

BLANK = {"name": "", "email": "", "phone": ""}


def volunteer(survey, name: str, now: dt.datetime | None = None) -> Volunteer:
    return services.add_volunteer(
        survey=survey, name=name, email=f"{name.lower()}@example.org", phone="0470 12 34 56",
        consent_text="…", now=now,
    )  # fmt: skip


def data_of(delivery: Delivery) -> dict:
    delivery.refresh_from_db()
    return delivery.payload["data"]


@pytest.mark.django_db(transaction=True)
def test_a_delivered_volunteer_notice_keeps_no_name_address_or_phone(library):
    survey = make_survey(library)
    with receiving() as library_system:
        subscribe(library, library_system.url, kinds=["survey.volunteer"])
        sara = volunteer(survey, "Sara")
        notice = Delivery.objects.get()
        assert data_of(notice)["email"] == "sara@example.org"  # waiting: kept to be posted
        assert deliver_due().delivered == 1

    [received] = library_system.received
    assert b"sara@example.org" in received.body  # the library's system has it
    assert data_of(notice) == BLANK | {"volunteer": sara.pk, "survey": survey.title}
    assert "Sara" not in str(Delivery.objects.get().payload)


@pytest.mark.django_db(transaction=True)
def test_a_volunteer_notice_given_up_keeps_no_name_address_or_phone(library):
    survey = make_survey(library)
    with receiving(500) as library_system:
        subscribe(library, library_system.url, kinds=["survey.volunteer"])
        sara = volunteer(survey, "Sara")
        Delivery.objects.update(attempts=8)  # its ninth attempt is its last
        assert deliver_due().failed == 1

    notice = Delivery.objects.get()
    assert notice.state == "failed"
    assert data_of(notice) == BLANK | {"volunteer": sara.pk, "survey": survey.title}


@pytest.mark.django_db
def test_a_volunteer_erased_by_staff_takes_their_waiting_notices_along(client, library):
    survey = make_survey(library)
    subscribe(library, "https://bibliotheeksysteem.example/hooks", kinds=["survey.volunteer"])
    paused = subscribe(library, "https://website.example/hooks", state="paused")
    sara, jan = volunteer(survey, "Sara"), volunteer(survey, "Jan")
    sent = Delivery.objects.get(payload__data__volunteer=jan.pk, subscription=paused)
    sent.state, sent.payload = "delivered", without_personal_details(sent.payload)
    sent.save()
    assert Delivery.objects.count() == 4
    client.force_login(make_marketer(library, "an"))

    client.post(reverse("staff:volunteer_erase", args=[sara.pk]))

    assert not Volunteer.objects.filter(pk=sara.pk).exists()
    assert "sara@example.org" not in str(list(Delivery.objects.values_list("payload")))
    assert Delivery.objects.count() == 2
    client.post(reverse("staff:volunteer_erase", args=[jan.pk]))
    [delivered] = Delivery.objects.all()  # the delivered one's log row stays, blanked
    assert (delivered.state, delivered.payload["data"]["volunteer"]) == ("delivered", jan.pk)


@pytest.mark.django_db
def test_the_purge_takes_an_expired_volunteers_waiting_notices_along(library):
    survey = make_survey(library)  # volunteers kept 180 days
    subscribe(library, "https://bibliotheeksysteem.example/hooks", state="paused")
    signed_up = timezone.now()
    volunteer(survey, "Sara", now=signed_up - dt.timedelta(days=200))
    volunteer(survey, "Jan", now=signed_up)
    assert Delivery.objects.count() == 2

    purge(timezone.localdate(signed_up), operator="test")

    [kept] = Delivery.objects.all()
    assert kept.payload["data"]["email"] == "jan@example.org"
