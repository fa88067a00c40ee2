"""A mail's text that fails, or asks more than the render budget allows, is shown to the
marketer on the field concerned, in their language — in the preview, the test mail and on
saving — and the journey's page says which steps' mails failed on their text, and why."""

import re

import pytest
from django.urls import reverse

from patronflow.journeys.models import Journey
from tests.factories import MemberFactory, MessageFactory
from tests.staff.test_mail_editor import html_block

pytestmark = pytest.mark.django_db

BODY = "<p>Dag {{ first_name }},</p>"
NESTED = "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}"


def welcome(library) -> Journey:
    return Journey.objects.get(library=library, key="welcome")


def mail_url(journey, name="mail", position=2):
    return reverse(f"staff:{name}", args=[journey.pk, position, "default"])


def field_problem(page: str, field: str) -> str:
    """The text in the editor's slot for a field's problem (filled out of band by htmx)."""
    slot = re.search(rf'<div id="id_{field}_problem"[^>]*>(.*?)</div>', page, re.S)
    assert slot, f"no problem slot for {field}"
    return re.sub(r"<[^>]+>", "", slot[1])


def test_a_preview_over_the_render_budget_is_refused_on_the_body(staff_client, library):
    member = MemberFactory(library=library)
    response = staff_client.post(
        mail_url(welcome(library), "preview"),
        {"subject": "Hallo", **html_block(f"<p>Dag</p>\n{NESTED}"), "member": member.pk},
    )
    page = response.content.decode()

    expected = (
        "regel 2: meer dan 10.000 herhalingen (lusrondes en macro-aanroepen); een mail heeft "
        "er nooit zoveel nodig: maak de lus kleiner"
    )
    assert "Deze mail kan zo niet verzonden worden" in page
    assert field_problem(page, "body") == expected
    assert field_problem(page, "subject") == field_problem(page, "preheader") == ""


def test_the_refusal_is_in_the_marketers_language(staff_client, library):
    staff_client.post(reverse("staff:language"), {"language": "en", "next": "/staff/"})
    member = MemberFactory(library=library)
    response = staff_client.post(
        mail_url(welcome(library), "preview"),
        {"subject": "Hallo", **html_block("{{ 'x' * 10**9 }}"), "member": member.pk},
    )

    assert field_problem(response.content.decode(), "body") == (
        "line 1: this builds a value of more than 100,000 characters or items; a mail never "
        "needs one: use smaller numbers or shorter texts"
    )


def test_a_test_mail_whose_subject_fails_is_not_sent_and_the_subject_says_why(
    staff_client, library, marketer, smtp_server
):
    member = MemberFactory(library=library, first_name="Fatima")
    response = staff_client.post(
        mail_url(welcome(library), "mail_test"),
        {"subject": "Hallo {{ [].pop() }}", **html_block(BODY), "member": member.pk},
    )
    page = response.content.decode()

    assert field_problem(page, "subject") == (
        "regel 1: de tekst loopt hier vast: een lijst of tekst heeft dat element niet (IndexError)"
    )
    assert "Er is een test verzonden" not in page
    assert not smtp_server.to(marketer.email)


def test_saving_a_text_that_fails_for_some_members_is_refused_on_its_field(staff_client, library):
    journey = welcome(library)
    before = journey.current_version.steps.get(position=2).variants.get().body
    response = staff_client.post(
        mail_url(journey),
        {"subject": "Hallo", **html_block("{% if first_name != 'An' %}{{ [].pop() }}{% endif %}")},
    )
    page = response.content.decode()

    body_field = re.search(
        r'<div class="field has-error">\s*<label for="b-0-html">.*?</div>', page, re.S
    )
    assert body_field
    assert (
        "regel 1: de tekst loopt hier vast: een lijst of tekst heeft dat element niet "
        "(IndexError) (bij een lid dat Zoë heet, met een online profiel)"
    ) in body_field[0]
    assert journey.current_version.steps.get(position=2).variants.get().body == before


def test_the_journey_page_shows_per_step_the_mails_that_failed_on_their_text(staff_client, library):
    journey = welcome(library)
    step = journey.current_version.steps.get(position=2)
    reasons = ["regel 1: de tekst loopt hier vast: delen door nul (ZeroDivisionError)"] * 2
    reasons.append("regel 3: voornaam bestaat niet; een mail kent first_name, library_name")
    failed = [
        MessageFactory(
            enrolment__journey=journey,
            step=step,
            variant=step.variants.get(),
            status="failed",
            last_error=f"template: {reason}",
            claimed_at=f"2026-12-0{day}T09:00:00Z",
        )
        for day, reason in enumerate(reasons, start=1)
    ]
    MessageFactory(
        enrolment__journey=journey,
        step=step,
        variant=step.variants.get(),
        status="failed",
        last_error="550 mailbox unavailable",
    )

    page = staff_client.get(reverse("staff:journey", args=[journey.pk])).content.decode()

    assert (
        "3 mails konden niet gemaakt worden uit de tekst. Laatste reden: regel 3: voornaam "
        "bestaat niet; een mail kent first_name, library_name"
    ) in page
    assert page.count("niet gemaakt worden uit de tekst") == 1  # step 2 only
    for message in failed:
        member = message.enrolment.member
        assert member.first_name not in page and member.email not in page


def test_a_journey_patronflow_paused_says_why_on_its_page_and_the_dashboard(staff_client, library):
    journey = welcome(library)
    reason = "12 of 15 mails of step 2 (Tweede mail) failed on their template: regel 1: …"
    Journey.objects.filter(pk=journey.pk).update(status="paused", pause_reason=reason)

    page = staff_client.get(reverse("staff:journey", args=[journey.pk])).content.decode()
    dashboard = staff_client.get(reverse("staff:dashboard")).content.decode()

    assert f"patronflow heeft deze reeks gepauzeerd: {reason}" in page
    assert "activeer de reeks dan opnieuw" in page
    assert f"patronflow heeft de reeks {journey.name} gepauzeerd: {reason}" in dashboard
