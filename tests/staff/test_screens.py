"""The screens as a marketer uses them, through Django's test client (the browser tests
walk the same way in chromium)."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from patronflow.journeys.models import Journey
from patronflow.privacy.models import AuditEntry
from tests.factories import MemberFactory, MessageFactory
from tests.staff.test_mail_editor import html_block

pytestmark = pytest.mark.django_db

BODY = "<p>Dag {{ first_name }},</p>\n<p>Lees ook thuis: e-boeken en luisterboeken.</p>"


def welcome(library) -> Journey:
    return Journey.objects.get(library=library, key="welcome")


def sent_mail(journey):
    step = journey.current_version.steps.get(position=1)
    return MessageFactory(enrolment__journey=journey, step=step, variant=step.variants.get())


def mail_url(journey, name="mail", position=2):
    return reverse(f"staff:{name}", args=[journey.pk, position, "default"])


def test_the_dashboard_shows_the_journeys_in_dutch_with_their_figures(staff_client, library):
    sent_mail(welcome(library))
    page = staff_client.get(reverse("staff:dashboard")).content.decode()
    assert "Overzicht" in page and "Reeksen" in page
    assert "Welkom voor nieuwe leden" in page
    assert ">1</td>" in page  # one mail sent


def test_english_is_one_switch_away(staff_client):
    staff_client.post(reverse("staff:language"), {"language": "en", "next": "/staff/"})
    assert "Dashboard" in staff_client.get(reverse("staff:dashboard")).content.decode()


def test_the_dashboard_warns_when_sending_is_paused(staff_client, library):
    from django.utils import timezone

    library.sending_paused_at = timezone.now()
    library.sending_paused_reason = "te veel bounces"
    library.save()
    page = staff_client.get(reverse("staff:dashboard")).content.decode()
    assert "Het verzenden is gepauzeerd voor deze bibliotheek: te veel bounces" in page


def test_saving_a_mail_of_a_journey_nobody_entered_replaces_the_version(staff_client, library):
    journey = welcome(library)
    response = staff_client.post(
        mail_url(journey), {"subject": "Hallo {{ first_name }}", **html_block(BODY)}, follow=True
    )
    assert "Bewaard (versie 1" in response.content.decode()
    assert journey.current_version.steps.get(position=2).variants.get().subject == (
        "Hallo {{ first_name }}"
    )


def test_saving_a_mail_of_a_running_journey_makes_a_new_version(staff_client, library):
    from tests.factories import EnrolmentFactory

    journey = welcome(library)
    EnrolmentFactory(journey=journey)
    response = staff_client.post(
        mail_url(journey), {"subject": "Hallo", **html_block(BODY)}, follow=True
    )
    assert "Bewaard als versie 2. Leden die al onderweg zijn, maken versie 1 af" in (
        response.content.decode()
    )
    assert journey.versions.count() == 2


def test_a_template_mistake_is_shown_with_its_line_and_nothing_is_saved(staff_client, library):
    journey = welcome(library)
    before = journey.current_version.steps.get(position=2).variants.get().body
    response = staff_client.post(
        mail_url(journey), {"subject": "Hallo", **html_block("<p>Dag</p>\n<p>{{ first_name </p>")}
    )
    page = response.content.decode()
    assert response.status_code == 200
    body_field = re.search(
        r'<div class="field has-error">\s*<label for="b-0-html">.*?</div>', page, re.S
    )
    assert body_field and "regel 2: " in body_field[0]
    assert journey.current_version.steps.get(position=2).variants.get().body == before


def test_the_preview_renders_the_draft_as_the_chosen_member(staff_client, library):
    journey = welcome(library)
    member = MemberFactory(library=library, first_name="Fatima")
    response = staff_client.post(
        mail_url(journey, "preview"),
        {"subject": "Hallo {{ first_name }}", **html_block(BODY), "member": member.pk},
        HTTP_HX_REQUEST="true",
    )
    page = response.content.decode()
    assert "Hallo Fatima" in page and "Dag Fatima," in page
    frame = staff_client.get(mail_url(journey, "preview_frame"))
    assert "Dag Fatima," in frame.content.decode()
    assert "sandbox" in frame.headers["Content-Security-Policy"]


def test_the_preview_shows_a_template_problem_instead_of_failing(staff_client, library):
    member = MemberFactory(library=library)
    response = staff_client.post(
        mail_url(welcome(library), "preview"),
        {"subject": "Hallo {{ voornaam }}", **html_block(BODY), "member": member.pk},
    )
    assert "Deze mail kan zo niet verzonden worden" in response.content.decode()
    assert "voornaam" in response.content.decode()


def test_send_a_test_to_me_goes_through_smtp_to_the_staff_address(
    staff_client, library, marketer, smtp_server
):
    member = MemberFactory(library=library, first_name="Fatima")
    response = staff_client.post(
        mail_url(welcome(library), "mail_test"),
        {"subject": "Hallo {{ first_name }}", **html_block(BODY), "member": member.pk},
    )
    assert f"Er is een test verzonden naar {marketer.email}" in response.content.decode()
    (mail,) = smtp_server.to(marketer.email)
    assert mail["Subject"] == "[TEST] Hallo Fatima"
    assert not smtp_server.to(member.email)


def test_activate_pause_and_archive_call_the_lifecycle(staff_client, library):
    journey = welcome(library)
    url = reverse("staff:journey_status", args=[journey.pk])
    page = staff_client.post(url, {"status": "paused"}, follow=True).content.decode()
    assert "Welkom voor nieuwe leden is nu" in page
    journey.refresh_from_db()
    assert journey.status == "paused"
    staff_client.post(url, {"status": "active"})
    journey.refresh_from_db()
    assert journey.status == "active"


def test_an_import_shows_its_summary_and_rejected_rows(staff_client, library):
    csv = (
        b"member_id;first_name;email;registered_on\n"
        b"M1;Fatima;fatima@example.org;2026-05-01\n"
        b"M2;;bart@example.org;2026-05-02\n"
    )
    response = staff_client.post(
        reverse("staff:imports"),
        {"kind": "members", "file": SimpleUploadedFile("leden.csv", csv, "text/csv")},
    )
    page = response.content.decode()
    assert "leden.csv geïmporteerd" in page
    assert "Geweigerde rijen" in page and "first_name" in page
    assert library.members.filter(external_id="M1").exists()


def test_segments_show_their_sizes(staff_client, library):
    from patronflow.journeys.definitions import save_segment

    save_segment(library, "jong", "Jonge lezers", {"max_age": 30})
    page = staff_client.get(reverse("staff:segments")).content.decode()
    assert "Jonge lezers" in page


def test_the_report_shows_the_figures_per_mail(staff_client, library):
    sent_mail(welcome(library))
    page = staff_client.get(reverse("staff:report")).content.decode()
    assert "Welkom voor nieuwe leden" in page and "Klikratio" in page


def test_looking_up_a_member_is_audit_logged(staff_client, library):
    member = MemberFactory(library=library, external_id="M777")
    page = staff_client.get(reverse("staff:members"), {"q": "M777"}).content.decode()
    assert member.first_name in page
    staff_client.get(reverse("staff:member", args=[member.pk]))
    entries = AuditEntry.objects.filter(operator="staff:an", action="viewed", library_code="gent")
    assert entries.count() == 2


def test_a_member_of_another_library_cannot_be_looked_up(staff_client, other_library):
    MemberFactory(library=other_library, external_id="B1", first_name="Zeno")
    page = staff_client.get(reverse("staff:members"), {"q": "B1"}).content.decode()
    assert "Zeno" not in page
