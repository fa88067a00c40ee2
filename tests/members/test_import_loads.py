"""Loading at scale, the same on both databases' fast paths: idempotent re-imports, repeated
ids across chunks, the rejects file, full snapshots against deltas, and which members got new
loans. The last tests check the PostgreSQL COPY path against the real server."""

import csv
import datetime as dt
from pathlib import Path

import pytest
from django.db import connection

from patronflow.members.bulk import writer_for
from patronflow.members.bulk_sqlite import SqliteWriter
from patronflow.members.bulk_types import Target
from patronflow.members.copy_postgres import PostgresWriter
from patronflow.members.import_snapshots import SnapshotRefused
from patronflow.members.import_summary import ImportFileError
from patronflow.members.models import Item, Loan, Member
from tests.factories import ItemFactory, LibraryFactory, MemberFactory
from tests.members.conftest import ITEMS_HEADER, LOANS_HEADER, MEMBERS_HEADER
from tests.members.importer import import_file, import_rows

ANNA = "M1,Anna,Peeters,anna@example.org,1980-05-17,2020-02-01,2026-05-01,ja,"
BART = "M2,Bart,Claes,,17/05/1975,15/03/2021,,nee,31-12-2027"
CELINE = "M3,Céline,Dupont,celine@example.org,,2024-09-30,,,"
TODAY = dt.date(2026, 6, 1)

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the COPY fast path needs PostgreSQL: set PATRONFLOW_DATABASE_URL=postgresql://... "
    "(`make test` runs the suite again on PostgreSQL)",
)


def snapshot_of(model, library) -> list[tuple]:
    return sorted(
        tuple(row.values())
        for row in model.objects.filter(library=library).values().order_by("external_id")
    )


def rejects_of(path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


def a_catalogue(library, export, loans: int = 9) -> tuple:
    members = export("members.csv", MEMBERS_HEADER, ANNA, BART, CELINE)
    items = export(
        "items.csv",
        f"{ITEMS_HEADER},literary_form,thema",
        "I1,Het smelt,Lize Spit,9789023496335,Boek,,302,roman,ja,1,FBA",
        "I2,Congo,David Van Reybrouck,,e-book,947.1,680,,nee,0,NHK",
    )
    lines = [f"L{n},M{n % 3 + 1},I{n % 2 + 1},2026-05-{n % 28 + 1:02d}" for n in range(loans)]
    return members, items, export("loans.csv", LOANS_HEADER, *lines)


def test_importing_the_same_files_again_changes_nothing_on_any_chunk_size(
    library, export, small_chunks
):
    files = a_catalogue(library, export)
    for kind, path in zip(("members", "items", "loans"), files, strict=True):
        import_file(library, kind, path)
    before = [snapshot_of(model, library) for model in (Member, Item, Loan)]

    again = [
        import_file(library, kind, path)
        for kind, path in zip(("members", "items", "loans"), files, strict=True)
    ]

    assert [(s.inserted, s.updated, s.unchanged) for s in again] == [
        (0, 0, 3),
        (0, 0, 2),
        (0, 0, 9),
    ]
    assert [snapshot_of(model, library) for model in (Member, Item, Loan)] == before
    assert again[2].members_with_new_loans == set()


def test_repeated_ids_across_chunks_are_counted_once_and_the_last_row_wins(
    library, export, small_chunks
):
    MemberFactory(library=library, external_id="M1")
    ItemFactory(library=library, external_id="I1")
    path = export(
        "loans.csv",
        LOANS_HEADER,
        "L1,M1,I1,2026-05-01",
        "L2,M1,I1,2026-05-01",
        "L1,M1,I1,2026-05-02",
        "L3,M1,I1,2026-05-01",
        "L1,M1,I1,2026-05-03",  # line 6, three chunks after the first L1
    )

    summary = import_file(library, "loans", path)

    assert (summary.rows, summary.inserted, summary.repeated) == (5, 3, 2)
    assert Loan.objects.get(external_id="L1").loaned_on == dt.date(2026, 5, 3)


def repeats_of_new_changed_and_unchanged_rows(library, export):
    """L1 new, L2 changed, L3 unchanged before this import; each again two chunks later."""
    MemberFactory(library=library, external_id="M1")
    ItemFactory(library=library, external_id="I1")
    import_file(library, "loans", export("before.csv", LOANS_HEADER, "L2,M1,I1,2026-04-01",
                                         "L3,M1,I1,2026-04-01"))  # fmt: skip
    path = export(
        "loans.csv",
        LOANS_HEADER,
        "L1,M1,I1,2026-05-01",
        "L2,M1,I1,2026-05-01",
        "L3,M1,I1,2026-04-01",
        "L4,M1,I1,2026-05-01",
        "L1,M1,I1,2026-05-01",  # the same value as its first row
        "L2,M1,I1,2026-05-09",
        "L3,M1,I1,2026-04-01",
    )
    summary = import_file(library, "loans", path)
    assert (summary.inserted, summary.updated, summary.unchanged, summary.repeated) == (2, 1, 1, 3)
    assert Loan.objects.get(external_id="L2").loaned_on == dt.date(2026, 5, 9)


def test_repeats_of_new_changed_and_unchanged_rows_across_chunks_count_once(
    library, export, small_chunks
):
    repeats_of_new_changed_and_unchanged_rows(library, export)


@pytest.mark.django_db(transaction=True)
def test_repeats_across_chunks_count_once_when_each_chunk_commits(export, small_chunks):
    # Without the test's outer transaction each chunk is a transaction of its own, not a
    # savepoint: PostgreSQL tells the import's own rows by their transaction ids either way.
    repeats_of_new_changed_and_unchanged_rows(LibraryFactory(), export)


def test_a_snapshot_across_chunks_lists_its_new_changed_and_unchanged_members(
    library, export, small_chunks
):
    import_file(library, "members", export("before.csv", MEMBERS_HEADER, ANNA, BART))
    path = export("members.csv", MEMBERS_HEADER, ANNA, BART.replace("Claes", "Claessens"),
                  CELINE, ANNA)  # fmt: skip

    summary = import_file(library, "members", path, snapshot=True, today=TODAY)

    assert (summary.inserted, summary.updated, summary.unchanged, summary.repeated) == (1, 1, 1, 1)
    assert summary.memberships_ended == 0


def test_repeated_ids_within_a_chunk_reimport_as_unchanged(library, export):
    path = export("members.csv", MEMBERS_HEADER, ANNA, ANNA.replace("Peeters", "Peters"), BART)
    import_file(library, "members", path)

    again = import_file(library, "members", path)

    assert (again.unchanged, again.repeated, again.updated) == (2, 1, 0)
    assert Member.objects.get(external_id="M1").last_name == "Peters"


def test_the_rejects_file_has_each_rejected_row_with_its_line_reason_and_text(library, export):
    MemberFactory(library=library, external_id="M1")
    ItemFactory(library=library, external_id="I1")
    path = export(
        "loans.csv",
        LOANS_HEADER,
        "L1,M1,I1,2026-05-02",
        "L2,M404,I1,2026-05-02",
        'L3,"M1\nM2",I1,2026-05-02',  # lines 4-5
        "L4,M1,I1,30/02/2026",
    )

    summary = import_file(library, "loans", path)

    assert summary.rejects_file == path.with_name("loans.csv.rejects.csv")
    assert rejects_of(summary.rejects_file) == [
        {"line": "3", "reason": "unknown member 'M404'", "row": "L2,M404,I1,2026-05-02"},
        {"line": "4", "reason": "unknown member 'M1\\nM2'", "row": 'L3,"M1\nM2",I1,2026-05-02'},
        {
            "line": "6",
            "reason": "loaned_on: '30/02/2026' is not a date on the calendar",
            "row": "L4,M1,I1,30/02/2026",
        },
    ]
    assert summary.rejected == 3


def test_a_rejected_row_that_starts_like_a_formula_is_text_in_the_rejects_file(library, export):
    formula = "=cmd|' /C calc'!A0,Eva,,,,gisteren,,,"
    path = export("members.csv", MEMBERS_HEADER, formula, "@SUM(A1),Jan,,,,,,,")

    summary = import_file(library, "members", path)

    lines = summary.rejects_file.read_text(encoding="utf-8").splitlines()
    assert lines[1].startswith("2,\"registered_on: 'gisteren' is not a date")
    assert lines[1].endswith(f',"\'{formula}"')
    assert [row["row"] for row in rejects_of(summary.rejects_file)] == [
        f"'{formula}",
        "'@SUM(A1),Jan,,,,,,,",
    ]


def test_a_clean_import_leaves_no_rejects_file_and_clears_a_stale_one(library, export):
    bad = export("members.csv", MEMBERS_HEADER, ",Zonder,Nummer,,,2021-03-15,,,")
    assert import_file(library, "members", bad).rejects_file.exists()

    clean = import_file(library, "members", export("members.csv", MEMBERS_HEADER, ANNA))

    assert clean.rejects_file is None
    assert not bad.with_name("members.csv.rejects.csv").exists()


def test_rejects_go_where_they_are_told_also_for_rows_without_a_file(library, tmp_path):
    rows = [{"member_id": "M1", "first_name": "Anna", "registered_on": "morgen"}]

    summary = import_rows(library, "members", rows, "arrivals", rejects=tmp_path / "out.csv")

    assert summary.rejects_file == tmp_path / "out.csv"
    [rejected] = rejects_of(summary.rejects_file)
    assert (rejected["line"], rejected["row"]) == ("2", "M1,Anna,morgen")


def test_a_snapshot_ends_the_memberships_of_members_absent_from_it(library, export):
    import_file(library, "members", export("members.csv", MEMBERS_HEADER, ANNA, BART, CELINE))
    Member.objects.filter(external_id="M3").update(membership_ends_on=dt.date(2025, 1, 1))
    MemberFactory(library=library, external_id="M4", membership_ends_on=None)
    MemberFactory(library=library, external_id="M5", membership_ends_on=None)
    other = MemberFactory(library=LibraryFactory(code="brugge"), external_id="M9")
    # M5's row is rejected, but the library still lists M5: not ended.
    path = export("members.csv", MEMBERS_HEADER, ANNA, "M5,,,,,2020-01-01,,,")

    summary = import_file(library, "members", path, snapshot=True, max_ended=0.5, today=TODAY)

    ends = dict(
        Member.objects.filter(library=library).values_list("external_id", "membership_ends_on")
    )
    assert ends == {
        "M1": None,
        "M2": TODAY,  # was to end in 2027: absent now, so ended today
        "M3": dt.date(2025, 1, 1),  # already ended: kept
        "M4": TODAY,
        "M5": None,
    }
    assert (summary.memberships_ended, summary.rejected) == (2, 1)
    other.refresh_from_db()
    assert other.membership_ends_on is None


def test_a_delta_never_ends_a_membership(library, export):
    import_file(library, "members", export("members.csv", MEMBERS_HEADER, ANNA, BART, CELINE))

    summary = import_file(library, "members", export("delta.csv", MEMBERS_HEADER, ANNA))

    assert summary.memberships_ended == 0
    assert not Member.objects.filter(membership_ends_on__lte=TODAY).exists()


def test_an_empty_snapshot_or_one_of_loans_is_refused(library, export):
    import_file(library, "members", export("members.csv", MEMBERS_HEADER, ANNA))

    with pytest.raises(ImportFileError, match="a snapshot without members"):
        import_file(library, "members", export("leeg.csv", MEMBERS_HEADER), snapshot=True)
    with pytest.raises(ImportFileError, match="only a members file can be a snapshot"):
        import_file(library, "loans", export("loans.csv", LOANS_HEADER), snapshot=True)
    assert Member.objects.get().membership_ends_on is None


def members_file(export, name: str, ids) -> Path:
    return export(name, MEMBERS_HEADER, *(f"{i},Lid,,,,2020-01-01,,," for i in ids))


def running_memberships(library) -> int:
    return library.members.filter(membership_ends_on__isnull=True).count()


def test_another_librarys_snapshot_is_refused_with_its_figures_and_writes_nothing(library, export):
    for n in range(20):
        MemberFactory(library=library, external_id=f"G{n}")
    brugge = members_file(export, "brugge.csv", [f"B{n}" for n in range(30)] + ["G0"])

    with pytest.raises(SnapshotRefused) as refused:
        import_file(library, "members", brugge, snapshot=True, today=TODAY)

    figures = refused.value.figures
    assert (figures.listed, figures.shared, figures.running, figures.ending) == (31, 1, 20, 19)
    assert (
        "of its 31 member ids 1 are members of the library (3.2%; at least 50% should be), "
        "and it would end 19 of the library's 20 running memberships (95%; at most 10% may end)"
    ) in str(refused.value)
    assert library.members.count() == 20 and running_memberships(library) == 20


def test_a_snapshot_ending_more_than_the_allowed_share_is_refused_unless_allowed_or_forced(
    library, export
):
    for n in range(20):
        MemberFactory(library=library, external_id=f"G{n}")
    # Three members left (15%), one joined.
    path = members_file(export, "leden.csv", [f"G{n}" for n in range(3, 20)] + ["G99"])

    with pytest.raises(SnapshotRefused, match=r"would end 3 of the library's 20 .* \(15%;"):
        import_file(library, "members", path, snapshot=True, today=TODAY)
    assert library.members.count() == 20 and running_memberships(library) == 20

    allowed = import_file(library, "members", path, snapshot=True, max_ended=0.2, today=TODAY)
    assert (allowed.inserted, allowed.memberships_ended) == (1, 3)


def test_a_forced_snapshot_loads_and_ends_what_it_leaves_out(library, export):
    for n in range(10):
        MemberFactory(library=library, external_id=f"G{n}")

    summary = import_file(
        library, "members", members_file(export, "b.csv", ["B1", "B2"]), snapshot=True,
        force_snapshot=True, today=TODAY,
    )  # fmt: skip

    assert (summary.inserted, summary.memberships_ended) == (2, 10)


def test_a_snapshot_of_mostly_unknown_ids_is_refused_though_it_ends_nothing(library, export):
    for n in range(10):
        MemberFactory(library=library, external_id=f"{n}")
    # Another library numbering its members the same way, from 0 to 49.
    path = members_file(export, "andere.csv", [f"{n}" for n in range(50)])

    with pytest.raises(SnapshotRefused, match=r"of its 50 member ids 10 are .* \(20%;"):
        import_file(library, "members", path, snapshot=True, today=TODAY)
    assert library.members.count() == 10


def test_the_first_snapshot_of_a_library_is_never_refused_and_then_guards_it(library, export):
    gent = members_file(export, "gent.csv", [f"G{n}" for n in range(10)])
    first = import_file(library, "members", gent, snapshot=True, today=TODAY)
    assert (first.inserted, first.memberships_ended) == (10, 0)

    with pytest.raises(SnapshotRefused):
        import_file(library, "members", members_file(export, "b.csv", ["B1"]), snapshot=True)
    assert running_memberships(library) == 10


def test_the_summary_names_the_members_who_got_new_loans(library, export, small_chunks):
    anna, bart, celine = (MemberFactory(library=library, external_id=f"M{n}") for n in range(1, 4))
    ItemFactory(library=library, external_id="I1")
    import_file(library, "loans", export("day1.csv", LOANS_HEADER, "L1,M1,I1,2026-05-01"))

    delta = import_file(
        library,
        "loans",
        export(
            "day2.csv",
            LOANS_HEADER,
            "L1,M1,I1,2026-05-01",  # unchanged: Anna has nothing new
            "L2,M2,I1,2026-05-02",
            "L3,M2,I1,2026-05-02",
            "L4,M404,I1,2026-05-02",
        ),
    )

    assert delta.members_with_new_loans == {bart.pk}
    assert (
        anna.pk not in delta.members_with_new_loans
        and celine.pk not in delta.members_with_new_loans
    )


@on_postgresql
def test_postgresql_loads_through_copy_and_leaves_no_staging_tables(library, export, small_chunks):
    files = a_catalogue(library, export, loans=7)
    assert isinstance(writer_for_library(library), PostgresWriter)

    summaries = [
        import_file(library, kind, path)
        for kind, path in zip(("members", "items", "loans"), files, strict=True)
    ]

    assert [s.inserted for s in summaries] == [3, 2, 7]
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_tables WHERE tablename LIKE 'pf_import_%%'")
        assert cursor.fetchone() == (0,)


@on_postgresql
def test_postgresql_rejects_unknown_references_with_their_lines_across_chunks(
    library, export, small_chunks
):
    MemberFactory(library=library, external_id="M1")
    ItemFactory(library=library, external_id="I1")
    path = export(
        "loans.csv",
        LOANS_HEADER,
        "L1,M1,I1,2026-05-02",
        "L2,M1,I404,2026-05-02",
        "L3,M404,I404,2026-05-02",
        "L4,M1,I1,2026-05-02",
        "L5,M404,I1,2026-05-02",
    )

    summary = import_file(library, "loans", path)

    assert [str(r) for r in summary.rejections] == [
        f"{path}:3: unknown item 'I404'",
        f"{path}:4: unknown member 'M404'; unknown item 'I404'",
        f"{path}:6: unknown member 'M404'",
    ]
    assert (summary.inserted, summary.rejected) == (2, 3)


@on_postgresql
def test_postgresql_updates_only_rows_whose_values_differ(library, export, small_chunks):
    import_file(library, "members", export("members.csv", MEMBERS_HEADER, ANNA, BART, CELINE))
    stamps = dict(Member.objects.values_list("external_id", "updated_at"))

    summary = import_file(
        library,
        "members",
        export("members.csv", MEMBERS_HEADER, ANNA, BART.replace("Claes", "Claessens"), CELINE),
    )

    assert (summary.updated, summary.unchanged) == (1, 2)
    after = dict(Member.objects.values_list("external_id", "updated_at"))
    assert after["M1"] == stamps["M1"] and after["M3"] == stamps["M3"]
    assert after["M2"] > stamps["M2"]


@on_postgresql
def test_postgresql_falls_back_to_on_conflict_when_a_new_id_appeared_meanwhile(
    library, export, monkeypatch
):
    # As if another import inserted the rows between this chunk's look and its INSERT.
    query = PostgresWriter._upsert_query

    def blind(self, *, plain: bool) -> str:
        sql = query(self, plain=plain)
        return sql.replace("t.id IS NULL AS new", "true AS new") if plain else sql

    import_file(library, "members", export("members.csv", MEMBERS_HEADER, ANNA, BART))
    monkeypatch.setattr(PostgresWriter, "_upsert_query", blind)

    summary = import_file(
        library, "members", export("again.csv", MEMBERS_HEADER, ANNA.replace("Anna", "Ann"), BART)
    )

    assert (summary.inserted, summary.updated, summary.unchanged) == (0, 1, 1)
    assert Member.objects.get(external_id="M1").first_name == "Ann"


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite fast path needs SQLite")
def test_sqlite_loads_through_batched_executemany(library):
    assert isinstance(writer_for_library(library), SqliteWriter)


def writer_for_library(library):
    writer = writer_for(Target(library.pk, Member, ("first_name",)))
    writer.close()
    return writer
