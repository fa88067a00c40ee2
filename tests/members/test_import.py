"""Importing library-system exports: upserts keyed by the library's ids, and honest rejections."""

import csv
import datetime as dt
import io
import re
import tempfile
from itertools import count
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from patronflow.members.import_files import MAX_ROW_CHARS
from patronflow.members.import_summary import ImportFileError
from patronflow.members.imports import SourceRow
from patronflow.members.models import Item, Loan, Member
from tests.factories import ItemFactory, LibraryFactory, MemberFactory
from tests.members.conftest import ITEMS_HEADER, LOANS_HEADER, MEMBERS_HEADER
from tests.members.importer import import_file, import_rows

ANNA = "M1,Anna,Peeters,anna@example.org,1980-05-17,2020-02-01,2026-05-01,ja,"
BART = "M2,Bart,Claes,,17/05/1975,15/03/2021,,nee,31-12-2027"
CELINE = "M3,Céline,Dupont,celine@example.org,,2024-09-30,,,"


def member_rows(library) -> list[dict]:
    return list(
        Member.objects.filter(library=library)
        .order_by("external_id")
        .values(
            "external_id", "first_name", "last_name", "email", "birth_date", "registered_on",
            "last_activity_on", "has_online_profile", "membership_ends_on", "updated_at",
        )
    )  # fmt: skip


def test_importing_members_loads_every_column(library, export):
    path = export("members.csv", MEMBERS_HEADER, ANNA, BART, CELINE)

    summary = import_file(library, "members", path)

    assert (summary.rows, summary.inserted, summary.rejected) == (3, 3, 0)
    anna, bart, celine = Member.objects.filter(library=library).order_by("external_id")
    assert (anna.first_name, anna.last_name, anna.email) == ("Anna", "Peeters", "anna@example.org")
    assert anna.birth_date == dt.date(1980, 5, 17)
    assert anna.registered_on == dt.date(2020, 2, 1)
    assert anna.last_activity_on == dt.date(2026, 5, 1)
    assert anna.has_online_profile is True
    assert bart.email == ""
    assert bart.birth_date == dt.date(1975, 5, 17)
    assert bart.membership_ends_on == dt.date(2027, 12, 31)
    assert bart.has_online_profile is False
    assert celine.first_name == "Céline"
    assert celine.has_online_profile is False  # empty means no profile
    assert celine.birth_date is None


def test_importing_the_same_file_twice_writes_nothing_the_second_time(library, export):
    path = export("members.csv", MEMBERS_HEADER, ANNA, BART, CELINE)
    import_file(library, "members", path)
    before = member_rows(library)

    again = import_file(library, "members", path)

    assert (again.inserted, again.updated, again.unchanged) == (0, 0, again.rows)
    assert again.rows == 3
    assert member_rows(library) == before  # updated_at too: not a single row was written


def test_a_changed_row_is_updated_and_the_others_are_left_alone(library, export):
    import_file(library, "members", export("members.csv", MEMBERS_HEADER, ANNA, BART, CELINE))
    untouched = Member.objects.get(library=library, external_id="M1").updated_at
    bart_moved = BART.replace(",,17/05/1975", ",bart.claes@example.org,17/05/1975")

    summary = import_file(
        library, "members", export("members.csv", MEMBERS_HEADER, ANNA, bart_moved, CELINE)
    )

    assert (summary.inserted, summary.updated, summary.unchanged) == (0, 1, 2)
    assert Member.objects.get(library=library, external_id="M2").email == "bart.claes@example.org"
    assert Member.objects.get(library=library, external_id="M1").updated_at == untouched


def test_a_file_with_bom_and_semicolons_loads(library, export):
    path = export(
        "leden.csv",
        MEMBERS_HEADER.replace(",", ";"),
        "M1;Anna;Peeters;anna@example.org;1980-05-17;01/02/2020;;ja;",
        bom=True,
    )

    summary = import_file(library, "members", path)

    assert (summary.inserted, summary.rejected) == (1, 0)
    assert (summary.encoding, summary.delimiter) == ("UTF-8", ";")
    assert Member.objects.get(library=library, external_id="M1").first_name == "Anna"


def test_a_latin1_file_loads_with_its_accents_right(library, export):
    path = export(
        "leden.csv",
        MEMBERS_HEADER.replace(",", ";"),
        "M1;Céline;Dewaële;;;01/02/2020;;;",
        "M2;Loïc;Müller-Françoise;;;01/02/2020;;;",
        encoding="latin-1",
    )

    summary = import_file(library, "members", path)

    assert summary.rejected == 0
    names = Member.objects.filter(library=library).order_by("external_id")
    assert [(m.first_name, m.last_name) for m in names] == [
        ("Céline", "Dewaële"),
        ("Loïc", "Müller-Françoise"),
    ]


def test_a_windows_export_keeps_its_curly_apostrophes(library, export):
    path = export("leden.csv", MEMBERS_HEADER, "M1,Seán,O’Brien,,,01/02/2020,,,", encoding="cp1252")

    import_file(library, "members", path)

    assert Member.objects.get(library=library, external_id="M1").last_name == "O’Brien"


def test_bad_rows_are_reported_with_file_line_and_reason_while_good_rows_load(library, export):
    path = export(
        "members.csv",
        MEMBERS_HEADER,  # line 1
        ANNA,  # line 2
        'M2,"Bart\nJan",Claes,,,2021-03-15,,,',  # lines 3-4: a name with a line break
        ",Zonder,Nummer,,,2021-03-15,,,",  # line 5
        "M4,Dirk,Janssens,,,2021-02-30,,,",  # line 6
        "M5,Eva,Wouters,eva@@example.org,,2021-03-15,,,",  # line 7
        "",  # line 8
        CELINE,  # line 9
    )

    summary = import_file(library, "members", path)

    missing_id, impossible_date, bad_address = (str(r) for r in summary.rejections)
    assert missing_id == f"{path}:5: member_id is empty"
    assert impossible_date == f"{path}:6: registered_on: '2021-02-30' is not a date on the calendar"
    assert bad_address.startswith(
        f"{path}:7: email: 'eva@@example.org' is not a valid e-mail address: "
    )  # followed by email-validator's explanation
    assert (summary.rows, summary.inserted, summary.rejected) == (6, 3, 3)
    assert set(Member.objects.values_list("external_id", flat=True)) == {"M1", "M2", "M3"}
    assert Member.objects.get(external_id="M2").first_name == "Bart\nJan"


def test_every_problem_of_a_row_is_named_at_once(library):
    rows = [{"member_id": "M1", "first_name": "", "registered_on": "gisteren", "email": "x"}]

    summary = import_rows(library, "members", rows, source="delta")

    [rejection] = summary.rejections
    assert rejection.reason.startswith("first_name is empty; email: 'x' is not a valid")
    assert "registered_on: 'gisteren' is not a date" in rejection.reason


def test_a_row_with_more_fields_than_the_header_is_rejected_not_shifted(library, export):
    path = export("members.csv", MEMBERS_HEADER, "M1,Anna,Peeters,Gent,,,2020-02-01,,,", BART)

    summary = import_file(library, "members", path)

    assert [str(r) for r in summary.rejections] == [
        f"{path}:2: has 10 fields where the header has 9 "
        "(a separator in a value that is not quoted, or a quote that is never closed?)"
    ]
    assert summary.inserted == 1


def test_a_quote_never_closed_near_the_end_rejects_its_row(library, export):
    path = export("members.csv", MEMBERS_HEADER, BART, 'M9,"Anna,Peeters,,,2020-02-01,,,', CELINE)

    summary = import_file(library, "members", path)

    assert [str(r) for r in summary.rejections] == [
        f"{path}:3: has 2 fields where the header has 9 "
        "(a separator in a value that is not quoted, or a quote that is never closed?)"
    ]
    assert summary.inserted == 1


def test_loans_of_unknown_members_or_items_are_rejected_and_the_others_load(library, export):
    member = MemberFactory(library=library, external_id="M1")
    item = ItemFactory(library=library, external_id="I1")
    path = export(
        "loans.csv",
        LOANS_HEADER,
        "L1,M1,I1,2026-05-02",
        "L2,M404,I1,2026-05-02",
        "L3,M1,I404,2026-05-02",
        "L4,M404,I404,2026-05-02",
        "L5,M1,I1,",
    )

    summary = import_file(library, "loans", path)

    assert [str(r) for r in summary.rejections] == [
        f"{path}:3: unknown member 'M404'",
        f"{path}:4: unknown item 'I404'",
        f"{path}:5: unknown member 'M404'; unknown item 'I404'",
        f"{path}:6: loaned_on is empty",
    ]
    [loan] = Loan.objects.all()
    assert (loan.external_id, loan.member, loan.item) == ("L1", member, item)
    assert loan.loaned_on == dt.date(2026, 5, 2)


def test_ids_of_another_library_never_match(library, export):
    brugge = LibraryFactory(code="brugge")
    MemberFactory(library=brugge, external_id="M1")
    ItemFactory(library=brugge, external_id="I1")
    ItemFactory(library=library, external_id="I1")

    summary = import_file(
        library, "loans", export("loans.csv", LOANS_HEADER, "L1,M1,I1,2026-05-02")
    )

    assert [r.reason for r in summary.rejections] == ["unknown member 'M1'"]
    assert not Loan.objects.exists()


def test_the_same_member_id_in_two_libraries_stays_two_members(library, export):
    brugge = LibraryFactory(code="brugge")
    path = export("members.csv", MEMBERS_HEADER, ANNA)
    import_file(brugge, "members", path)

    summary = import_file(
        library, "members", export("gent.csv", MEMBERS_HEADER, ANNA.replace("Anna", "Annelies"))
    )

    assert summary.inserted == 1
    assert Member.objects.get(library=brugge, external_id="M1").first_name == "Anna"
    assert Member.objects.get(library=library, external_id="M1").first_name == "Annelies"


def test_an_unsubscribe_survives_a_reimport_even_of_a_changed_row(library, export):
    import_file(library, "members", export("members.csv", MEMBERS_HEADER, ANNA))
    unsubscribed_at = timezone.now()
    Member.objects.filter(external_id="M1").update(unsubscribed_at=unsubscribed_at)

    summary = import_file(
        library, "members", export("members.csv", MEMBERS_HEADER, ANNA.replace("Peeters", "Peters"))
    )

    assert summary.updated == 1
    member = Member.objects.get(external_id="M1")
    assert (member.last_name, member.unsubscribed_at) == ("Peters", unsubscribed_at)


def test_a_column_the_file_does_not_carry_is_left_alone(library, export):
    import_file(library, "members", export("members.csv", MEMBERS_HEADER, ANNA))

    summary = import_file(
        library,
        "members",
        export("activity.csv", "member_id,first_name,registered_on,last_activity_on",
               "M1,Anna,2020-02-01,2026-05-30"),
    )  # fmt: skip

    assert summary.updated == 1
    anna = Member.objects.get(external_id="M1")
    assert anna.last_activity_on == dt.date(2026, 5, 30)
    assert (anna.email, anna.has_online_profile) == ("anna@example.org", True)


@pytest.mark.parametrize(
    ("kind", "header", "missing"),
    [
        ("members", "member_id,last_name,email,registered_on", "first_name"),
        ("items", "item_id,author", "title"),
        ("loans", "loan_id,member_id,loaned_on", "item_id"),
        ("loans", MEMBERS_HEADER.replace(",", ";"), "loan_id, item_id, loaned_on"),
    ],
)
def test_a_missing_required_column_names_it_and_loads_nothing(
    library, export, kind, header, missing
):
    path = export("export.csv", header, ",".join(["X"] * (header.count(",") + 1)))

    with pytest.raises(
        ImportFileError, match=f"missing required columns? {missing} for an import of {kind}"
    ):
        import_file(library, kind, path)

    assert not Member.objects.exists() and not Item.objects.exists()


def test_an_empty_or_unreadable_file_is_a_fatal_error(library, export, tmp_path):
    with pytest.raises(ImportFileError, match=r"empty\.csv is empty: a header row is expected"):
        import_file(library, "members", export("empty.csv"))
    with pytest.raises(ImportFileError, match=r"cannot read .*missing\.csv: No such file"):
        import_file(library, "members", tmp_path / "missing.csv")


def test_a_quote_that_is_never_closed_makes_one_row_too_long_and_the_rest_loads(library, export):
    rows = [f"I{n},Titel,,,,,,," for n in range(2, 10_000)]
    path = export("items.csv", ITEMS_HEADER, 'I1,"De titel,Auteur,,,,,,', *rows)

    summary = import_file(library, "items", path)

    [rejection] = summary.rejections
    spans = re.fullmatch(
        rf"row is longer than {MAX_ROW_CHARS:,} characters "
        r"\(lines 2-(\d+): a quote that is never closed\?\)",
        rejection.reason,
    )
    assert spans and (rejection.line, summary.rejected) == (2, 1)
    # Every line after the ones the open quote took in loads (line n holds item n - 1).
    assert summary.inserted == 10_000 - int(spans[1])
    assert Item.objects.filter(external_id="I9999").exists()


def test_an_unknown_column_is_ignored_and_named(library, export):
    path = export("members.csv", MEMBERS_HEADER + ",emial", ANNA + ",x")

    summary = import_file(library, "members", path)

    assert (summary.inserted, summary.ignored_columns) == (1, ["emial"])


def test_a_repeated_id_in_one_file_is_counted_and_its_last_row_wins(library, export, small_chunks):
    path = export(
        "members.csv",
        MEMBERS_HEADER,
        ANNA,
        ANNA.replace("Peeters", "Peeters-1"),
        BART,
        ANNA.replace("Peeters", "Peeters-2"),
        ANNA.replace("Peeters", "Peeters-3"),
    )

    first = import_file(library, "members", path)

    assert (first.rows, first.inserted, first.repeated) == (5, 2, 3)
    assert Member.objects.get(external_id="M1").last_name == "Peeters-3"


def test_items_load_material_and_fiction_from_library_words(library, export):
    path = export(
        "items.csv",
        ITEMS_HEADER,
        "I1,Het Smelt,Lize Spit,9789023496335,Boek,,302,roman,ja",
        "I2,Congo,David Van Reybrouck,,e-book,947.1,680,,nee",
        "I3,De Kat,,,3D-model,,,,",
    )

    summary = import_file(library, "items", path)

    assert summary.rejected == 0
    items = {i.external_id: i for i in Item.objects.filter(library=library)}
    assert (items["I1"].material, items["I1"].is_fiction, items["I1"].nur) == ("book", True, "302")
    assert (items["I2"].material, items["I2"].is_fiction, items["I2"].siso) == (
        "ebook",
        False,
        "947.1",
    )
    assert (items["I3"].material, items["I3"].is_fiction) == ("other", None)


def test_a_value_longer_than_its_column_is_rejected(library, export):
    path = export("items.csv", ITEMS_HEADER, f"I1,Titel,,,,,{'1' * 9},,")

    summary = import_file(library, "items", path)

    assert [r.reason for r in summary.rejections] == ["nur is longer than 8 characters"]


def test_rows_without_line_numbers_are_counted_as_lines_of_a_file_with_a_header(library):
    rows = [
        {"member_id": "M1", "first_name": "Anna", "registered_on": "2026-05-01"},
        {"member_id": "M2", "first_name": "Bart", "registered_on": "morgen"},
    ]

    summary = import_rows(library, "members", rows, source="arrivals 2026-05-01")

    assert [str(r) for r in summary.rejections] == [
        "arrivals 2026-05-01:3: registered_on: 'morgen' is not a date "
        "(expected YYYY-MM-DD, DD/MM/YYYY or DD-MM-YYYY)"
    ]
    assert summary.inserted == 1


def test_source_rows_keep_the_line_they_came_from(library):
    rows = [SourceRow({"member_id": "M1", "first_name": "", "registered_on": "2026-05-01"}, 41)]

    summary = import_rows(library, "members", rows, source="leden.csv")

    assert str(summary.rejections[0]) == "leden.csv:41: first_name is empty"


def test_no_rows_is_nothing_to_do(library):
    summary = import_rows(library, "loans", [], source="loans today")

    assert (summary.rows, summary.loaded, summary.rejected) == (0, 0, 0)


def test_a_batch_costs_the_same_few_queries_however_many_rows_it_has(library, export):
    for n in range(50):
        MemberFactory(library=library, external_id=f"M{n}")
        ItemFactory(library=library, external_id=f"I{n}")

    def queries_for(rows: int) -> int:
        lines = [f"L{rows}-{n},M{n},I{n},2026-05-02" for n in range(rows)]
        with CaptureQueriesContext(connection) as queries:
            import_file(library, "loans", export("loans.csv", LOANS_HEADER, *lines))
        return len(queries)

    assert queries_for(5) == queries_for(50)


def test_the_progress_callback_ends_at_the_file_size(library, export):
    path = export("members.csv", MEMBERS_HEADER, ANNA, BART)
    calls = []

    import_file(library, "members", path, progress=lambda done, total: calls.append((done, total)))

    assert calls[-1] == (path.stat().st_size, path.stat().st_size)


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


names = st.text(
    st.characters(codec="latin-1", exclude_categories=["Cc", "Cs"]), min_size=1, max_size=30
).filter(lambda text: text.strip() == text and text)
member_numbers = count()


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    first_names=st.lists(names, min_size=1, max_size=5),
    delimiter=st.sampled_from([",", ";"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "latin-1"]),
)
def test_any_name_survives_the_trip_through_a_csv_export(library, first_names, delimiter, encoding):
    ids = [f"H{next(member_numbers)}" for _ in first_names]
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(["member_id", "first_name", "registered_on"])
    writer.writerows(
        [member_id, name, "2026-05-01"] for member_id, name in zip(ids, first_names, strict=True)
    )
    data = buffer.getvalue().encode(encoding)
    # Latin-1 bytes that happen to spell valid UTF-8 ("Ã©") are read as UTF-8, by design.
    assume(encoding != "latin-1" or data.isascii() or not _is_utf8(data))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "members.csv"
        path.write_bytes(data)

        summary = import_file(library, "members", path)

    assert summary.rejected == 0, summary.rejections
    stored = dict(
        Member.objects.filter(external_id__in=ids).values_list("external_id", "first_name")
    )
    assert [stored[member_id] for member_id in ids] == first_names
