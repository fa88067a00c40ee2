"""What the library's systems hear: bounces that suppress an address, a complaint, a
focus-group volunteer and the preference page's choices each announce once, as it is
recorded, and reach a real receiver signed."""

import json

import pytest
from django.urls import reverse
from django.utils import timezone

from patronflow.choices.services import standard_lists
from patronflow.operations.bounces import record_mail
from patronflow.surveys.models import Volunteer
from patronflow.tracking.services import save_preferences
from patronflow.webhooks.delivery import deliver_due
from patronflow.webhooks.models import Delivery
from tests.factories import MessageFactory
from tests.mail.test_bounces import report_about
from tests.surveys.helpers import filled_in, make_survey
from tests.webhooks.helpers import documented_verify, subscribe
from tests.webhooks.receiver import receiving

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("receivers_on_this_machine"),
]


def announced() -> list[tuple[str, dict]]:
    return [(d.kind, d.payload["data"]) for d in Delivery.objects.order_by("pk")]


def test_a_hard_bounce_announces_the_suppressed_address_once_with_the_members_id():
    message = MessageFactory()
    member = message.enrolment.member
    with receiving() as library_system:
        subscription = subscribe(message.library, library_system.url)
        record_mail(report_about("postfix_hard_bounce.eml", message), [])
        record_mail(report_about("postfix_hard_bounce.eml", message), [])  # suppressed already
        assert deliver_due().delivered == 1

    assert announced() == [
        ("address.suppressed", {"reason": "hard_bounce", "members": [member.external_id]})
    ]
    [received] = library_system.received
    assert documented_verify()(subscription.secret, received.body, received.headers)
    notice = json.loads(received.body)
    assert (notice["type"], notice["library"]) == ("address.suppressed", message.library.code)
    assert member.email not in received.body.decode()  # the id, not the address


def test_a_complaint_announces_the_suppression_the_complaint_and_the_unsubscribe():
    message = MessageFactory()
    member = message.enrolment.member
    subscribe(message.library, "https://bib.example.be/hooks")

    record_mail(report_about("yahoo_arf_complaint.eml", message, "redacted@yahoo.com"), [])

    assert announced() == [
        ("address.suppressed", {"reason": "complaint", "members": [member.external_id]}),
        ("member.complained", {"member": member.external_id}),
        ("member.unsubscribed", {"member": member.external_id}),
    ]


def test_a_volunteer_is_announced_with_what_they_gave_for_the_focus_group(client, library):
    survey = make_survey(library)
    subscribe(library, "https://bib.example.be/hooks", kinds=["survey.volunteer"])
    address = reverse("tracking:survey", args=[survey.key])
    client.post(address, filled_in(survey))
    assert not Delivery.objects.exists()  # an answer is anonymous: nothing to announce

    client.post(address, {"consent": "on", "name": "Sara Peeters",
                          "email": "sara@example.org", "phone": "0470 12 34 56"})  # fmt: skip

    assert announced() == [
        (
            "survey.volunteer",
            {
                "volunteer": Volunteer.objects.get().pk,
                "name": "Sara Peeters",
                "email": "sara@example.org",
                "phone": "0470 12 34 56",
                "survey": survey.title,
            },
        )
    ]


def test_the_preference_page_announces_each_change_once():
    message = MessageFactory()
    member = message.enrolment.member
    lists = standard_lists(message.library)
    subscribe(message.library, "https://bib.example.be/hooks")

    save_preferences(message, receiving={"welcome"}, no_mail=False)
    save_preferences(message, receiving={"welcome"}, no_mail=False)  # the same again
    save_preferences(message, receiving={"welcome"}, no_mail=True)
    save_preferences(message, receiving={"welcome", "newsletter"}, no_mail=False)

    newsletter = {"key": "newsletter", "name": lists["newsletter"].name}
    assert announced() == [
        ("list.left", {"member": member.external_id, "list": newsletter}),
        ("member.unsubscribed", {"member": member.external_id}),
        ("list.joined", {"member": member.external_id, "list": newsletter}),
        ("member.resubscribed", {"member": member.external_id}),
    ]
    occurred = [d.payload["occurred_at"] for d in Delivery.objects.order_by("pk")]
    assert all(at.endswith("Z") and at[:4] == str(timezone.now().year) for at in occurred)
