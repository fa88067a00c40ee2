"""The dry run: what a journey would do day by day — the very numbers tick then really does,
while it sends nothing and changes nothing itself."""

import datetime as dt
from collections import Counter

import pytest
from django.core.management import CommandError, call_command

from patronflow.journeys.definitions import install_journey, save_segment
from patronflow.journeys.models import Enrolment, Journey, Version
from patronflow.mail.models import Message
from patronflow.members.models import Item
from patronflow.operations.dry_run import simulate, variant_label
from patronflow.operations.lifecycle import change_status
from patronflow.operations.tick import tick
from patronflow.profiles.models import ReadingProfile
from tests.factories import TODAY, ItemFactory, LoanFactory, MemberFactory, at
from tests.journeys.helpers import install, only, step

FIRST, LAST = TODAY, TODAY + dt.timedelta(days=9)  # Monday to the Wednesday after: one Sunday
LONG_AGO = TODAY - dt.timedelta(days=500)


def day(offset: int) -> dt.date:
    return TODAY + dt.timedelta(days=offset)


def a_library_month(library) -> None:
    """New members arriving every day (one on Sunday), dormant members of several reading
    segments, a control group of 10%, and two members whose membership ends midway."""
    Version.objects.filter(journey__library=library).update(holdout_percent=10)
    for n in range(40):
        MemberFactory(library=library, registered_on=day(n % 8 - 1))
    for _ in range(2):
        MemberFactory(library=library, registered_on=TODAY, membership_ends_on=day(3))
    ebook = ItemFactory(library=library, material=Item.Material.EBOOK, is_fiction=True)
    for n in range(30):
        member = MemberFactory(library=library, last_activity_on=LONG_AGO)
        if n % 3 == 0:
            for _ in range(3):
                LoanFactory(member=member, item=ebook, loaned_on=LONG_AGO)


def snapshot() -> dict:
    return {
        "enrolments": list(Enrolment.objects.order_by("pk").values()),
        "messages": Message.objects.count(),
        "profiles": list(ReadingProfile.objects.order_by("pk").values("pk", "segment")),
        "journeys": list(Journey.objects.order_by("pk").values("pk", "status")),
    }


def sent_on(journey: Journey, when: dt.date) -> Counter:
    sent = Message.objects.filter(
        enrolment__journey=journey, status=Message.Status.SENT, sent_at__date=when
    )
    return Counter(
        variant_label(position, segment)
        for position, segment in sent.values_list("step__position", "variant__segment")
    )


def test_the_dry_run_shows_what_tick_then_does_day_by_day(library, smtp_server):
    a_library_month(library)
    journeys = list(library.journeys.order_by("key"))
    before = snapshot()

    simulated = {journey.key: simulate(journey, FIRST, LAST) for journey in journeys}

    assert snapshot() == before
    assert smtp_server.messages == []
    for offset in range((LAST - FIRST).days + 1):
        received_before = len(smtp_server.messages)
        summary = tick(at(day(offset)))
        progress = {p.journey.key: p for p in summary.journeys}
        mails_today = 0
        for journey in journeys:
            planned, done = simulated[journey.key][offset], progress[journey.key]
            assert planned.day == day(offset)
            actual = {
                "entered": done.entered,
                "held out": done.held_out,
                "mails": sent_on(journey, day(offset)),
                "left": Counter(done.exited),
                "completed": done.completed,
            }
            expected = {
                "entered": planned.entered,
                "held out": planned.held_out,
                "mails": +planned.mails,
                "left": +planned.exited,
                "completed": planned.completed,
            }
            assert actual == expected, f"{journey.key} on {day(offset)}"
            mails_today += sum(planned.mails.values())
        assert len(smtp_server.messages) - received_before == mails_today
    # The period really held what the comparison is meant to cover.
    totals = {
        key: (
            sum(d.entered for d in days),
            sum(d.held_out for d in days),
            sum(sum(d.mails.values()) for d in days),
            sum(sum(d.exited.values()) for d in days),
        )
        for key, days in simulated.items()
    }
    assert all(entered and held_out and mails for entered, held_out, mails, _ in totals.values())
    assert totals["welcome"][3] == 2
    assert simulated["welcome"][6].mails == Counter()  # Sunday: nothing leaves
    assert simulated["welcome"][6].waiting > 0
    assert {label for d in simulated["dormant"] for label in d.mails} >= {
        "1/default",
        "1/fiction_digital",
    }


def test_a_draft_journey_can_be_tried_without_a_trace(library, smtp_server):
    only(library)
    journey = install(library, steps=[step("Mail 1", 0), step("Mail 2", 2)], status="draft").journey
    for _ in range(3):
        MemberFactory(library=library)
    before = snapshot()

    days = simulate(journey, FIRST, FIRST + dt.timedelta(days=3))

    assert [d.entered for d in days] == [3, 0, 0, 0]
    assert [dict(d.mails) for d in days] == [{"1/default": 3}, {}, {"2/default": 3}, {}]
    assert [d.completed for d in days] == [0, 0, 0, 3]
    assert snapshot() == before
    journey.refresh_from_db()
    assert journey.status == Journey.Status.DRAFT
    assert smtp_server.messages == []


def test_a_paused_journey_is_simulated_as_if_resumed(library, smtp_server):
    only(library)
    journey = install(library, steps=[step("Mail 1", 0), step("Mail 2", 2)]).journey
    member = MemberFactory(library=library, registered_on=day(6))
    tick(at(day(6)))  # Sunday: mail 1 waits for Monday
    change_status(journey, "paused", day(6))

    days = simulate(journey, day(7), day(9))

    assert [dict(d.mails) for d in days] == [{"1/default": 1}, {}, {"2/default": 1}]
    assert smtp_server.messages == []
    journey.refresh_from_db()
    assert journey.status == Journey.Status.PAUSED
    tick(at(day(7)))
    assert smtp_server.to(member.email) == []


def test_the_simulate_command_prints_a_table_and_promises_nothing_changed(
    library, smtp_server, capsys
):
    for offset in range(3):
        MemberFactory(library=library, registered_on=day(offset))

    call_command(
        "simulate", "welcome", "--library", "gent", "--from", str(FIRST), "--to", str(day(2))
    )

    output = capsys.readouterr().out
    rows = {
        cells[0]: cells[1:]
        for line in output.splitlines()
        if line.startswith("│")
        for cells in [[c.strip() for c in line.strip("│").split("│")]]
    }
    assert "mail 1/default" in output
    assert rows["2026-06-01"][:3] == ["1", "0", "1"]
    assert rows["total"][:3] == ["3", "0", "3"]
    assert output.rstrip().endswith("Nothing was sent and nothing was changed.")
    assert not Enrolment.objects.exists()
    assert smtp_server.messages == []


def test_the_simulate_command_refuses_a_period_that_runs_backwards(library):
    with pytest.raises(CommandError, match="--to comes before --from"):
        call_command(
            "simulate", "welcome", "--library", "gent", "--from", str(day(2)), "--to", str(FIRST)
        )
    with pytest.raises(CommandError, match="'tomorrow' is not an ISO date"):
        call_command("simulate", "welcome", "--library", "gent", "--from", "tomorrow", "--to", "x")


def test_a_broadcast_is_simulated_on_its_day_and_stays_unsent(library, smtp_server):
    only(library)
    save_segment(library, "lezers", "Lezers", {"active_within_days": 30})
    broadcast = install_journey(
        library,
        {
            "key": "boekenweek",
            "name": "Boekenweek",
            "kind": "broadcast",
            "status": "draft",
            "send_at": at(day(2), 9).isoformat(),
            "entry": {"segment": "lezers"},
            "steps": [step("Boekenweek", 0)],
        },
    ).journey
    for _ in range(4):
        MemberFactory(library=library, last_activity_on=TODAY)

    days = simulate(broadcast, FIRST, day(4))

    assert [d.entered for d in days] == [0, 0, 4, 0, 0]
    assert [sum(d.mails.values()) for d in days] == [0, 0, 4, 0, 0]
    assert Version.objects.get(journey=broadcast).entry_closed_at is None
    assert not Enrolment.objects.exists()
    assert smtp_server.messages == []
