"""Exports that are broken or hostile in size: a row or a header line longer than any real
one is refused without being held in memory, and the rest of the file still loads."""

import csv
import tracemalloc

import pytest

from patronflow.members.import_files import MAX_ROW_CHARS, SHOWN_CHARS
from patronflow.members.import_summary import ImportFileError
from patronflow.members.models import Member
from tests.members.conftest import MEMBERS_HEADER
from tests.members.importer import import_file

ANNA = "M1,Anna,Peeters,anna@example.org,1980-05-17,2020-02-01,2026-05-01,ja,"
BART = "M3,Bart,Claes,,,2021-03-15,,,"
HUGE = 5_000_000  # characters: far past the limit, and quick to write


def test_a_row_past_the_limit_is_rejected_and_the_rows_after_it_load(library, export):
    path = export("leden.csv", MEMBERS_HEADER, ANNA, f"M2,{'x' * HUGE},,,,2020-01-01,,,", BART)

    summary = import_file(library, "members", path)

    assert (summary.inserted, summary.rejected) == (2, 1)
    [rejection] = summary.rejections
    assert (rejection.line, rejection.reason) == (
        3,
        f"row is longer than {MAX_ROW_CHARS:,} characters",
    )
    with summary.rejects_file.open(newline="", encoding="utf-8") as rejects:
        [row] = list(csv.DictReader(rejects))
    assert row["row"] == f"M2,{'x' * (SHOWN_CHARS - 3)}…"
    assert set(Member.objects.values_list("external_id", flat=True)) == {"M1", "M3"}


def test_reading_a_huge_line_holds_no_more_than_the_row_limit_of_it(library, export):
    path = export("leden.csv", MEMBERS_HEADER, ANNA, "x" * (4 * HUGE), BART)

    tracemalloc.start()
    try:
        summary = import_file(library, "members", path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert (summary.inserted, summary.rejected) == (2, 1)
    assert peak < HUGE  # the line is four times that


def test_a_header_line_past_the_limit_stops_the_import(library, export):
    path = export("leden.csv", "member_id" + "x" * HUGE, ANNA)

    too_long = rf"leden\.csv:1: the header is longer than {MAX_ROW_CHARS:,} characters"
    with pytest.raises(ImportFileError, match=too_long):
        import_file(library, "members", path)
    assert not Member.objects.exists()


def test_a_long_value_shows_only_its_beginning_in_the_reason(library, export):
    path = export("leden.csv", MEMBERS_HEADER, f"M1,Anna,,,,{'9' * 50_000},,,")

    [rejection] = import_file(library, "members", path).rejections

    assert rejection.reason == (
        f"registered_on: '{'9' * 60}'… (50,000 characters) is not a date "
        "(expected YYYY-MM-DD, DD/MM/YYYY or DD-MM-YYYY)"
    )
