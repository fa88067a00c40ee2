"""Four eyes on the staff screens: the switch in the settings, the list of waiting changes,
and one change approved or declined by the library's other marketer, never its requester."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from patronflow.journeys.approvals import ask_for_activation, ask_for_version
from patronflow.journeys.definitions import export_definition, install_journey
from patronflow.journeys.models import ApprovalRequest
from patronflow.privacy.models import AuditEntry
from patronflow.staff.services import add_staff
from tests.factories import MemberFactory
from tests.journeys.helpers import step
from tests.staff.conftest import PASSWORD, make_marketer
from tests.staff.studio_forms import Editor, editor_url
from tests.staff.test_mail_editor import html_block

pytestmark = pytest.mark.django_db


@pytest.fixture
def four_eyes(library):
    library.four_eyes = True
    library.save()
    return library


@pytest.fixture
def bert(library):
    return make_marketer(library, "bert")


@pytest.fixture
def bert_client(bert):
    """The library's other marketer, in a browser of his own."""
    client = Client()
    client.force_login(bert)
    return client


def broadcast(library):
    return install_journey(
        library,
        {
            "key": "boekenweek",
            "name": "Boekenweek",
            "kind": "broadcast",
            "send_at": "2026-06-03T10:00:00+02:00",
            "steps": [step("Boekenweek", 0, subject="Het is Boekenweek!")],
        },
    ).journey


def test_the_settings_screen_turns_four_eyes_on_and_logs_it(staff_client, library):
    page = staff_client.get(reverse("staff:settings"))
    data = {
        name: value
        for name, value in page.context["form"].initial.items()
        if value is not None and name not in ("track_opens", "track_clicks", "four_eyes")
    }
    data |= {"send_window": "ma-vr 09:00-18:00", "brand_colour": "#1f5f8b", "four_eyes": "on"}

    response = staff_client.post(reverse("staff:settings"), data)

    assert response.status_code == 302
    library.refresh_from_db()
    assert library.four_eyes
    entry = AuditEntry.objects.filter(subject="library gent").latest("pk")
    assert entry.changes["four_eyes"] == [False, True]
    assert "Goedkeuringen" in staff_client.get(reverse("staff:dashboard")).content.decode()


def test_a_marketer_cannot_switch_four_eyes_off_alone_and_a_network_admin_can(
    staff_client, four_eyes
):
    page = staff_client.get(reverse("staff:settings"))
    data = {
        name: value
        for name, value in page.context["form"].initial.items()
        if value is not None and name not in ("track_opens", "track_clicks", "four_eyes")
    }
    data |= {"send_window": "ma-vr 09:00-18:00", "brand_colour": "#1f5f8b"}  # four eyes unticked

    assert staff_client.post(reverse("staff:settings"), data).status_code == 302
    four_eyes.refresh_from_db()
    assert four_eyes.four_eyes
    assert "Alleen een netwerkbeheerder" in page.content.decode()

    admin = Client()
    admin.force_login(add_staff("netwerk", email="n@bib.be", password=PASSWORD, role="admin"))
    assert admin.post(reverse("staff:settings"), data).status_code == 302
    four_eyes.refresh_from_db()
    assert not four_eyes.four_eyes


def test_the_other_marketer_sees_the_change_and_approves_it(
    bert_client, staff_client, four_eyes, marketer, bert
):
    MemberFactory(library=four_eyes)
    journey = broadcast(four_eyes)
    approval = ask_for_activation(journey, actor=marketer)

    dashboard = bert_client.get(reverse("staff:dashboard")).content.decode()
    assert reverse("staff:approval", args=[approval.pk]) in dashboard
    assert "Boekenweek" in bert_client.get(reverse("staff:approvals")).content.decode()
    assert reverse("staff:approval", args=[approval.pk]) in (
        bert_client.get(reverse("staff:journey", args=[journey.pk])).content.decode()
    )
    own = staff_client.get(reverse("staff:approval", args=[approval.pk])).content.decode()
    assert "Goedkeuren" not in own  # the requester cannot

    response = bert_client.post(
        reverse("staff:approval", args=[approval.pk]),
        {"decision": "approve", "note": "Mooi"},
        follow=True,
    )

    assert "Goedgekeurd" in response.content.decode()
    journey.refresh_from_db()
    assert journey.status == "active"
    approval.refresh_from_db()
    assert (approval.state, approval.decided_by, approval.note) == ("approved", bert, "Mooi")


def test_the_requester_posting_a_decision_changes_nothing(staff_client, four_eyes, marketer):
    approval = ask_for_activation(broadcast(four_eyes), actor=marketer)

    staff_client.post(reverse("staff:approval", args=[approval.pk]), {"decision": "approve"})

    approval.refresh_from_db()
    assert approval.state == "pending"


def test_a_new_version_shows_what_it_changes_and_a_stale_one_says_why(
    bert_client, four_eyes, marketer
):
    welcome = four_eyes.journeys.get(key="welcome")
    changed = export_definition(welcome)
    changed["steps"].append(step("Nog eentje", 30) | {"position": 4})
    approval = ask_for_version(welcome, changed, actor=marketer, move_members=False)

    page = bert_client.get(reverse("staff:approval", args=[approval.pk])).content.decode()
    assert "Mail 4 toegevoegd: Nog eentje" in page

    meanwhile = export_definition(welcome) | {"holdout_percent": 30}
    install_journey(four_eyes, meanwhile)
    page = bert_client.get(reverse("staff:approval", args=[approval.pk])).content.decode()
    assert "intussen gewijzigd" in page
    response = bert_client.post(
        reverse("staff:approval", args=[approval.pk]), {"decision": "approve"}, follow=True
    )
    assert "Niet toegepast" in response.content.decode()
    assert welcome.current_version.steps.count() == 3
    assert ApprovalRequest.objects.get().state == "stale"


def test_declining_keeps_the_journey_and_lists_the_decision(bert_client, four_eyes, marketer):
    journey = broadcast(four_eyes)
    approval = ask_for_activation(journey, actor=marketer)

    bert_client.post(
        reverse("staff:approval", args=[approval.pk]), {"decision": "decline", "note": "Nog niet"}
    )

    journey.refresh_from_db()
    assert journey.status == "draft"
    listed = bert_client.get(reverse("staff:approvals")).content.decode()
    assert "geweigerd" in listed and "bert" in listed


def test_activating_on_screen_asks_the_colleague_instead(staff_client, four_eyes, marketer):
    MemberFactory(library=four_eyes, registered_on=timezone.localdate())  # a new member
    welcome = four_eyes.journeys.get(key="welcome")
    welcome.status = "paused"
    welcome.save()

    response = staff_client.post(
        reverse("staff:journey_status", args=[welcome.pk]), {"status": "active"}, follow=True
    )

    assert "Goedkeuring gevraagd" in response.content.decode()
    welcome.refresh_from_db()
    assert welcome.status == "paused"
    asked = ApprovalRequest.objects.get()
    assert (asked.change, asked.requested_by) == ("activation", marketer)


def test_saving_a_running_journey_in_the_editor_asks_the_colleague(
    staff_client, bert_client, four_eyes, marketer
):
    welcome = four_eyes.journeys.get(key="welcome")
    editor = Editor(staff_client, editor_url("studio_edit", welcome.pk))
    editor.set(step0_variant0_subject="Welkom bij ons, {{ first_name }}")

    editor.press("save")

    assert "Goedkeuring gevraagd" in editor.page
    asked = ApprovalRequest.objects.get()
    assert (asked.change, asked.requested_by) == ("version", marketer)
    assert "Welkom bij ons" not in export_definition(welcome)["steps"][0]["variants"][0]["subject"]
    page = bert_client.get(reverse("staff:approval", args=[asked.pk])).content.decode()
    assert "Mail 1, Alle anderen: onderwerp" in page
    bert_client.post(reverse("staff:approval", args=[asked.pk]), {"decision": "approve"})
    assert "Welkom bij ons" in export_definition(welcome)["steps"][0]["variants"][0]["subject"]


def test_a_mail_or_holdout_saved_on_a_running_journey_asks_the_colleague(staff_client, four_eyes):
    welcome = four_eyes.journeys.get(key="welcome")
    mail = staff_client.post(
        reverse("staff:mail", args=[welcome.pk, 1, "default"]),
        {"subject": "Welkom, {{ first_name }}", **html_block("<p>Dag</p>")},
        follow=True,
    )
    holdout = staff_client.post(
        reverse("staff:journey_holdout", args=[welcome.pk]), {"holdout_percent": 20}, follow=True
    )

    assert "Goedkeuring gevraagd" in mail.content.decode()
    assert "Goedkeuring gevraagd" in holdout.content.decode()
    assert ApprovalRequest.objects.filter(journey=welcome, change="version").count() == 2
    assert export_definition(welcome)["holdout_percent"] == 0


def test_an_approval_the_guard_rails_refuse_says_what_is_missing_and_waits(
    bert_client, four_eyes, marketer
):
    MemberFactory(library=four_eyes)
    approval = ask_for_activation(broadcast(four_eyes), actor=marketer)
    page = bert_client.get(reverse("staff:approval", args=[approval.pk])).content.decode()
    assert "de verzending vertrekt op woensdag 3 juni 2026, 10:00" in page
    four_eyes.sender_email = ""
    four_eyes.save()

    response = bert_client.post(
        reverse("staff:approval", args=[approval.pk]), {"decision": "approve"}, follow=True
    )

    assert "de reeks heeft eerst een afzenderadres" in response.content.decode()
    approval.refresh_from_db()
    assert approval.state == "pending"
