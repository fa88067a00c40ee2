"""Journeys and broadcasts go out on a list (topic): `list:` in a definition, and the engine
honouring what members chose — a member who left one list keeps getting the others."""

import datetime as dt
import re

import pytest

from patronflow.choices.models import MailingList
from patronflow.choices.services import record_list_choice, standard_lists
from patronflow.journeys.audience_counts import audience_count
from patronflow.journeys.definitions import (
    InvalidJourney,
    export_definition,
    install_journey,
    normalise,
    save_segment,
)
from patronflow.journeys.diffs import definition_changes
from patronflow.journeys.models import Enrolment, Journey
from patronflow.mail.models import Message
from patronflow.mail.services import send_due_messages
from patronflow.operations.network_templates import adopt, offer_journey
from patronflow.operations.tick import tick
from tests.factories import (
    TODAY,
    EnrolmentFactory,
    JourneyFactory,
    LibraryFactory,
    MemberFactory,
    MessageFactory,
    at,
)
from tests.journeys.helpers import definition, only, step, subjects_to

WELCOME_1 = "Welkom bij Bibliotheek Gent, {name}!"


def broadcast(library, key: str, day: int, subject: str, **fields) -> Journey:
    """A broadcast to the members active in the last 30 days, on the default list unless
    told."""
    save_segment(library, "lezers", "Lezers", {"active_within_days": 60})
    return install_journey(
        library,
        definition(
            key,
            [step(subject, 0, subject=subject)],
            kind="broadcast",
            send_at=at(TODAY + dt.timedelta(days=day), 10).isoformat(),
            entry={"segment": "lezers"},
            **fields,
        ),
    ).journey


def one_click(client, mail) -> None:
    """Press the mail program's unsubscribe button for this mail (RFC 8058)."""
    [url] = re.findall(r"<(https://[^>]+)>", mail["List-Unsubscribe"])
    response = client.post(
        url.removeprefix("https://mail.example-network.be"),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200


def days(first: int, last: int):
    for offset in range(first, last + 1):
        tick(at(TODAY + dt.timedelta(days=offset)))


def test_the_standard_journeys_go_out_on_the_welcome_and_membership_lists(library):
    lists = dict(library.journeys.values_list("key", "mailing_list__key"))

    assert lists == {"welcome": "welcome", "dormant": "membership"}
    assert export_definition(library.journeys.get(key="welcome"))["list"] == "welcome"


def test_a_definitions_list_round_trips_and_a_change_of_list_is_no_new_version(library):
    installed = install_journey(library, definition("nieuws", list="welcome"))
    journey = installed.journey
    assert journey.mailing_list.key == "welcome"

    exported = export_definition(journey)
    assert exported["list"] == "welcome"
    assert install_journey(library, exported).outcome == "unchanged"

    moved = install_journey(library, {**exported, "list": "newsletter"})
    journey.refresh_from_db()
    assert journey.mailing_list.key == "newsletter"
    assert moved.version.number == 1
    [change] = definition_changes(exported, export_definition(journey))
    assert (change.field, change.before, change.after) == ("list", "welcome", "newsletter")
    assert change.text == "Lijst: welcome → newsletter"  # the staff language, Dutch


def test_a_definition_without_a_list_goes_out_on_the_default_list(library):
    journey = install_journey(library, definition("zonder")).journey

    assert journey.mailing_list.key == "newsletter"
    assert normalise(definition("zonder"))["list"] == "newsletter"


@pytest.mark.parametrize(
    ("given", "reason"),
    [
        ("jeugd", "The library has no list %(list)s."),
        ("Geen Sleutel!", "Choose one of the library's lists."),
        (3, "Choose one of the library's lists."),
    ],
)
def test_an_unknown_or_malformed_list_is_refused_on_its_field(library, given, reason):
    with pytest.raises(InvalidJourney) as refused:
        install_journey(library, definition("fout", list=given))

    assert refused.value.field == ("list",)
    assert refused.value.reason == reason
    assert "list:" in str(refused.value)
    assert not library.journeys.filter(key="fout").exists()


def test_a_library_adopting_a_template_on_a_list_it_lacks_gets_the_default_list(library):
    MailingList.objects.create(library=library, key="jeugd", name="Jeugd")
    source = install_journey(library, definition("jeugdboeken", list="jeugd")).journey
    template = offer_journey(source, actor=None).template
    brugge = LibraryFactory(code="brugge")

    copy = adopt(template, brugge, actor=None).journey
    kept = adopt(template, library, actor=None).journey

    assert copy.mailing_list == standard_lists(brugge)["newsletter"]
    assert kept.mailing_list.key == "jeugd" and kept.library == library


def test_a_member_who_left_the_welcome_series_still_gets_the_newsletter_broadcast(
    library, smtp_server, client
):
    member = MemberFactory(library=library, first_name="Lotte", registered_on=TODAY)
    member.last_activity_on = TODAY
    member.save()
    broadcast(library, "boekenweek", 2, "Het is Boekenweek!")
    tick(at(TODAY))
    [welcome] = smtp_server.to(member.email)

    one_click(client, welcome)
    days(1, 30)

    assert subjects_to(smtp_server, member.email) == [
        WELCOME_1.format(name="Lotte"),
        "Het is Boekenweek!",
    ]
    enrolment = Enrolment.objects.get(member=member, journey__key="welcome")
    assert enrolment.exit_reason == Enrolment.ExitReason.LEFT_LIST


def test_a_member_who_left_the_newsletter_still_gets_welcome_mails_two_and_three(
    library, smtp_server, client
):
    member = MemberFactory(library=library, first_name="Lotte", registered_on=TODAY)
    member.last_activity_on = TODAY
    member.save()
    broadcast(library, "boekenweek", 2, "Het is Boekenweek!")
    days(0, 2)
    [_, newsletter] = smtp_server.to(member.email)
    assert newsletter["Subject"] == "Het is Boekenweek!"

    one_click(client, newsletter)
    broadcast(library, "najaar", 10, "Het najaar in de bib")
    days(3, 30)

    received = subjects_to(smtp_server, member.email)
    assert len(received) == 4
    assert "Het najaar in de bib" not in received
    assert Enrolment.objects.get(member=member, journey__key="welcome").status == "completed"
    assert not Enrolment.objects.filter(member=member, journey__key="najaar").exists()


def test_a_list_left_between_ticks_ends_its_journeys_at_the_next_tick(library, smtp_server):
    only(library, "welcome")
    member = MemberFactory(library=library, registered_on=TODAY)
    tick(at(TODAY))
    # As a choice stored without its enrolments ended (the exit is the engine's guarantee).
    record_list_choice(
        member,
        standard_lists(library)["welcome"],
        receives=False,
        source="preferences",
        text_version="preferences/1",
    )

    days(1, 30)

    enrolment = Enrolment.objects.get(member=member)
    assert (enrolment.status, enrolment.exit_reason) == ("exited", "left_list")
    assert len(smtp_server.to(member.email)) == 1


def test_a_member_who_left_a_list_does_not_enter_its_journeys(library, smtp_server):
    only(library, "welcome")
    member = MemberFactory(library=library, registered_on=TODAY)
    record_list_choice(
        member,
        standard_lists(library)["welcome"],
        receives=False,
        source="preferences",
        text_version="preferences/1",
    )

    tick(at(TODAY))

    assert not Enrolment.objects.filter(member=member).exists()
    assert smtp_server.messages == []


def test_the_sender_suppresses_a_queued_mail_whose_list_was_left_since(library, smtp_server):
    journey = JourneyFactory(library=library)  # on the default list, the newsletter
    stays, leaves = (MemberFactory(library=library) for _ in range(2))
    for member in (stays, leaves):
        MessageFactory(
            enrolment=EnrolmentFactory(journey=journey, member=member),
            status=Message.Status.QUEUED,
            due_on=TODAY,
            to_email="",
            subject="",
            links=[],
        )
    record_list_choice(
        leaves,
        journey.mailing_list,
        receives=False,
        source="preferences",
        text_version="preferences/1",
    )

    send_due_messages(at(TODAY, 11))

    assert [mail["To"].addresses[0].addr_spec for mail in smtp_server.messages] == [stays.email]
    suppressed = Message.objects.get(enrolment__member=leaves)
    assert suppressed.status == Message.Status.SUPPRESSED
    assert "left the list" in suppressed.last_error


def test_a_journey_on_a_list_members_join_reaches_only_those_who_joined(library, smtp_server):
    only(library)
    jeugd = MailingList.objects.create(
        library=library, key="jeugd", name="Jeugd", members_join_by_default=False
    )
    steps = [step("Jeugdnieuws 1"), step("Jeugdnieuws 2", 7)]
    install_journey(library, definition("jeugdnieuws", steps, list="jeugd"))
    joined, stays_out = (MemberFactory(library=library) for _ in range(2))
    record_list_choice(
        joined, jeugd, receives=True, source="preferences", text_version="preferences/1"
    )

    tick(at(TODAY))
    assert [mail["To"].addresses[0].addr_spec for mail in smtp_server.messages] == [joined.email]
    assert not Enrolment.objects.filter(member=stays_out).exists()

    record_list_choice(
        joined, jeugd, receives=False, source="preferences", text_version="preferences/1"
    )
    days(1, 10)

    assert subjects_to(smtp_server, joined.email) == ["Jeugdnieuws 1"]
    assert Enrolment.objects.get(member=joined).exit_reason == Enrolment.ExitReason.LEFT_LIST


def test_the_audience_count_of_a_journey_leaves_out_who_left_its_list(library):
    MemberFactory(library=library)  # stays on every list
    left = MemberFactory(library=library)
    lists = standard_lists(library)
    record_list_choice(
        left, lists["newsletter"], receives=False, source="preferences", text_version="t"
    )

    for_newsletter = audience_count(library, {}, TODAY, mailing_list=lists["newsletter"])
    for_welcome = audience_count(library, {}, TODAY, mailing_list=lists["welcome"])

    assert (for_newsletter.members, for_newsletter.mailable) == (2, 1)
    assert (for_welcome.members, for_welcome.mailable) == (2, 2)
