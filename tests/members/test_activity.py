"""The libraries' activity kept as counts: recounted from the raw rows, read per month."""

import datetime as dt
import importlib
import random
from types import SimpleNamespace

from django.apps import apps
from django.core.management import call_command
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from patronflow.members import activity
from patronflow.members.activity import (
    NO_ACTIVITY,
    CountedFrom,
    MonthActivity,
    counted_from,
    daily_activity,
    keeping,
    monthly_activity,
    rebuild,
    recount,
)
from patronflow.members.models import ActivityDay, ActivityMonth, Loan, Member, Visit
from patronflow.operations.erasure import remove_members
from tests.factories import ItemFactory, LibraryFactory, LoanFactory, MemberFactory, VisitFactory
from tests.members.importer import import_rows

MAY, JUNE = dt.date(2026, 5, 1), dt.date(2026, 6, 1)


def test_a_month_sums_its_days_and_counts_each_member_once(db):
    library = LibraryFactory()
    reader, visitor = MemberFactory(library=library), MemberFactory(library=library)
    LoanFactory(member=reader, loaned_on=dt.date(2026, 5, 3))
    LoanFactory(member=reader, loaned_on=dt.date(2026, 5, 3))
    LoanFactory(member=reader, loaned_on=dt.date(2026, 5, 31))
    VisitFactory(member=reader, visited_on=dt.date(2026, 5, 3))
    VisitFactory(member=visitor, visited_on=dt.date(2026, 5, 9), channel=Visit.Channel.DESK)
    VisitFactory(member=visitor, visited_on=dt.date(2026, 6, 1))

    months = monthly_activity(libraries=[library.pk], first=dt.date(2026, 5, 20), last=JUNE)

    assert months == {
        (library.pk, MAY): MonthActivity(loans=3, borrowers=1, visits=2, visitors=2, active=2),
        (library.pk, JUNE): MonthActivity(loans=0, borrowers=0, visits=1, visitors=1, active=1),
    }


def test_a_member_through_the_gate_and_at_the_desk_on_one_day_is_one_visit(db):
    library = LibraryFactory()
    reader, visitor = MemberFactory(library=library), MemberFactory(library=library)
    for channel in (Visit.Channel.GATE, Visit.Channel.DESK, Visit.Channel.CHECKIN):
        VisitFactory(member=reader, visited_on=dt.date(2026, 5, 3), channel=channel)
    VisitFactory(member=visitor, visited_on=dt.date(2026, 5, 3), channel=Visit.Channel.GATE)
    VisitFactory(member=reader, visited_on=dt.date(2026, 5, 4), channel=Visit.Channel.DESK)

    # 3 May: reader (three channels) and visitor are 2 visits; 4 May: reader's 1.
    assert daily_activity(
        library=library.pk, first=dt.date(2026, 5, 3), last=dt.date(2026, 5, 4)
    ) == {dt.date(2026, 5, 3): (0, 2), dt.date(2026, 5, 4): (0, 1)}
    assert monthly_activity(libraries=[library.pk], first=MAY, last=MAY)[
        (library.pk, MAY)
    ] == MonthActivity(loans=0, borrowers=0, visits=3, visitors=2, active=2)

    remove_members([reader.pk])  # erased: their 2 visiting days move into the kept part

    day = ActivityDay.objects.get(library=library, day=dt.date(2026, 5, 3))
    assert (day.visits, day.kept_visits) == (1, 1)
    assert (
        monthly_activity(libraries=[library.pk], first=MAY, last=MAY)[(library.pk, MAY)].visits == 3
    )


def test_a_month_without_activity_reads_as_zero_for_every_library_asked(db):
    one, other = LibraryFactory(), LibraryFactory()

    months = monthly_activity(libraries=[one.pk, other.pk], first=MAY, last=MAY)

    assert months == {
        (one.pk, MAY): MonthActivity(0, 0, 0, 0, 0),
        (other.pk, MAY): MonthActivity(0, 0, 0, 0, 0),
    }


def test_a_recount_drops_rows_that_are_gone_and_leaves_the_kept_part(db):
    library = LibraryFactory()
    loan = LoanFactory(member=MemberFactory(library=library), loaned_on=dt.date(2026, 5, 3))
    ActivityDay.objects.filter(library=library).update(kept_loans=4)
    loan.delete()

    recount(library=library.pk, first=dt.date(2026, 5, 3), last=dt.date(2026, 5, 3))

    day = ActivityDay.objects.get(library=library)
    assert (day.loans, day.kept_loans) == (0, 4)
    assert monthly_activity(libraries=[library.pk], first=MAY, last=MAY)[
        (library.pk, MAY)
    ] == MonthActivity(loans=4, borrowers=0, visits=0, visitors=0, active=0)


def test_what_a_delete_removes_is_kept_and_the_month_reads_the_same(db):
    library = LibraryFactory()
    leaving, staying = MemberFactory(library=library), MemberFactory(library=library)
    LoanFactory(member=leaving, loaned_on=dt.date(2026, 5, 3))
    LoanFactory(member=staying, loaned_on=dt.date(2026, 5, 3))
    VisitFactory(member=leaving, visited_on=dt.date(2026, 5, 4))
    before = monthly_activity(libraries=[library.pk], first=MAY, last=MAY)

    with keeping(library=library.pk, first=dt.date(2026, 5, 3), last=dt.date(2026, 5, 4)):
        Member.objects.filter(pk=leaving.pk).delete()

    assert monthly_activity(libraries=[library.pk], first=MAY, last=MAY) == before
    month = ActivityMonth.objects.get(library=library)
    assert (month.borrowers, month.kept_borrowers) == (1, 1)
    assert (month.visitors, month.kept_visitors, month.active, month.kept_active) == (0, 1, 1, 1)


def raw_months(library_id: int) -> dict[dt.date, MonthActivity]:
    """The months as counted straight from the raw rows, the slow way."""
    months: dict[dt.date, dict] = {}
    for member, day in Loan.objects.filter(library_id=library_id).values_list(
        "member_id", "loaned_on"
    ):
        month = months.setdefault(day.replace(day=1), {"loans": 0, "visits": 0, "b": set()})
        month["loans"] += 1
        month["b"].add(member)
    for member, day in set(
        Visit.objects.filter(library_id=library_id).values_list("member_id", "visited_on")
    ):  # a visit is a member on a day, through however many channels
        month = months.setdefault(day.replace(day=1), {"loans": 0, "visits": 0, "b": set()})
        month["visits"] += 1
        month.setdefault("v", set()).add(member)
    return {
        month: MonthActivity(
            loans=counts["loans"],
            borrowers=len(counts["b"]),
            visits=counts["visits"],
            visitors=len(counts.get("v", set())),
            active=len(counts["b"] | counts.get("v", set())),
        )
        for month, counts in months.items()
    }


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(seed=st.integers(min_value=0, max_value=10_000))
def test_rebuilt_counts_equal_the_raw_rows_on_a_small_random_network(db, seed):
    for model in (Loan, Visit, ActivityDay, ActivityMonth):  # one example's rows, not the last's
        model.objects.all().delete()
    chance = random.Random(seed)
    libraries = [LibraryFactory() for _ in range(2)]
    for library in libraries:
        members = [MemberFactory(library=library) for _ in range(chance.randint(1, 4))]
        for _ in range(chance.randint(0, 12)):
            day = dt.date(2026, 1, 1) + dt.timedelta(days=chance.randint(0, 120))
            Loan.objects.create(
                library=library,
                member=chance.choice(members),
                item=ItemFactory(library=library),
                external_id=f"L{chance.random()}",
                loaned_on=day,
            )
        for member in members:
            day = dt.date(2026, 1, 1) + dt.timedelta(days=chance.randint(0, 120))
            for channel in chance.sample(list(Visit.Channel.values), chance.randint(0, 3)):
                Visit.objects.create(
                    library=library, member=member, visited_on=day, channel=channel
                )

    rebuild()

    for library in libraries:
        counted = monthly_activity(
            libraries=[library.pk], first=dt.date(2026, 1, 1), last=dt.date(2026, 5, 31)
        )
        expected = raw_months(library.pk)
        assert {
            month: figures
            for (_, month), figures in counted.items()
            if figures != MonthActivity(0, 0, 0, 0, 0)
        } == expected


def test_the_rebuild_command_recounts_rows_written_by_other_means(db, capsys):
    library = LibraryFactory()
    member = MemberFactory(library=library)
    Visit.objects.create(library=library, member=member, visited_on=MAY)  # no count yet

    call_command("aggregates", "--rebuild", "--library", library.code)

    assert "Recounted the activity of 1 library" in capsys.readouterr().out
    assert monthly_activity(libraries=[library.pk], first=MAY, last=MAY)[
        (library.pk, MAY)
    ] == MonthActivity(loans=0, borrowers=0, visits=1, visitors=1, active=1)


def expected_months(
    loans: dict[str, tuple[str, dt.date]], visits: set[tuple[str, dt.date, str]]
) -> dict[dt.date, MonthActivity]:
    """The months as counted by hand from every loan (its last state) and visit imported."""
    months: dict[dt.date, tuple[list[int], set, set]] = {}
    for member, day in loans.values():
        counts = months.setdefault(day.replace(day=1), ([0, 0], set(), set()))
        counts[0][0] += 1
        counts[1].add(member)
    for member, day in {(member, day) for member, day, _ in visits}:  # a member's day
        counts = months.setdefault(day.replace(day=1), ([0, 0], set(), set()))
        counts[0][1] += 1
        counts[2].add(member)
    return {
        month: MonthActivity(
            loans=n[0], borrowers=len(b), visits=n[1], visitors=len(v), active=len(b | v)
        )
        for month, (n, b, v) in months.items()
    }


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(seed=st.integers(min_value=0, max_value=100_000))
def test_counts_after_imports_and_an_erasure_equal_every_row_ever_imported(db, seed):
    chance = random.Random(seed)
    library = LibraryFactory()
    ids = [f"M{n}" for n in range(4)]
    for member_id in ids:
        MemberFactory(library=library, external_id=member_id)
    ItemFactory(library=library, external_id="I1")
    loans: dict[str, tuple[str, dt.date]] = {}
    visits: set[tuple[str, dt.date, str]] = set()

    def day() -> dt.date:
        return dt.date(2026, 1, 1) + dt.timedelta(days=chance.randint(0, 90))

    for _ in range(3):  # nightly imports: new loans, loans moved in place, repeated visits
        loan_rows = [
            {"loan_id": f"L{chance.randint(0, 12)}", "member_id": chance.choice(ids),
             "item_id": "I1", "loaned_on": day().isoformat()}
            for _ in range(chance.randint(1, 8))
        ]  # fmt: skip
        visit_rows = [
            {"member_id": chance.choice(ids), "visited_on": day().isoformat(),
             "channel": chance.choice(["gate", "checkin", "desk"])}
            for _ in range(chance.randint(0, 8))
        ]  # fmt: skip
        import_rows(library, "loans", loan_rows, source="loans")
        import_rows(library, "visits", visit_rows, source="visits")
        for row in loan_rows:
            loans[row["loan_id"]] = (row["member_id"], dt.date.fromisoformat(row["loaned_on"]))
        visits |= {
            (row["member_id"], dt.date.fromisoformat(row["visited_on"]), row["channel"])
            for row in visit_rows
        }
    erased = chance.choice(ids)
    remove_members([Member.objects.get(library=library, external_id=erased).pk])
    rebuild(libraries=[library.pk])  # a recount from the rows left keeps the kept part

    counted = monthly_activity(
        libraries=[library.pk], first=dt.date(2026, 1, 1), last=dt.date(2026, 4, 30)
    )
    assert {
        month: figures for (_, month), figures in counted.items() if figures != NO_ACTIVITY
    } == expected_months(loans, visits)
    assert not Loan.objects.filter(member__external_id=erased, library=library).exists()


def test_the_upgrade_counts_the_loans_held_before_the_counts_existed(db):
    upgrade = importlib.import_module("patronflow.members.migrations.0012_count_existing_loans")
    library = LibraryFactory()
    reader, other = MemberFactory(library=library), MemberFactory(library=library)
    for member, day in ((reader, 3), (reader, 3), (other, 20)):
        LoanFactory(member=member, loaned_on=dt.date(2026, 5, day))
    ActivityDay.objects.all().delete()  # as on an installation from before them
    ActivityMonth.objects.all().delete()

    upgrade.count_existing_loans(apps, None)

    assert dict(ActivityDay.objects.values_list("day", "loans")) == {
        dt.date(2026, 5, 3): 2,
        dt.date(2026, 5, 20): 1,
    }
    assert monthly_activity(libraries=[library.pk], first=MAY, last=MAY)[
        (library.pk, MAY)
    ] == MonthActivity(loans=3, borrowers=2, visits=0, visitors=0, active=2)


def test_the_upgrade_leaves_a_library_that_has_counts_already_as_it_is(db):
    upgrade = importlib.import_module("patronflow.members.migrations.0012_count_existing_loans")
    counted, uncounted = LibraryFactory(), LibraryFactory()
    for library in (counted, uncounted):
        LoanFactory(member=MemberFactory(library=library), loaned_on=dt.date(2026, 5, 3))
    ActivityDay.objects.filter(library=uncounted).delete()
    ActivityMonth.objects.filter(library=uncounted).delete()

    upgrade.count_existing_loans(apps, None)

    assert sorted(ActivityDay.objects.values_list("library_id", "day", "loans")) == sorted(
        [(counted.pk, dt.date(2026, 5, 3), 1), (uncounted.pk, dt.date(2026, 5, 3), 1)]
    )


def test_the_upgrade_counts_a_days_visits_once_per_member(db):
    upgrade = importlib.import_module(
        "patronflow.members.migrations.0013_visits_per_member_and_day"
    )
    library = LibraryFactory()
    reader = MemberFactory(library=library)
    for channel in (Visit.Channel.GATE, Visit.Channel.DESK):
        VisitFactory(member=reader, visited_on=dt.date(2026, 5, 3), channel=channel)
    ActivityDay.objects.update(visits=2)  # as counted per channel before it

    upgrade.count_each_member_once_a_day(apps, SimpleNamespace(connection=connection))

    assert list(ActivityDay.objects.values_list("day", "visits")) == [(dt.date(2026, 5, 3), 1)]


def test_a_loan_moved_to_another_day_recounts_its_old_and_new_days_not_the_history(db, monkeypatch):
    library = LibraryFactory()
    for member_id in ("M1", "M2"):
        MemberFactory(library=library, external_id=member_id)
    ItemFactory(library=library, external_id="I1")

    def loan(loan_id: str, member_id: str, day: str) -> dict[str, str]:
        return {"loan_id": loan_id, "member_id": member_id, "item_id": "I1", "loaned_on": day}

    import_rows(
        library, "loans",
        [loan("L1", "M1", "2026-01-10"), loan("L2", "M1", "2026-03-05"),
         loan("L3", "M2", "2026-03-05"), loan("L4", "M2", "2026-05-20")],
        source="loans",
    )  # fmt: skip
    recounted = []
    counting = activity.recount

    def spied(*, library: int, first: dt.date, last: dt.date) -> None:
        recounted.append((first, last))
        counting(library=library, first=first, last=last)

    monkeypatch.setattr(activity, "recount", spied)

    # L1 moves from 10 January to 6 March; L3 goes to M1 on its day; L4 comes again unchanged.
    summary = import_rows(
        library, "loans",
        [loan("L1", "M1", "2026-03-06"), loan("L3", "M1", "2026-03-05"),
         loan("L4", "M2", "2026-05-20")],
        source="loans",
    )  # fmt: skip

    assert (summary.updated, summary.unchanged) == (2, 1)
    assert recounted == [
        (dt.date(2026, 3, 5), dt.date(2026, 5, 20)),  # the days of the chunk that wrote
        (dt.date(2026, 1, 10), dt.date(2026, 1, 10)),  # L1's old day, and January
    ]
    months = monthly_activity(
        libraries=[library.pk], first=dt.date(2026, 1, 1), last=dt.date(2026, 5, 31)
    )
    assert {month: figures for (_, month), figures in months.items() if figures != NO_ACTIVITY} == {
        dt.date(2026, 3, 1): MonthActivity(loans=3, borrowers=1, visits=0, visitors=0, active=1),
        dt.date(2026, 5, 1): MonthActivity(loans=1, borrowers=1, visits=0, visitors=0, active=1),
    }


def test_the_upgrade_notes_where_each_librarys_loan_counts_are_complete(db):
    upgrade = importlib.import_module(
        "patronflow.members.migrations.0014_library_loans_counted_from"
    )
    purged, without_loans = LibraryFactory(), LibraryFactory()
    reader = MemberFactory(library=purged)
    for day in (dt.date(2023, 12, 9), dt.date(2024, 2, 1)):  # a purge had cut the days before
        LoanFactory(member=reader, loaned_on=day)

    upgrade.note_where_the_loans_start(apps, None)

    purged.refresh_from_db(), without_loans.refresh_from_db()
    assert (purged.loans_counted_from, without_loans.loans_counted_from) == (
        dt.date(2023, 12, 9),
        None,
    )
    assert counted_from(libraries=[purged.pk])[purged.pk] == CountedFrom(
        loans=dt.date(2024, 1, 1), visits=None
    )  # December 2023 counted in part: January is the first whole month
