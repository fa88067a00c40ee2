"""The purge and erasures remove rows, not history: the baseline and the activity counts read
the same after them, for loans older than the loan history and for ex-members' loans and
visits alike."""

import datetime as dt
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from functools import partial

import pytest
from django.db import connection, connections
from django.db.models import QuerySet
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from patronflow.members.activity import MonthActivity, daily_activity, monthly_activity, recount
from patronflow.members.models import ActivityDay, ActivityMonth, Loan, Member, Visit
from patronflow.operations.erasure import erase_member
from patronflow.operations.purge import LOAN_HISTORY, VISIT_HISTORY, purge, remove_loan_history
from patronflow.profiles.queries import loan_history_start
from patronflow.reports.baseline import baseline
from tests.factories import (
    TODAY,
    ItemFactory,
    LibraryFactory,
    LoanFactory,
    MemberFactory,
    VisitFactory,
)
from tests.members.importer import import_rows

# TODAY is 2026-06-01; the default loan history of 36 months starts on 2023-06-01.
OLD_MONTH = dt.date(2023, 4, 1)
MEASURED = dt.date(2024, 4, 1)  # its baseline month is April 2023, before the history


def test_loans_older_than_the_history_stay_in_the_baseline_after_the_purge(library):
    reader, visitor = MemberFactory(library=library), MemberFactory(library=library)
    LoanFactory(member=reader, loaned_on=dt.date(2023, 4, 3))
    LoanFactory(member=reader, loaned_on=dt.date(2023, 4, 20))
    LoanFactory(member=visitor, loaned_on=dt.date(2023, 4, 20))
    VisitFactory(member=visitor, visited_on=dt.date(2023, 4, 20))
    LoanFactory(member=reader, loaned_on=dt.date(2024, 4, 9))
    LoanFactory(member=reader, loaned_on=dt.date(2024, 5, 2))  # the loan data runs past April
    VisitFactory(member=reader, visited_on=dt.date(2024, 5, 2))
    before = baseline(library, as_of=TODAY, since=MEASURED, until=dt.date(2024, 4, 30))

    summary = purge(TODAY, operator="cron")

    assert summary.rows(library.code)[LOAN_HISTORY] == 3
    assert summary.rows(library.code)[VISIT_HISTORY] == 1
    assert not Loan.objects.filter(loaned_on__lt=dt.date(2023, 6, 1)).exists()
    [april] = baseline(library, as_of=TODAY, since=MEASURED, until=dt.date(2024, 4, 30))
    assert [april] == before
    assert (april.loans, april.baseline_loans, april.baseline_borrowers) == (1, 3, 2)
    assert (april.visits, april.baseline_visits, april.baseline_visitors) == (0, 1, 1)


def test_an_erased_members_loans_and_visits_stay_counted_without_the_member(library):
    leaving, staying = MemberFactory(library=library), MemberFactory(library=library)
    for day in (dt.date(2026, 3, 4), dt.date(2026, 3, 5)):
        LoanFactory(member=leaving, loaned_on=day)
        VisitFactory(member=leaving, visited_on=day)
    LoanFactory(member=staying, loaned_on=dt.date(2026, 3, 5))
    march = dt.date(2026, 3, 1)
    counted = monthly_activity(libraries=[library.pk], first=march, last=march)

    erase_member(leaving, operator="dpo")

    assert not Visit.objects.exists()
    assert monthly_activity(libraries=[library.pk], first=march, last=march) == counted
    assert counted[(library.pk, march)] == MonthActivity(
        loans=3, borrowers=2, visits=2, visitors=1, active=2
    )
    # What stays holds counts only: a day and a month of the library, no member.
    day = ActivityDay.objects.get(library=library, day=dt.date(2026, 3, 5))
    assert (day.loans, day.kept_loans, day.visits, day.kept_visits) == (1, 1, 0, 1)
    month = ActivityMonth.objects.get(library=library, month=march)
    assert (month.borrowers, month.kept_borrowers, month.kept_visitors) == (1, 1, 1)


def test_ex_members_past_their_retention_stay_in_the_baseline_after_the_purge(library):
    gone = MemberFactory(library=library, membership_ends_on=dt.date(2024, 1, 31))
    staying = MemberFactory(library=library)
    LoanFactory(member=gone, loaned_on=dt.date(2023, 10, 10))
    LoanFactory(member=staying, loaned_on=dt.date(2023, 10, 11))
    LoanFactory(member=staying, loaned_on=dt.date(2024, 10, 11))
    LoanFactory(member=staying, loaned_on=dt.date(2024, 11, 5))  # October is complete
    october = dt.date(2024, 10, 1)
    before = baseline(library, as_of=TODAY, since=october, until=dt.date(2024, 10, 31))

    summary = purge(TODAY, operator="cron")

    assert summary.rows(library.code)["members.member"] == 1
    after = baseline(library, as_of=TODAY, since=october, until=dt.date(2024, 10, 31))
    assert after == before
    assert (after[0].baseline_loans, after[0].baseline_borrowers) == (2, 2)


def test_a_purge_that_removes_nothing_changes_no_count(library):
    LoanFactory(member=MemberFactory(library=library), loaned_on=dt.date(2025, 10, 10))
    counts = list(ActivityDay.objects.values_list("day", "loans", "kept_loans"))

    purge(TODAY, operator="cron")
    purge(TODAY, operator="cron")

    assert list(ActivityDay.objects.values_list("day", "loans", "kept_loans")) == counts


# Two writers of one library's counts at once (PostgreSQL only: SQLite admits one writer at a
# time). The first is held inside its delete, after it moved the rows into kept_*; the second
# starts then and must wait for it, or it writes the deleted rows' count back on top.
WAIT = 30  # seconds: a bound for what takes milliseconds, never a pause
on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="concurrent writers of the counts need PostgreSQL "
    "(PATRONFLOW_DATABASE_URL=postgresql://...); SQLite's IMMEDIATE transactions let one "
    "writer in at a time",
)
OLD_DAYS = [dt.date(2015, 1, day) for day in range(5, 10)]  # before the loan history


class Writer:
    """Run `work` on a thread with its own connection; its backend pid and error are kept."""

    def __init__(self, work: Callable[[], object], *, name: str) -> None:
        self.work, self.pid, self.error = work, None, None
        self.connected = threading.Event()
        self.thread = threading.Thread(target=self._run, name=name)
        self.thread.start()
        assert self.connected.wait(WAIT)

    def _run(self) -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                self.pid = cursor.fetchone()[0]
            self.connected.set()
            self.work()
        except BaseException as error:  # reported on the test's thread
            self.error = error
        finally:
            self.connected.set()
            connections.close_all()

    def join(self) -> None:
        self.thread.join(WAIT)
        assert not self.thread.is_alive()
        if self.error is not None:
            raise self.error


def waits_for(waiter: Writer, holder: Writer) -> bool:
    """Whether `waiter` comes to wait for `holder`'s locks (False once it finished)."""
    deadline = time.monotonic() + WAIT
    while waiter.thread.is_alive() and time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_blocking_pids(%s)", [waiter.pid])
            if holder.pid in cursor.fetchone()[0]:
                return True
        time.sleep(0.01)
    return False


def one_after_another(monkeypatch, first: Callable[[], object], second: Callable[[], object]):
    """Run `first`, hold it in its delete of loans, start `second`, and let `first` go on only
    once `second` waits for it."""
    inside, go_on = threading.Event(), threading.Event()
    delete = QuerySet.delete

    def held_delete(queryset):
        if threading.current_thread().name == "first" and queryset.model is Loan:
            inside.set()
            assert go_on.wait(WAIT)
        return delete(queryset)

    monkeypatch.setattr(QuerySet, "delete", held_delete)
    holder = Writer(first, name="first")
    assert inside.wait(WAIT)
    waiter = Writer(second, name="second")
    waited = waits_for(waiter, holder)
    go_on.set()
    holder.join()
    waiter.join()
    assert waited


def counts_of(library) -> list[tuple[dt.date, int, int]]:
    return list(
        ActivityDay.objects.filter(library=library)
        .order_by("day")
        .values_list("day", "loans", "kept_loans")
    )


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_loan_history_purges_at_once_keep_each_old_loan_once(monkeypatch):
    library = LibraryFactory(code="gent")
    reader = MemberFactory(library=library)
    for day in OLD_DAYS:
        LoanFactory(member=reader, loaned_on=day)

    purging = partial(remove_loan_history, library, TODAY)
    one_after_another(monkeypatch, purging, purging)

    assert not Loan.objects.exists()
    assert counts_of(library) == [(day, 0, 1) for day in OLD_DAYS]


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_recount_during_a_purge_does_not_count_the_purged_loans_again(monkeypatch):
    library = LibraryFactory(code="gent")
    reader = MemberFactory(library=library)
    for day in OLD_DAYS:
        LoanFactory(member=reader, loaned_on=day)
    LoanFactory(member=reader, loaned_on=dt.date(2026, 5, 4))

    one_after_another(
        monkeypatch,
        partial(remove_loan_history, library, TODAY),
        partial(recount, library=library.pk, first=OLD_DAYS[0], last=dt.date(2026, 5, 4)),
    )

    assert counts_of(library) == [*((day, 0, 1) for day in OLD_DAYS), (dt.date(2026, 5, 4), 1, 0)]


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_recount_during_an_erasure_does_not_count_the_erased_members_loans_again(monkeypatch):
    library = LibraryFactory(code="gent")
    leaving, staying = MemberFactory(library=library), MemberFactory(library=library)
    LoanFactory(member=leaving, loaned_on=dt.date(2026, 5, 4))
    LoanFactory(member=leaving, loaned_on=dt.date(2026, 5, 5))
    LoanFactory(member=staying, loaned_on=dt.date(2026, 5, 5))

    one_after_another(
        monkeypatch,
        partial(erase_member, leaving, operator="dpo"),
        partial(recount, library=library.pk, first=dt.date(2026, 5, 4), last=dt.date(2026, 5, 5)),
    )

    assert counts_of(library) == [(dt.date(2026, 5, 4), 0, 1), (dt.date(2026, 5, 5), 1, 1)]
    may = ActivityMonth.objects.get(library=library, month=dt.date(2026, 5, 1))
    assert (may.borrowers, may.kept_borrowers) == (1, 1)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(seed=st.integers(min_value=0, max_value=100_000))
def test_counts_and_kept_equal_every_row_ever_admitted_through_imports_purges_and_erasures(
    db, seed
):
    """Nightly imports (new loans, loans moved in place, visits through several channels),
    purges on random days and erasures, in a random order: per day, the counts and their
    kept part hold every loan and every member's visiting day ever admitted, once."""
    chance = random.Random(seed)
    library = LibraryFactory(code=f"l{seed}")
    ids = [f"M{n}" for n in range(4)]
    for member_id in ids:
        MemberFactory(library=library, external_id=member_id)
    ItemFactory(library=library, external_id="I1")
    here = set(ids)  # members not erased: only their rows are admitted
    loans: dict[str, tuple[str, dt.date]] = {}  # loan id → member, day of the stored loans
    visits: set[tuple[str, dt.date, str]] = set()  # the stored visits
    gone: Counter = Counter()  # (day, "loans" | "visits") → what left the raw rows

    def day() -> dt.date:
        return dt.date(2021, 1, 1) + dt.timedelta(days=chance.randint(0, 5 * 365))

    def forget_visits(leaving: set[tuple[str, dt.date, str]]) -> None:
        visits.difference_update(leaving)
        for member, when in {(member, when) for member, when, _ in leaving}:
            if not any(v[:2] == (member, when) for v in visits):  # the member's day is gone
                gone[(when, "visits")] += 1

    for _ in range(6):
        action = chance.choice(["loans", "loans", "visits", "purge", "erase"])
        if action == "loans":
            rows = [
                {"loan_id": f"L{chance.randint(0, 15)}", "member_id": chance.choice(ids),
                 "item_id": "I1", "loaned_on": day().isoformat()}
                for _ in range(chance.randint(1, 8))
            ]  # fmt: skip
            import_rows(library, "loans", rows, source="loans")
            for row in rows:
                if row["member_id"] in here:
                    when = dt.date.fromisoformat(row["loaned_on"])
                    loans[row["loan_id"]] = (row["member_id"], when)
        elif action == "visits":
            rows = [
                {"member_id": chance.choice(ids), "visited_on": day().isoformat(),
                 "channel": chance.choice(["gate", "checkin", "desk"])}
                for _ in range(chance.randint(1, 8))
            ]  # fmt: skip
            import_rows(library, "visits", rows, source="visits")
            visits |= {
                (row["member_id"], dt.date.fromisoformat(row["visited_on"]), row["channel"])
                for row in rows
                if row["member_id"] in here
            }
        elif action == "purge":
            today = dt.date(2024, 1, 1) + dt.timedelta(days=chance.randint(0, 4 * 365))
            start = loan_history_start(library, today)
            purge(today, operator="cron", library=library)
            for loan_id, (_, when) in list(loans.items()):
                if when < start:
                    gone[(when, "loans")] += 1
                    del loans[loan_id]
            forget_visits({v for v in visits if v[1] < start})
        elif here:
            member_id = chance.choice(sorted(here))
            erase_member(Member.objects.get(library=library, external_id=member_id), "dpo")
            here.discard(member_id)
            for loan_id, (member, when) in list(loans.items()):
                if member == member_id:
                    gone[(when, "loans")] += 1
                    del loans[loan_id]
            forget_visits({v for v in visits if v[0] == member_id})

    expected: Counter = Counter(gone)
    expected.update((when, "loans") for _, when in loans.values())
    expected.update((when, "visits") for _, when in {(m, when) for m, when, _ in visits})
    counted = daily_activity(
        library=library.pk, first=dt.date(2020, 1, 1), last=dt.date(2027, 1, 1)
    )
    assert {
        (when, name): figure
        for when, figures in counted.items()
        for name, figure in zip(("loans", "visits"), figures, strict=True)
        if figure
    } == +expected
