"""Messy real exports: encodings, separators, date forms, multi-line values, new columns,
and a library system's own headers through a preset."""

import datetime as dt

import pytest

from patronflow.members.import_summary import ImportFileError
from patronflow.members.models import Item, Loan, Member
from tests.members.conftest import ITEMS_HEADER, LOANS_HEADER, MEMBERS_HEADER
from tests.members.importer import import_file


def test_an_encoding_named_by_hand_overrides_detection(library, export):
    # "Ã©" in Latin-1 is the two bytes of a UTF-8 "é": detection would read "Céline".
    path = export("leden.csv", MEMBERS_HEADER, "M1,CÃ©line,,,,2020-02-01,,,", encoding="latin-1")

    summary = import_file(library, "members", path, encoding="latin-1")

    assert summary.encoding == "Latin-1"
    assert Member.objects.get(external_id="M1").first_name == "CÃ©line"


def test_a_utf16_export_loads_when_its_encoding_is_named(library, export):
    path = export("leden.csv", MEMBERS_HEADER, "M1,Zoë,Ünal,,,2020-02-01,,,", encoding="utf-16")

    summary = import_file(library, "members", path, encoding="utf-16")

    assert (summary.inserted, summary.encoding) == (1, "UTF-16")
    assert Member.objects.get(external_id="M1").last_name == "Ünal"


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_a_utf16_export_is_recognised_by_its_byte_order_mark(library, export, tmp_path, encoding):
    # What Excel saves as "Unicode text": UTF-16 with a byte-order mark, tab-separated.
    lines = [MEMBERS_HEADER, "M1,Zoë,Ünal,,,2020-02-01,,,", "M2,Çelik,Şahin,,,2021-03-04,,,"]
    text = "".join(f"{line}\r\n" for line in lines).replace(",", "\t")
    path = tmp_path / "leden.txt"
    path.write_bytes("\ufeff".encode(encoding) + text.encode(encoding))

    summary = import_file(library, "members", path)

    assert (summary.encoding, summary.delimiter, summary.inserted) == ("UTF-16", "\t", 2)
    assert Member.objects.get(external_id="M2").last_name == "Şahin"


def test_a_utf16_export_without_byte_order_mark_is_named_as_such(library, export):
    path = export("leden.csv", MEMBERS_HEADER, "M1,Zoë,,,,2020-02-01,,,", encoding="utf-16-le")

    with pytest.raises(
        ImportFileError, match=r"UTF-16 .* name its encoding with --encoding utf-16-le"
    ):
        import_file(library, "members", path)
    assert not Member.objects.exists()


def test_a_named_encoding_the_file_does_not_match_is_a_fatal_error_naming_it(library, export):
    path = export("leden.csv", MEMBERS_HEADER, "M1,Céline,,,,2020-02-01,,,", encoding="latin-1")

    with pytest.raises(ImportFileError, match=r"leden\.csv is not UTF-8: invalid continuation"):
        import_file(library, "members", path, encoding="utf-8")
    with pytest.raises(ImportFileError, match="'klingon' is not an encoding Python knows"):
        import_file(library, "members", path, encoding="klingon")


@pytest.mark.parametrize(("delimiter", "name"), [(",", ","), (";", ";"), ("\t", "\t")])
def test_comma_semicolon_and_tab_separated_exports_load_alike(library, export, delimiter, name):
    path = export(
        "leden.csv",
        MEMBERS_HEADER.replace(",", delimiter),
        f"M1{delimiter}Anna{delimiter}Peeters{delimiter}{delimiter}{delimiter}2020-02-01"
        + delimiter * 3,
    )

    summary = import_file(library, "members", path)

    assert (summary.inserted, summary.rejected, summary.delimiter) == (1, 0, name)


def test_dates_load_in_every_accepted_form(library, export):
    path = export(
        "leden.csv",
        "member_id,first_name,registered_on",
        "M1,Anna,2024-03-01",
        "M2,Bart,01/03/2024",
        "M3,Céline,01-03-2024",
        "M4,Dirk,1/3/2024",
        "M5,Eva,2024-03-01 14:22:10",
        "M6,Frank,2024-03-01T14:22",
    )

    summary = import_file(library, "members", path)

    assert summary.rejected == 0
    assert set(Member.objects.values_list("registered_on", flat=True)) == {dt.date(2024, 3, 1)}


def test_a_quoted_value_with_line_breaks_keeps_them_and_later_lines_keep_their_numbers(
    library, export
):
    path = export(
        "titels.csv",
        ITEMS_HEADER,
        'I1,"Gedichten\nvoor elke dag\r\n(bloemlezing)",,,,,,,',
        "I2,,,,,,,,",
    )

    summary = import_file(library, "items", path)

    assert Item.objects.get(external_id="I1").title == "Gedichten\nvoor elke dag\r\n(bloemlezing)"
    assert [str(r) for r in summary.rejections] == [f"{path}:5: title is empty"]


def test_items_carry_marc_literary_form_and_thema_code(library, export):
    path = export(
        "titels.csv",
        f"{ITEMS_HEADER},literary_form,thema",
        "I1,Het smelt,Lize Spit,,boek,,302,,,1,FBA",
        "I2,Congo,David Van Reybrouck,,,947.1,680,,,0,NHK",
        "I3,Zonder codes,,,,,,,,,",
        "I4,Te lang,,,,,,,,10,",
    )

    summary = import_file(library, "items", path)

    stored = dict(Item.objects.values_list("external_id", "literary_form"))
    assert stored == {"I1": "1", "I2": "0", "I3": ""}
    assert Item.objects.get(external_id="I1").thema == "FBA"
    assert [r.reason for r in summary.rejections] == ["literary_form is longer than 1 characters"]


def test_a_wise_export_loads_end_to_end_through_the_shipped_preset(library, export):
    export_header = (
        "Lenersnummer;Voornaam;Familienaam;E-mailadres;Geboortedatum;Inschrijvingsdatum;"
        "Datum laatste activiteit;Mijn Bibliotheek-profiel;Einddatum lidmaatschap"
    )
    members = export(
        "leners.csv",
        export_header,
        "100234;Anna;Peeters;anna@example.org;17/05/1980;01/02/2020;;J;",
        "100235;Céline;Dewaële;;;15-03-2026;;N;31/12/2026",
        encoding="cp1252",
    )
    items = export(
        "exemplaren.csv",
        "Exemplaarnummer;Titel;Materiaalsoort;Fictie;Literair type;Thema",
        "B1;Het smelt;BK;J;1;FBA",
        "B2;Congo;EB;N;0;NHK",
    )
    loans = export(
        "uitleningen.csv",
        "Uitleennummer;Lenersnummer;Exemplaarnummer;Uitleendatum",
        "U1;100234;B2;02/05/2026",
    )

    summaries = [
        import_file(library, "members", members, preset="wise"),
        import_file(library, "items", items, preset="wise"),
        import_file(library, "loans", loans, preset="wise"),
    ]

    assert [(s.inserted, s.rejected, s.ignored_columns) for s in summaries] == [(2, 0, [])] * 2 + [
        (1, 0, [])
    ]
    celine = Member.objects.get(external_id="100235")
    assert (celine.last_name, celine.has_online_profile) == ("Dewaële", False)
    congo = Item.objects.get(external_id="B2")
    assert (congo.material, congo.is_fiction, congo.literary_form, congo.thema) == (
        "ebook",
        False,
        "0",
        "NHK",
    )
    assert Loan.objects.get().member.first_name == "Anna"


def test_an_unknown_preset_is_a_fatal_error(library, export):
    path = export("members.csv", MEMBERS_HEADER)

    with pytest.raises(ImportFileError, match="no such preset file"):
        import_file(library, "members", path, preset="nergens.toml")


def test_loans_header_alone_is_nothing_to_do(library, export):
    summary = import_file(library, "loans", export("loans.csv", LOANS_HEADER))

    assert (summary.rows, summary.rejects_file) == (0, None)
