"""The reports read daily aggregates (reports/rollup.py): on small random networks their
figures equal those counted from the raw rows, and erasing an ex-member leaves the figures of
closed days as they were."""

import datetime as dt
import random

import pytest

from patronflow.journeys.definitions import install_standard_journeys
from patronflow.journeys.models import Journey
from patronflow.mail.models import Message
from patronflow.members.models import Member
from patronflow.operations.erasure import remove_members
from patronflow.reports.benchmark import DORMANT, RETURN_WINDOW, benchmark_counts
from patronflow.reports.benchmark import members_from_mails as members_counted_from_mails
from patronflow.reports.effect import JourneyEffect, effect_of, headline_of
from patronflow.reports.metrics import campaign_metrics, campaign_metrics_from_mails
from patronflow.reports.models import Rollup
from patronflow.reports.outcomes import effect_by_journey, outcomes_of, wait_for
from patronflow.reports.rollup import LIVE_DAYS, refresh
from patronflow.tracking.models import SHOWS_OPENED, Event, Feedback
from tests.factories import (
    EnrolmentFactory,
    LibraryFactory,
    LoanFactory,
    MessageFactory,
    VisitFactory,
    at,
)

TODAY = dt.date(2026, 9, 30)
FROZEN = TODAY - dt.timedelta(days=LIVE_DAYS)  # the first day a refresh on TODAY recomputes
PERIODS = [
    (None, None),
    (dt.date(2026, 6, 1), None),  # since a month's first day, as "this month" and "quarter"
    (dt.date(2026, 5, 1), dt.date(2026, 7, 31)),  # whole months
    (dt.date(2026, 7, 1), TODAY),
    (dt.date(2026, 5, 13), dt.date(2026, 8, 20)),  # a custom period that cuts months
]


@pytest.fixture(autouse=True)
def _reads_the_aggregates(_reports_exact, settings):
    """Reports read what the last refresh left, as they do in production."""
    settings.ROLLUP_ON_READ = False


def random_network(seed: int) -> list:
    """Two libraries whose dormant and welcome journeys took in members over eight months,
    some held out; mails sent at any hour (some without a sending moment, as a sender that
    stopped leaves them), opened, clicked, voted on; loans and visits before and after."""
    rng = random.Random(seed)
    libraries = [LibraryFactory(code=f"net{seed}-{n}") for n in range(2)]
    for library in libraries:
        journeys = install_standard_journeys(library)
        for journey in journeys:
            journey.versions.update(holdout_percent=20)
        for journey in [j for j in journeys if j.key in ("dormant", "welcome")]:
            step = journey.current_version.steps.get(position=1)
            variant = step.variants.get(segment="")
            for _ in range(rng.randint(25, 40)):
                entered = TODAY - dt.timedelta(days=rng.randint(3, 240))
                enrolment = EnrolmentFactory(
                    journey=journey,
                    entered_on=entered,
                    held_out=rng.random() < 0.3,
                    member__last_activity_on=entered + dt.timedelta(days=rng.randint(-300, 60)),
                    member__has_online_profile=rng.random() < 0.4,
                )
                member = enrolment.member
                for _ in range(rng.randint(0, 4)):
                    day = entered + dt.timedelta(days=rng.randint(-120, 100))
                    LoanFactory(member=member, loaned_on=min(day, TODAY))
                for day in {rng.randint(-100, 100) for _ in range(rng.randint(0, 3))}:
                    VisitFactory(member=member, visited_on=entered + dt.timedelta(days=day))
                if enrolment.held_out or rng.random() < 0.1:
                    continue
                sent_on = entered + dt.timedelta(days=step.wait_days + rng.randint(0, 2))
                undated = rng.random() < 0.05
                message = MessageFactory(
                    enrolment=enrolment,
                    step=step,
                    variant=variant,
                    status=Message.Status.UNCERTAIN if undated else Message.Status.SENT,
                    sent_at=None if undated else at(min(sent_on, TODAY), rng.choice((0, 10, 23))),
                )
                for kind, share in ((Event.Kind.OPEN, 0.5), (Event.Kind.CLICK, 0.3)):
                    if rng.random() < share:
                        machine = rng.choice(("", "", "mail_proxy"))
                        Event.objects.create(
                            message=message, kind=kind, link_index=0, machine=machine
                        )
                if rng.random() < 0.1:
                    Event.objects.create(message=message, kind=Event.Kind.UNSUBSCRIBE)
                if rng.random() < 0.2:
                    vote = rng.choice((Feedback.Vote.UP, Feedback.Vote.DOWN))
                    Feedback.objects.create(message=message, vote=vote)
    return libraries


def effects_from_enrolments(library, as_of, *, since=None, until=None) -> list[JourneyEffect]:
    """effect_by_journey's figures worked out from every enrolment (the raw computation)."""
    last_start = as_of if until is None else min(as_of, until)
    effects = []
    for journey in Journey.objects.filter(library=library).order_by("key"):
        outcomes = [
            o
            for o in outcomes_of(journey)
            if o.start <= last_start and (since is None or o.start >= since)
        ]
        version = journey.current_version
        profiles = "registered_within_days" in version.entry
        comparisons = effect_of(outcomes, as_of, profiles=profiles)
        effects.append(
            JourneyEffect(
                library=library.code,
                journey=journey.key,
                journey_name=journey.name,
                kind=journey.kind,
                enrolments=len(outcomes),
                held_out=sum(o.held_out for o in outcomes),
                holdout_percent=version.holdout_percent,
                comparisons=comparisons,
                wait=wait_for(
                    sorted(o.start for o in outcomes if not o.held_out),
                    sorted(o.start for o in outcomes if o.held_out),
                    headline_of(comparisons),
                    version.holdout_percent,
                    as_of,
                    closed=last_start < as_of,
                ),
            )
        )
    return effects


def benchmark_from_mails(as_of, *, since=None, until=None) -> dict[str, dict[str, int]]:
    """benchmark_counts worked out from every mail and enrolment (the raw computation)."""
    members = members_counted_from_mails(since=since, until=until)
    table = {}
    for library in LibraryFactory._meta.model.objects.order_by("code"):
        row = {name: per.get(library.pk, 0) for name, per in members.items()}
        row |= dict.fromkeys(DORMANT, 0)
        for outcome in outcomes_of(library.journeys.get(key="dormant")):
            if outcome.start + dt.timedelta(days=RETURN_WINDOW) > as_of:
                continue
            if since is not None and outcome.start < since:
                continue
            group = "dormant_held_out" if outcome.held_out else "dormant_mailed"
            row[group] += 1
            row[f"{group}_back"] += (
                outcome.returned_after is not None and outcome.returned_after <= RETURN_WINDOW
            )
        table[library.code] = row
    return table


def figures(libraries, as_of=TODAY) -> tuple:
    """Every figure the aggregates give, over each period."""
    return tuple(
        (
            [effect_by_journey(library, as_of, since=since, until=until) for library in libraries],
            campaign_metrics(by_week=True, since=since, until=until),
            campaign_metrics(libraries[0], since=since, until=until),
            benchmark_counts(as_of, since=since, until=until),
        )
        for since, until in PERIODS
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_figures_from_the_daily_aggregates_equal_those_counted_from_the_raw_rows(db, seed):
    libraries = random_network(seed)
    refresh(today=TODAY)

    for as_of in (TODAY, TODAY - dt.timedelta(days=45)):
        for since, until in PERIODS:
            for library in libraries:
                assert effect_by_journey(
                    library, as_of, since=since, until=until
                ) == effects_from_enrolments(library, as_of, since=since, until=until)
            assert benchmark_counts(as_of, since=since, until=until) == benchmark_from_mails(
                as_of, since=since, until=until
            )
    for since, until in PERIODS:
        for by_week in (False, True):
            assert campaign_metrics(
                by_week=by_week, since=since, until=until
            ) == campaign_metrics_from_mails(by_week=by_week, since=since, until=until)


def test_a_network_with_a_member_in_every_group_is_a_real_test(db):
    """The random networks hold what the comparisons are about: members back and not, opens
    by members and by machines, votes and mails without a sending moment."""
    random_network(1)
    refresh(today=TODAY)
    effects = effect_by_journey(as_of=TODAY)
    dormant = [e for e in effects if e.journey == "dormant"]
    assert all(e.held_out and e.enrolments > e.held_out for e in dormant)
    assert {c.mailed_count > 0 for e in dormant for c in e.comparisons} == {True}
    assert Event.objects.filter(kind__in=SHOWS_OPENED).exclude(machine="").exists()
    assert Message.objects.filter(sent_at=None).exists()
    assert Feedback.objects.exists()


def test_a_refresh_recomputes_only_the_days_still_open(db):
    """An open arriving for a mail of a closed day (sent more than LIVE_DAYS ago) no longer
    counts; one for a mail of an open day does, from the next refresh on."""
    library = LibraryFactory(code="gent")
    install_standard_journeys(library)
    journey = library.journeys.get(key="dormant")
    variant = journey.current_version.steps.get(position=1).variants.get(segment="")
    old, new = (
        MessageFactory(
            enrolment__journey=journey, step=variant.step, variant=variant, sent_at=at(day)
        )
        for day in (FROZEN - dt.timedelta(days=1), FROZEN)
    )
    refresh(today=TODAY)
    for message in (old, new):
        Event.objects.create(message=message, kind=Event.Kind.OPEN)

    refresh(today=TODAY)

    assert Rollup.objects.get().live_from == FROZEN == dt.date(2026, 6, 18)
    opened = {row.week: row.opened for row in campaign_metrics(library, by_week=True)}
    assert opened == {dt.date(2026, 6, 15): 1}  # both in the week of Monday 15 June
    opened = {row.week: row.opened for row in campaign_metrics(library, since=FROZEN)}
    assert opened == {None: 1}


def test_erasing_an_ex_member_changes_no_figure_of_a_closed_day(db):
    libraries = random_network(5)
    refresh(today=TODAY)
    before = figures(libraries)
    ex_member = (
        Member.objects.filter(
            enrolments__journey__key="dormant",
            enrolments__entered_on__lt=FROZEN - dt.timedelta(days=30),
            enrolments__messages__sent_at__lt=at(FROZEN - dt.timedelta(days=30)),
        )
        .exclude(enrolments__entered_on__gte=FROZEN - dt.timedelta(days=30))
        .first()
    )

    remove_members([ex_member.pk])
    refresh(today=TODAY)

    assert figures(libraries) == before
    # Counted from the rows that are left the member is gone: the aggregates kept them.
    assert campaign_metrics_from_mails(by_week=True) != campaign_metrics(by_week=True)


def test_erasing_a_member_of_an_open_day_leaves_the_figures_equal_to_the_raw_ones(db):
    libraries = random_network(6)
    refresh(today=TODAY)
    member = (
        Member.objects.filter(
            enrolments__journey__key="dormant",
            enrolments__held_out=False,
            enrolments__messages__sent_at__gte=at(FROZEN + dt.timedelta(days=10)),
        )
        .exclude(enrolments__entered_on__lt=FROZEN)
        .first()
    )
    mails = campaign_metrics(member.library)

    remove_members([member.pk])
    refresh(today=TODAY)

    for by_week in (False, True):
        assert campaign_metrics(by_week=by_week) == campaign_metrics_from_mails(by_week=by_week)
    assert sum(row.sent for row in campaign_metrics(member.library)) == sum(
        row.sent for row in mails
    )
    for library in libraries:
        assert effect_by_journey(library, TODAY) == effects_from_enrolments(library, TODAY)


def test_reports_show_what_the_last_refresh_counted(db):
    """Between two refreshes a report shows the figures of the last one: a mail sent since
    counts from the next refresh on."""
    library = LibraryFactory(code="gent")
    install_standard_journeys(library)
    journey = library.journeys.get(key="dormant")
    variant = journey.current_version.steps.get(position=1).variants.get(segment="")
    MessageFactory(
        enrolment__journey=journey, step=variant.step, variant=variant, sent_at=at(TODAY)
    )
    refresh(today=TODAY)
    MessageFactory(
        enrolment__journey=journey, step=variant.step, variant=variant, sent_at=at(TODAY)
    )

    assert [row.sent for row in campaign_metrics(library)] == [1]
    refresh(today=TODAY)
    assert [row.sent for row in campaign_metrics(library)] == [2]


def test_before_any_refresh_a_report_counts_from_the_raw_rows(db):
    library = LibraryFactory(code="gent")
    install_standard_journeys(library)
    journey = library.journeys.get(key="dormant")
    variant = journey.current_version.steps.get(position=1).variants.get(segment="")
    MessageFactory(
        enrolment__journey=journey, step=variant.step, variant=variant, sent_at=at(TODAY)
    )

    assert [row.sent for row in campaign_metrics(library)] == [1]
    assert benchmark_counts(TODAY)["gent"]["mailed"] == 1


def test_a_member_mailed_in_two_months_is_one_member_over_both(db):
    library = LibraryFactory(code="gent")
    install_standard_journeys(library)
    journey = library.journeys.get(key="welcome")
    steps = journey.current_version.steps.order_by("position")
    first, second = (step.variants.get(segment="") for step in steps[:2])
    both = EnrolmentFactory(journey=journey)
    for variant, day in ((first, dt.date(2026, 5, 20)), (second, dt.date(2026, 6, 3))):
        MessageFactory(enrolment=both, step=variant.step, variant=variant, sent_at=at(day))
    MessageFactory(
        enrolment__journey=journey, step=first.step, variant=first, sent_at=at(dt.date(2026, 6, 9))
    )
    refresh(today=TODAY)

    def mailed(since, until):
        return benchmark_counts(TODAY, since=since, until=until)["gent"]["mailed"]

    assert mailed(dt.date(2026, 5, 1), dt.date(2026, 6, 30)) == 2
    assert mailed(dt.date(2026, 5, 1), dt.date(2026, 5, 31)) == 1
    assert mailed(dt.date(2026, 6, 1), None) == 2
    assert mailed(None, None) == 2


def test_a_visit_brings_a_member_back_and_activity_before_entering_is_counted(db):
    library = LibraryFactory(code="gent")
    install_standard_journeys(library)
    journey = library.journeys.get(key="dormant")
    start = dt.date(2026, 5, 4)
    enrolment = EnrolmentFactory(
        journey=journey, held_out=True, entered_on=start, member__last_activity_on=None
    )
    member = enrolment.member
    for days in (-100, -90, -20):  # the first lies beyond the 90 days before entering
        LoanFactory(member=member, loaned_on=start + dt.timedelta(days=days))
    VisitFactory(member=member, visited_on=start - dt.timedelta(days=3))
    VisitFactory(member=member, visited_on=start + dt.timedelta(days=12))

    [outcome] = outcomes_of(journey)

    assert outcome.start == start  # the dormant mail is due on entering
    assert (outcome.before, outcome.returned_after, outcome.loan_days) == (3, 12, ())
