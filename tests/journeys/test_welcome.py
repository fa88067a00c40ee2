import datetime as dt
import re

from patronflow.journeys.models import Enrolment
from patronflow.mail.models import Message
from patronflow.operations.tick import tick
from tests.factories import TODAY, MemberFactory, at


def subjects(smtp_server, member):
    return [mail["Subject"] for mail in smtp_server.to(member.email)]


def test_new_member_gets_three_mails_on_day_0_7_and_21(library, smtp_server):
    member = MemberFactory(library=library, first_name="Lotte", registered_on=TODAY)

    sent_on = {}
    for offset in range(0, 40):
        before = len(smtp_server.to(member.email))
        tick(at(TODAY + dt.timedelta(days=offset)))
        if len(smtp_server.to(member.email)) > before:
            sent_on[offset] = subjects(smtp_server, member)[-1]

    assert list(sent_on) == [0, 7, 21]
    assert sent_on[0] == "Welkom bij Bibliotheek Gent, Lotte!"
    enrolment = Enrolment.objects.get(member=member, journey__key="welcome")
    assert enrolment.status == Enrolment.Status.COMPLETED


def test_mail_one_asks_for_an_online_profile_only_from_members_without_one(library, smtp_server):
    without = MemberFactory(library=library, registered_on=TODAY, has_online_profile=False)
    with_profile = MemberFactory(library=library, registered_on=TODAY, has_online_profile=True)

    tick(at(TODAY))

    [mail_without] = smtp_server.to(without.email)
    [mail_with] = smtp_server.to(with_profile.email)
    assert "Maak mijn profiel aan" in mail_without.get_body(("plain",)).get_content()
    assert "Maak mijn profiel aan" not in mail_with.get_body(("plain",)).get_content()
    assert "Maak je profiel aan" not in mail_with.get_body(("html",)).get_content()


def test_members_who_registered_long_ago_get_no_welcome(library, smtp_server):
    MemberFactory(library=library, registered_on=TODAY - dt.timedelta(days=15))

    tick(at(TODAY))

    assert smtp_server.messages == []


def test_unsubscribing_after_mail_one_stops_mails_two_and_three(library, smtp_server, client):
    member = MemberFactory(library=library, registered_on=TODAY)
    tick(at(TODAY))
    [welcome] = smtp_server.to(member.email)
    # The header may offer a mailto too (RFC 2369); the one-click link is the https one.
    [unsubscribe_url] = re.findall(r"<(https://[^>]+)>", welcome["List-Unsubscribe"])

    response = client.post(unsubscribe_url.removeprefix("https://mail.example-network.be"))
    assert response.status_code == 200

    for offset in range(1, 30):
        tick(at(TODAY + dt.timedelta(days=offset)))
    assert len(smtp_server.to(member.email)) == 1
    enrolment = Enrolment.objects.get(member=member, journey__key="welcome")
    assert enrolment.exit_reason == Enrolment.ExitReason.LEFT_LIST


def test_a_late_scheduler_keeps_the_spacing_between_mails(library, smtp_server):
    member = MemberFactory(library=library, registered_on=TODAY)
    tick(at(TODAY))
    tick(at(TODAY + dt.timedelta(days=25)))  # the scheduler did not run for weeks
    tick(at(TODAY + dt.timedelta(days=26)))

    def days_queued_after_registration():
        messages = Message.objects.filter(enrolment__member=member).order_by("step__position")
        return [(m.due_on - TODAY).days for m in messages]

    assert days_queued_after_registration() == [0, 25]
    tick(at(TODAY + dt.timedelta(days=38)))
    assert days_queued_after_registration() == [0, 25]
    tick(at(TODAY + dt.timedelta(days=39)))  # mail 3 keeps its 14 days after mail 2
    assert days_queued_after_registration() == [0, 25, 39]
