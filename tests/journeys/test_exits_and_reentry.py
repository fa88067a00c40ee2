"""Who leaves a journey (and why), and when a member who finished may enter it again."""

import datetime as dt

import pytest

from patronflow.journeys.models import Enrolment
from patronflow.mail.models import Message
from patronflow.mail.outbox import exit_enrolments
from patronflow.operations.tick import tick
from tests.factories import (
    TODAY,
    EnrolmentFactory,
    JourneyFactory,
    LoanFactory,
    MemberFactory,
    at,
)
from tests.journeys.helpers import addresses, install, only, step, subjects_to

LONG_AGO = TODAY - dt.timedelta(days=400)
DORMANT = {"inactive_for_days": 365}
TWO_MAILS = [step("Mail 1", 0), step("Mail 2", 2)]


def day(offset: int) -> dt.date:
    return TODAY + dt.timedelta(days=offset)


def run(first: int, last: int) -> None:
    for offset in range(first, last + 1):
        tick(at(day(offset)))


def dormant(library, **fields):
    return MemberFactory(library=library, last_activity_on=LONG_AGO, **fields)


def exit_of(member) -> tuple[str, str]:
    enrolment = Enrolment.objects.get(member=member)
    return enrolment.status, enrolment.exit_reason


@pytest.mark.parametrize("listed", [True, False], ids=["came_back listed", "not listed"])
def test_a_member_who_visits_or_borrows_after_entering_leaves_when_listed(
    library, smtp_server, listed
):
    only(library)
    install(library, steps=TWO_MAILS, entry=DORMANT, exit_when=["came_back"] if listed else [])
    visitor, borrower, away = dormant(library), dormant(library), dormant(library)
    run(0, 0)
    visitor.last_activity_on = day(1)
    visitor.save()
    LoanFactory(member=borrower, loaned_on=day(1))

    run(1, 3)

    assert subjects_to(smtp_server, away.email) == ["Mail 1", "Mail 2"]
    if listed:
        for member in (visitor, borrower):
            assert subjects_to(smtp_server, member.email) == ["Mail 1"]
            assert exit_of(member) == (Enrolment.Status.EXITED, Enrolment.ExitReason.CAME_BACK)
    else:
        assert subjects_to(smtp_server, visitor.email) == ["Mail 1", "Mail 2"]
        assert exit_of(borrower) == (Enrolment.Status.COMPLETED, "")


def test_a_member_who_comes_back_while_a_mail_waits_for_the_window_does_not_get_it(
    library, smtp_server
):
    only(library)
    install(library, steps=TWO_MAILS, entry=DORMANT, exit_when=["came_back"])
    sunday = day(6)
    member = dormant(library)
    tick(at(sunday))  # queued; no sending on Sunday
    LoanFactory(member=member, loaned_on=sunday + dt.timedelta(days=1))

    tick(at(sunday + dt.timedelta(days=1)))

    assert smtp_server.messages == []
    assert exit_of(member) == (Enrolment.Status.EXITED, Enrolment.ExitReason.CAME_BACK)
    assert Message.objects.get().status == Message.Status.SUPPRESSED


def test_a_member_who_creates_the_online_profile_leaves_when_listed(library, smtp_server):
    only(library)
    install(library, steps=TWO_MAILS, exit_when=["online_profile"])
    member = MemberFactory(library=library)
    run(0, 0)
    member.has_online_profile = True
    member.save()

    run(1, 3)

    assert subjects_to(smtp_server, member.email) == ["Mail 1"]
    assert exit_of(member) == (Enrolment.Status.EXITED, Enrolment.ExitReason.ONLINE_PROFILE)


def test_a_member_whose_current_address_bounced_leaves_when_listed(library, smtp_server):
    only(library)
    install(library, steps=TWO_MAILS, exit_when=["bounced"])
    bouncing = MemberFactory(library=library)
    moved = MemberFactory(library=library)
    for member in (bouncing, moved):
        smtp_server.reject(member.email, "550 5.1.1 No such user")
    run(0, 0)
    moved.email = "nieuw.adres@example.org"  # the next import brings a new address
    moved.save()

    run(1, 3)

    assert addresses(smtp_server) == ["nieuw.adres@example.org"]
    assert exit_of(bouncing) == (Enrolment.Status.EXITED, Enrolment.ExitReason.BOUNCED)
    assert exit_of(moved) == (Enrolment.Status.COMPLETED, "")


def test_a_temporary_failure_is_no_bounce(library, smtp_server):
    only(library)
    install(library, steps=TWO_MAILS, exit_when=["bounced"])
    member = MemberFactory(library=library)
    smtp_server.reject(member.email, "451 4.3.0 Try again later")
    run(0, 0)
    smtp_server.accept(member.email)

    run(1, 3)

    assert subjects_to(smtp_server, member.email) == ["Mail 1", "Mail 2"]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"unsubscribed_at": dt.datetime(2026, 6, 2, tzinfo=dt.UTC)}, "unsubscribed"),
        ({"membership_ends_on": day(1)}, "membership_ended"),
        ({"birth_date": dt.date(2011, 1, 1)}, "ineligible"),  # the import corrected it: 15
        ({"email": ""}, "ineligible"),
    ],
)
def test_members_who_may_no_longer_be_mailed_always_leave(library, smtp_server, change, reason):
    only(library)
    install(library, steps=TWO_MAILS, exit_when=[])
    member = MemberFactory(library=library)
    run(0, 0)
    for name, value in change.items():
        setattr(member, name, value)
    member.save()

    run(1, 3)

    assert len(smtp_server.messages) == 1
    assert exit_of(member) == (Enrolment.Status.EXITED, reason)


def finish_dormant_journey(library, smtp_server, member):
    """The member gets the one dormant mail on day 0; the next tick completes the journey."""
    run(0, 1)
    enrolment = Enrolment.objects.get(member=member)
    assert enrolment.status == Enrolment.Status.COMPLETED
    assert len(smtp_server.to(member.email)) == 1
    return enrolment.ended_on


def test_a_dormant_member_may_enter_again_only_n_days_after_the_end(library, smtp_server):
    only(library, "dormant")  # reentry_after_days: 365
    member = dormant(library)
    ended_on = finish_dormant_journey(library, smtp_server, member)

    tick(at(ended_on + dt.timedelta(days=364)))
    assert Enrolment.objects.filter(member=member).count() == 1

    tick(at(ended_on + dt.timedelta(days=365)))
    assert Enrolment.objects.filter(member=member).count() == 2
    assert len(smtp_server.to(member.email)) == 2


def test_a_journey_without_reentry_is_entered_once_ever(library, smtp_server):
    only(library)
    install(library, entry=DORMANT, reentry_after_days=None)
    member = dormant(library)
    ended_on = finish_dormant_journey(library, smtp_server, member)

    tick(at(ended_on + dt.timedelta(days=365 * 3)))

    assert Enrolment.objects.filter(member=member).count() == 1
    assert len(smtp_server.to(member.email)) == 1


def test_a_member_who_left_may_reenter_after_n_days_too(library, smtp_server):
    only(library)
    install(library, steps=TWO_MAILS, entry=DORMANT, exit_when=["came_back"], reentry_after_days=30)
    member = dormant(library)
    run(0, 0)
    LoanFactory(member=member, loaned_on=day(1))
    run(1, 1)
    assert exit_of(member) == (Enrolment.Status.EXITED, Enrolment.ExitReason.CAME_BACK)

    # A year on they are dormant again; they may re-enter because the exit is long past.
    tick(at(day(1) + dt.timedelta(days=372)))

    assert Enrolment.objects.filter(member=member, status="active").count() == 1


def test_unsubscribing_ends_every_running_journey_of_the_member(db):
    member = MemberFactory()
    first = EnrolmentFactory(member=member, journey=JourneyFactory(library=member.library))
    second = EnrolmentFactory(member=member, journey=JourneyFactory(library=member.library))
    finished = EnrolmentFactory(
        member=member, journey=JourneyFactory(library=member.library), status="completed"
    )
    other = EnrolmentFactory(journey=first.journey)

    assert exit_enrolments(member, Enrolment.ExitReason.UNSUBSCRIBED, TODAY) == 2

    for enrolment in (first, second, finished, other):
        enrolment.refresh_from_db()
    assert {first.exit_reason, second.exit_reason} == {"unsubscribed"}
    assert (finished.status, other.status) == ("completed", "active")
