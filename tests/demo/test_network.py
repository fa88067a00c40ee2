"""The demo as a network: three libraries whose members go on borrowing and registering
through the simulated days, and mails with a known true effect, seen through the report.

The demo runs once for the module, in the test database, smaller and shorter than `make demo`
but long enough for a whole month since the launch."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone
from rich.progress import Progress

from patronflow.demo.simulation import NETWORK, TrueEffects, run_demo
from patronflow.journeys.models import Journey
from patronflow.members.models import Library, Loan
from patronflow.privacy.models import AuditEntry, audit_maintenance
from patronflow.reports.baseline import baseline
from patronflow.reports.benchmark import cross_library_benchmark
from patronflow.reports.effect import effect_of
from patronflow.reports.outcomes import outcomes_of

MEMBERS, DAYS = 4000, 35

pytestmark = pytest.mark.django_db  # each test reads the module's run


@pytest.fixture(scope="module")
def today(django_db_setup, django_db_blocker, tmp_path_factory):
    """The last simulated day, once the network's run is in the test database (committed:
    the demo's tracking server reads it from its own thread). Emptied afterwards."""
    with django_db_blocker.unblock():
        with Progress(disable=True) as progress:
            run_demo(tmp_path_factory.mktemp("demo"), MEMBERS, DAYS, 2026, progress)
        yield timezone.localdate()
        _empty_database()


def _empty_database() -> None:
    """As the suite's transactional tests end (tests/conftest.py): on SQLite the audit log's
    guard wants its entries expired the purge's way before the flush."""
    if connection.vendor == "sqlite":
        with audit_maintenance():
            QuerySet.delete(AuditEntry.objects.all())
    call_command("flush", interactive=False, verbosity=0)


def test_three_libraries_of_different_sizes_and_one_does_not_run_the_dormant_journey(today):
    members = {library.code: library.members.count() for library in Library.objects.order_by("pk")}
    assert list(members) == [spec.code for spec in NETWORK]
    assert members["zonnedorp"] > members["heidebeek"] > members["molenaarde"] >= 300

    dormant = {j.library.code: j for j in Journey.objects.filter(key="dormant")}
    assert dormant["heidebeek"].status == Journey.Status.PAUSED
    assert not dormant["heidebeek"].enrolments.exists()
    for code in ("zonnedorp", "molenaarde"):
        assert dormant[code].status == Journey.Status.ACTIVE
        assert dormant[code].enrolments.filter(held_out=False).exists()
        assert dormant[code].enrolments.filter(held_out=True).exists()


def test_members_borrow_through_the_simulated_days_as_in_the_year_before(today):
    start = today - dt.timedelta(days=DAYS)
    for library in Library.objects.all():
        loans = Loan.objects.filter(library=library)
        year_before = loans.filter(
            loaned_on__gte=start - dt.timedelta(days=365), loaned_on__lt=start
        ).count()
        since = loans.filter(loaned_on__gt=start).count()
        assert since / DAYS == pytest.approx(year_before / 365, rel=0.25), library.code
        weeks = {
            (day - start).days // 7
            for day in loans.filter(loaned_on__gt=start).dates("loaned_on", "day")
        }
        assert weeks == set(range(DAYS // 7 + 1)), library.code


def test_the_baseline_shows_no_drop_in_the_months_members_borrowed_as_before(today):
    for library in Library.objects.all():
        months = [month for month in baseline(library, as_of=today) if not month.partial_through]
        assert months, library.code  # a whole month since the launch
        for month in months:
            assert month.baseline_loans > 0
            assert -0.3 <= month.loans_change <= 0.3, (library.code, month)


def test_the_welcome_mails_raise_profile_creation_as_the_true_effect_says(today):
    truth = TrueEffects().making_a_profile
    assert truth.lift > 0
    outcomes = [o for j in Journey.objects.filter(key="welcome") for o in outcomes_of(j)]
    [has_profile] = [
        c for c in effect_of(outcomes, today, profiles=True) if c.measure == "has an online profile"
    ]
    assert has_profile.mailed_n >= 40 and has_profile.held_out_n >= 40
    assert has_profile.lift > 0


def test_the_benchmark_shows_every_library_beside_the_others(today):
    benchmark = cross_library_benchmark(today)
    assert set(benchmark.rows) == {spec.code for spec in NETWORK}
    for code, row in benchmark.rows.items():
        assert row["mailed"] is not None and row["mailed"] >= 10, code
    assert benchmark.totals["mailed"] == sum(row["mailed"] for row in benchmark.rows.values())
