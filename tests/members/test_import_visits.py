"""Importing visits: a member on a day through a channel, stored once, counted in the day."""

import datetime as dt

from patronflow.members.activity import MonthActivity, monthly_activity
from patronflow.members.models import ActivityDay, Member, Visit
from patronflow.operations.erasure import erase_member
from patronflow.operations.imports import import_rows as import_with_privacy
from patronflow.privacy.gate import SKIPPED_ERASED, SKIPPED_OLD
from tests.factories import ItemFactory, MemberFactory
from tests.members.conftest import LOANS_HEADER
from tests.members.importer import import_file, import_rows

VISITS_HEADER = "member_id,visited_on,channel"
MAY = dt.date(2026, 5, 1)


def visits(library) -> list[tuple[str, dt.date, str]]:
    return list(
        Visit.objects.filter(library=library)
        .order_by("member__external_id", "visited_on", "channel")
        .values_list("member__external_id", "visited_on", "channel")
    )


def test_visits_load_with_bad_rows_reported_by_line_and_reason(library, export):
    MemberFactory(library=library, external_id="M1", last_activity_on=dt.date(2026, 5, 2))
    MemberFactory(library=library, external_id="M2", last_activity_on=None)
    path = export(
        "visits.csv",
        VISITS_HEADER,
        "M1,2026-05-04,gate",
        "M1,2026-05-04,balie",  # the desk the same day: another visit
        "M9,2026-05-04,gate",  # no such member
        "M2,31/02/2026,gate",  # no such day
        "M2,2026-05-06,lift",  # no such channel
        "M2,2026-05-07,",  # no channel named: the gate
    )

    summary = import_file(library, "visits", path)

    assert (summary.rows, summary.inserted, summary.rejected) == (6, 3, 3)
    assert [str(rejection) for rejection in summary.rejections] == [
        f"{path}:4: unknown member 'M9'",
        f"{path}:5: visited_on: '31/02/2026' is not a date on the calendar",
        f"{path}:6: channel: 'lift' is not a channel (expected gate, checkin or desk)",
    ]
    assert visits(library) == [
        ("M1", dt.date(2026, 5, 4), "desk"),
        ("M1", dt.date(2026, 5, 4), "gate"),
        ("M2", dt.date(2026, 5, 7), "gate"),
    ]
    assert summary.rejects_file.read_text().count("\n") == 4  # header and the three rows


def test_a_visit_already_stored_or_repeated_is_stored_once(library, export):
    MemberFactory(library=library, external_id="M1")
    rows = [{"member_id": "M1", "visited_on": "2026-05-04", "channel": "checkin"}] * 2

    first = import_rows(library, "visits", rows, source="gates")
    again = import_rows(library, "visits", rows[:1], source="gates")

    assert (first.inserted, first.repeated) == (1, 1)
    assert (again.inserted, again.unchanged) == (0, 1)
    assert Visit.objects.count() == 1


def test_a_later_visit_moves_the_members_last_activity_and_an_earlier_one_does_not(library):
    MemberFactory(library=library, external_id="M1", last_activity_on=dt.date(2026, 5, 10))
    MemberFactory(library=library, external_id="M2", last_activity_on=dt.date(2026, 5, 10))
    rows = [
        {"member_id": "M1", "visited_on": "2026-05-12"},
        {"member_id": "M1", "visited_on": "2026-05-20"},
        {"member_id": "M2", "visited_on": "2026-05-03"},
    ]

    import_rows(library, "visits", rows, source="gates")

    assert dict(
        Member.objects.filter(library=library).values_list("external_id", "last_activity_on")
    ) == {"M1": dt.date(2026, 5, 20), "M2": dt.date(2026, 5, 10)}


def test_the_days_an_import_touched_are_counted_after_it(library, export, small_chunks):
    MemberFactory(library=library, external_id="M1")
    MemberFactory(library=library, external_id="M2")
    rows = [
        "M1,2026-05-04,gate",
        "M2,2026-05-04,gate",
        "M1,2026-05-04,desk",
        "M2,2026-05-28,checkin",
        "M2,2026-05-28,gate",
    ]

    import_file(library, "visits", export("visits.csv", VISITS_HEADER, *rows))

    assert dict(ActivityDay.objects.filter(library=library).values_list("day", "visits")) == {
        dt.date(2026, 5, 4): 2,  # M1 at the gate and the desk is one visit, M2 another
        dt.date(2026, 5, 28): 1,  # M2 through two channels: one visit
    }
    assert monthly_activity(libraries=[library.pk], first=MAY, last=MAY)[
        (library.pk, MAY)
    ] == MonthActivity(loans=0, borrowers=0, visits=3, visitors=2, active=2)


def test_a_loans_import_counts_its_days_and_borrowers(library, export):
    MemberFactory(library=library, external_id="M1")
    ItemFactory(library=library, external_id="I1")
    path = export(
        "loans.csv",
        LOANS_HEADER,
        "L1,M1,I1,2026-05-02",
        "L2,M1,I1,2026-05-02",
        "L3,M1,I1,2026-04-30",
    )

    import_file(library, "loans", path)

    assert monthly_activity(libraries=[library.pk], first=dt.date(2026, 4, 1), last=MAY) == {
        (library.pk, dt.date(2026, 4, 1)): MonthActivity(1, 1, 0, 0, 1),
        (library.pk, MAY): MonthActivity(2, 1, 0, 0, 1),
    }


def test_a_visits_preset_maps_a_library_systems_headers_and_codes(library, export):
    MemberFactory(library=library, external_id="M1")
    path = export(
        "bezoeken.csv", "Lenersnummer;Bezoekdatum;Kanaal", "M1;04/05/2026;ZUIL", "M1;05/05/2026;"
    )

    summary = import_file(library, "visits", path, preset="wise")

    assert (summary.inserted, summary.rejected) == (2, 0)
    assert visits(library) == [
        ("M1", dt.date(2026, 5, 4), "checkin"),
        ("M1", dt.date(2026, 5, 5), "gate"),
    ]


def test_visits_of_an_erased_member_or_before_the_loan_history_are_skipped_and_counted(library):
    erase_member(MemberFactory(library=library, external_id="M1"), operator="dpo")
    reader = MemberFactory(library=library, external_id="M2", loans_removed_through=None)
    rows = [
        {"member_id": "M1", "visited_on": "2026-05-04"},
        {"member_id": "M2", "visited_on": "2023-05-31"},  # the loan history starts 2023-06-01
        {"member_id": "M2", "visited_on": "2023-06-01"},
    ]

    summary = import_with_privacy(
        library, "visits", rows, source="gates", today=dt.date(2026, 6, 1)
    )

    assert (summary.inserted, summary.rejected) == (1, 0)
    assert summary.skipped_because == {SKIPPED_ERASED: 1, SKIPPED_OLD: 1}
    reader.refresh_from_db()
    assert reader.loans_removed_through is None  # a visit is no loan


def test_an_export_imported_again_recounts_no_day(library, export, small_chunks):
    MemberFactory(library=library, external_id="M1")
    rows = ["M1,2026-05-04,gate", "M1,2026-05-05,gate", "M1,2026-05-06,gate"]
    import_file(library, "visits", export("visits.csv", VISITS_HEADER, *rows))

    again = import_file(
        library, "visits", export("more.csv", VISITS_HEADER, *rows, "M1,2026-05-28,desk")
    )

    # Chunks of two rows: the first wrote nothing, the second one visit.
    assert (again.first_day, again.last_day) == (dt.date(2026, 5, 6), dt.date(2026, 5, 28))
    assert dict(ActivityDay.objects.filter(library=library).values_list("day", "visits")) == {
        dt.date(2026, 5, day): 1 for day in (4, 5, 6, 28)
    }
