"""Every change made on the staff screens is in the audit log: who (the staff user), what
(the journey, mail, setting, reading tip or account, with what it was and became) and when,
and nothing about any member."""

import json

import pytest
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from patronflow.journeys.models import Journey
from patronflow.privacy.models import AuditEntry
from patronflow.staff.services import add_staff
from tests.factories import ItemFactory, LoanFactory, MemberFactory
from tests.staff.conftest import PASSWORD
from tests.staff.test_mail_editor import html_block
from tests.staff.test_second_factor import current_code, next_code

pytestmark = pytest.mark.django_db


@pytest.fixture
def members(library):
    """Members whose data must never reach a change's entry."""
    return MemberFactory.create_batch(2, library=library, first_name="Zoë")


@pytest.fixture
def logged(members):
    """The change entries written from here on: call it after the change."""
    start = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    started = timezone.now()

    def changes() -> list[AuditEntry]:
        entries = list(AuditEntry.objects.filter(id__gt=start).order_by("id"))
        for entry in entries:
            assert entry.action == "changed"
            assert started <= entry.at <= timezone.now()
            assert entry.member_ref == ""
            text = json.dumps([entry.subject, entry.changes], ensure_ascii=False)
            for member in members:
                for detail in (member.external_id, member.email, member.first_name):
                    assert detail not in text
        return entries

    return changes


def welcome(library) -> Journey:
    return Journey.objects.get(library=library, key="welcome")


def test_pausing_a_journey_is_logged_with_the_marketer(staff_client, library, logged):
    journey = welcome(library)
    staff_client.post(reverse("staff:journey_status", args=[journey.pk]), {"status": "paused"})

    [entry] = logged()
    assert (entry.operator, entry.library_code, entry.subject) == (
        "staff:an",
        "gent",
        "journey welcome",
    )
    assert entry.changes == {"status": ["active", "paused"]}
    assert entry.described_changes() == "status: active → paused"


def test_a_new_holdout_share_is_logged(staff_client, library, logged):
    journey = welcome(library)
    staff_client.post(
        reverse("staff:journey_holdout", args=[journey.pk]), {"holdout_percent": "20"}
    )

    [entry] = logged()
    assert (entry.operator, entry.subject) == ("staff:an", "journey welcome")
    assert entry.changes == {"holdout_percent": [0, 20]}


def test_a_mails_new_text_is_logged_once_short_values_as_they_were_long_ones_as_lengths(
    staff_client, library, logged
):
    journey = welcome(library)
    variant = journey.current_version.steps.get(position=2).variants.get()
    body = "<p>Dag {{ first_name }},</p>" + "<p>Welkom in de bibliotheek.</p>" * 10
    for _saved_twice in range(2):  # saved again as it is: nothing changed, nothing logged
        staff_client.post(
            reverse("staff:mail", args=[journey.pk, 2, "default"]),
            {"subject": "Nog even dit", "preheader": variant.preheader, **html_block(body)},
        )

    [entry] = logged()
    saved = journey.current_version.steps.get(position=2).variants.get()
    assert (entry.operator, entry.subject) == ("staff:an", "journey welcome")
    assert entry.changes == {
        "mail 2, default: subject": [variant.subject, "Nog even dit"],
        "mail 2, default: blocks": [
            f"({len(json.dumps(variant.blocks, ensure_ascii=False, sort_keys=True)):,} characters)",
            f"({len(json.dumps(saved.blocks, ensure_ascii=False, sort_keys=True)):,} characters)",
        ],
    }


def test_a_library_setting_is_logged_with_what_it_was(staff_client, library, logged):
    library.sender_email = "oud@gent.be"
    library.save()
    staff_client.post(
        reverse("staff:settings"),
        {
            "sender_name": library.sender_name, "sender_email": "nieuw@gent.be",
            "privacy_url": library.privacy_url, "profile_url": library.profile_url,
            "survey_url": library.survey_url, "catalogue_url": library.catalogue_url,
            "dkim_selector": library.dkim_selector, "time_zone": library.time_zone,
            "send_window": library.send_window.describe(),
            "track_opens": "on" if library.track_opens else "",
            "track_clicks": "on" if library.track_clicks else "",
            "member_weekly_cap": library.member_weekly_cap or "",
            "daily_cap": library.daily_cap or "",
        },
    )  # fmt: skip

    [entry] = logged()
    assert (entry.operator, entry.library_code, entry.subject) == (
        "staff:an",
        "gent",
        "library gent",
    )
    assert entry.changes == {"sender_email": ["oud@gent.be", "nieuw@gent.be"]}


def test_pinning_excluding_and_allowing_a_title_again_are_logged(staff_client, library, logged):
    LoanFactory(member=MemberFactory(library=library), item=ItemFactory(
        library=library, title="Het smelt", author="Lize Spit"
    ))  # fmt: skip
    url = reverse("staff:tips")
    title = {"title": "Het smelt", "author": "Lize Spit"}
    staff_client.post(url, {"action": "pin", "segment": "fiction_physical", **title})
    staff_client.post(url, {"action": "exclude", "segment": "fiction_physical", **title})
    choice = library.tip_choices.get()
    staff_client.post(url, {"action": "forget", "choice": choice.pk})

    entries = logged()
    assert {entry.subject for entry in entries} == {"reading tip “Het smelt” (Lize Spit)"}
    assert {entry.operator for entry in entries} == {"staff:an"}
    assert [entry.changes for entry in entries] == [
        {"fiction_physical": [None, "pin"]},
        {"fiction_physical": ["pin", "exclude"]},
        {"fiction_physical": ["exclude", None]},
    ]


@pytest.fixture
def admin_client(client, library):
    admin = add_staff("netwerk", email="netwerk@bib.be", password=PASSWORD, role="admin")
    client.force_login(admin)
    return client


def test_adding_and_removing_a_staff_login_are_logged_with_the_admin(admin_client, library, logged):
    admin_client.post(
        reverse("staff:accounts"),
        {"username": "bart", "email": "bart@gent.be", "password": PASSWORD,
         "role": "marketer", "library": library.pk},
    )  # fmt: skip
    bart = library.staff.get(user__username="bart").user
    admin_client.post(reverse("staff:remove_account", args=[bart.pk]))

    added, removed = logged()
    assert (added.operator, added.library_code, added.subject) == (
        "staff:netwerk",
        "gent",
        "staff account bart",
    )
    assert added.changes == {"role": [None, "marketer"]}
    assert (removed.operator, removed.subject) == ("staff:netwerk", "staff account bart")
    assert removed.changes == {"role": ["marketer", None]}
    assert PASSWORD not in json.dumps([added.changes, removed.changes])


def test_turning_the_second_factor_on_and_off_is_logged_as_the_user_s_own(
    staff_client, marketer, logged
):
    url = reverse("staff:second_factor")
    staff_client.get(url)
    device = TOTPDevice.objects.get(user=marketer)
    staff_client.post(url, {"action": "confirm", "token": current_code(device)})
    staff_client.post(url, {"action": "stop", "token": next_code(device)})

    turned_on, turned_off = logged()
    assert (turned_on.operator, turned_on.subject) == ("staff:an", "staff account an")
    assert turned_on.changes == {"second factor": ["off", "on"]}
    assert turned_off.changes == {"second factor": ["on", "off"]}
