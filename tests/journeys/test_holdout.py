"""The control group: a stable share of entrants is enrolled and walks the journey unmailed."""

import datetime as dt
import math
import re

from django.core.management import call_command

from patronflow.journeys.models import Enrolment, Journey, Version
from patronflow.journeys.services import enrol_eligible, is_held_out
from patronflow.mail.models import Message
from patronflow.members.models import Member
from patronflow.operations.tick import tick
from tests.factories import TODAY, MemberFactory, at
from tests.journeys.helpers import addresses, only

# Drawn once and written down: the draw must give these on every run, machine and database.
HELD_OUT_OF_THE_FIRST_HUNDRED = ["M00008", "M00011", "M00047", "M00050", "M00056", "M00087"]


def new_members(library, count: int) -> list[Member]:
    """Many members who registered today, without a factory call (and a query) each."""
    return Member.objects.bulk_create(
        Member(
            library=library,
            external_id=f"M{n:05d}",
            first_name="Lid",
            email=f"m{n:05d}@example.org",
            birth_date=dt.date(1980, 5, 17),
            registered_on=TODAY,
        )
        for n in range(count)
    )


def welcome_with_holdout(library, percent: int = 10) -> Journey:
    Version.objects.filter(journey__library=library, journey__key="welcome").update(
        holdout_percent=percent
    )
    only(library, "welcome")
    return library.journeys.get(key="welcome")


def test_the_draw_gives_the_same_members_everywhere():
    drawn = [f"M{n:05d}" for n in range(100) if is_held_out("gent", "welcome", f"M{n:05d}", 10)]

    assert drawn == HELD_OUT_OF_THE_FIRST_HUNDRED
    # Another library or journey draws its own group; no holdout means nobody is held out.
    assert [is_held_out("brugge", "welcome", m, 10) for m in drawn] != [True] * len(drawn)
    assert not any(is_held_out("gent", "welcome", m, 0) for m in drawn)
    assert all(is_held_out("gent", "welcome", m, 100) for m in ("M1", "M2", "x"))


def test_ten_percent_of_ten_thousand_entrants_are_held_out_and_drawn_again_alike(library):
    journey = welcome_with_holdout(library, 10)
    new_members(library, 10_000)

    entered, held_out = enrol_eligible(journey, at(TODAY))

    assert entered == 10_000
    expected, sigma = 1_000, math.sqrt(10_000 * 0.1 * 0.9)
    assert abs(held_out - expected) <= 3 * sigma
    first_draw = set(
        Enrolment.objects.filter(held_out=True).values_list("member__external_id", flat=True)
    )
    assert len(first_draw) == held_out
    assert set(HELD_OUT_OF_THE_FIRST_HUNDRED) <= first_draw

    Enrolment.objects.all().delete()  # as if it ran again on a fresh database
    enrol_eligible(journey, at(TODAY))

    second_draw = set(
        Enrolment.objects.filter(held_out=True).values_list("member__external_id", flat=True)
    )
    assert second_draw == first_draw


def test_held_out_members_walk_every_step_but_get_no_mail(library, smtp_server):
    welcome_with_holdout(library, 10)
    members = new_members(library, 100)
    held_out = {m.email for m in members if m.external_id in HELD_OUT_OF_THE_FIRST_HUNDRED}

    for offset in range(0, 23):
        tick(at(TODAY + dt.timedelta(days=offset)))

    received = addresses(smtp_server)
    assert not held_out & set(received)
    assert sorted(received) == sorted(3 * [m.email for m in members if m.email not in held_out])
    enrolments = Enrolment.objects.filter(journey__key="welcome")
    assert enrolments.filter(held_out=True).count() == len(held_out)
    # The control group finishes with the others: it walked the same three steps, unmailed.
    assert set(enrolments.values_list("status", flat=True)) == {Enrolment.Status.COMPLETED}
    assert not Message.objects.filter(enrolment__held_out=True).exists()


def test_tick_prints_how_many_entrants_were_held_out(library, smtp_server, capsys):
    welcome_with_holdout(library, 10)
    for external_id in ["M00008", "M00011", "M00001", "M00002", "M00003"]:
        MemberFactory(library=library, external_id=external_id, registered_on=TODAY)

    call_command("tick", "--now", at(TODAY).isoformat())

    output = capsys.readouterr().out
    [row] = [line for line in output.splitlines() if "welcome" in line]
    assert re.search(r"welcome\s*│\s*5\s*│\s*2\s*│", row), row
    assert "Sent 3," in output
    assert len(smtp_server.messages) == 3
