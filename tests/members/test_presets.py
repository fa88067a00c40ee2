"""Column-mapping presets: a library system's headers and codes onto patronflow's columns."""

import pytest

from patronflow.members.models import Member
from patronflow.members.presets import COLUMNS, PresetError, load_preset, shipped_presets
from tests.members.importer import import_rows

WISE_MEMBERS_HEADER = [
    "Lenersnummer",
    "Voornaam",
    "Familienaam",
    "E-mailadres",
    "Geboortedatum",
    "Inschrijvingsdatum",
    "Datum laatste activiteit",
    "Mijn Bibliotheek-profiel",
    "Einddatum lidmaatschap",
]


@pytest.fixture
def preset_file(tmp_path):
    def write(text: str, name: str = "mijnbib.toml"):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


def test_wise_headers_map_onto_the_member_columns():
    wise = load_preset("wise")

    assert wise.header_for("members", WISE_MEMBERS_HEADER) == list(COLUMNS["members"])


def test_headers_match_without_regard_to_case_or_spaces():
    wise = load_preset("wise")

    header = ["  LENERSNUMMER ", "voornaam", "Datum   laatste\tactiviteit", "\ufeffTitel"]

    assert wise.header_for("members", header[:3]) == ["member_id", "first_name", "last_activity_on"]
    assert wise.header_for("items", header[3:]) == ["title"]


def test_unknown_headers_are_left_as_they_are_for_the_importer_to_name():
    wise = load_preset("wise")

    assert wise.header_for("members", ["Lenersnummer", "Postcode", "member_id"]) == [
        "member_id",
        "Postcode",
        "member_id",
    ]


def test_one_preset_maps_each_kind_by_its_own_table():
    wise = load_preset("wise")

    assert wise.header_for("loans", ["Lenersnummer", "Exemplaarnummer", "Uitleendatum"]) == [
        "member_id",
        "item_id",
        "loaned_on",
    ]
    assert wise.header_for("items", ["Exemplaarnummer"]) == ["item_id"]


def test_codes_are_translated_ignoring_case_and_other_values_pass_untouched():
    wise = load_preset("wise")

    assert wise.value_for("items", "material", "EB") == "ebook"
    assert wise.value_for("items", "material", " eb ") == "ebook"
    assert wise.value_for("items", "material", "Boek") == "book"
    assert wise.value_for("items", "material", "Graphic novel") == "Graphic novel"
    assert wise.value_for("items", "fiction", "J") == "ja"
    assert wise.value_for("members", "first_name", "J") == "J"
    assert wise.value_for("loans", "loaned_on", "2026-05-01") == "2026-05-01"


def test_a_preset_file_of_your_own_by_path(preset_file):
    path = preset_file(
        """
        description = "Exports van onze bib"
        encoding = "cp1252"
        delimiter = ";"

        [members.columns]
        member_id = "Klantnummer"
        first_name = ["Voornaam", "Roepnaam"]

        [members.values.online_profile]
        X = "ja"
        """
    )

    preset = load_preset(str(path))

    assert (preset.name, preset.description) == ("mijnbib", "Exports van onze bib")
    assert (preset.encoding, preset.delimiter) == ("cp1252", ";")
    assert preset.header_for("members", ["klantnummer", "Roepnaam"]) == ["member_id", "first_name"]
    assert preset.value_for("members", "online_profile", "x") == "ja"
    assert preset.header_for("items", ["Titel"]) == ["Titel"]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("[members.columns\nmember_id = 'Nr'", "not valid TOML"),
        ("[members.columns]\nmember_number = 'Nr'", "key 'members.columns.member_number'"),
        ("[members.columns]\nmember_id = 12", "must be a header in quotes"),
        ("[member.columns]\nmember_id = 'Nr'", "key 'member': not a preset setting"),
        ("[members.headers]\nmember_id = 'Nr'", "key 'members.headers': not a preset table"),
        (
            "[members.columns]\nfirst_name = 'Naam'\nlast_name = 'naam'",
            "header 'naam' is already mapped to 'first_name'",
        ),
        ("[items.values.material]\nEB = 3", "key 'items.values.material.EB'"),
        ("[items.values.medium]\nEB = 'ebook'", "'medium' is not a column of items"),
        ("encoding = 'klingon'", "key 'encoding'"),
        ("delimiter = ';;'", "key 'delimiter'"),
    ],
)
def test_a_malformed_preset_names_the_file_the_key_and_the_problem(preset_file, text, problem):
    path = preset_file(text)

    with pytest.raises(PresetError) as raised:
        load_preset(str(path))

    assert str(path) in str(raised.value)
    assert problem in str(raised.value)


def test_an_unknown_preset_name_lists_the_shipped_ones():
    with pytest.raises(PresetError, match=r"no such preset file.*shipped presets: .*wise"):
        load_preset("koha")


@pytest.mark.parametrize("name", shipped_presets())
def test_every_shipped_preset_loads_and_covers_the_required_columns(name):
    preset = load_preset(name)

    assert preset.name == name and preset.description
    for kind, required in [
        ("members", {"member_id", "first_name", "registered_on"}),
        ("items", {"item_id", "title"}),
        ("loans", {"loan_id", "member_id", "item_id", "loaned_on"}),
    ]:
        assert required <= set(preset.headers[kind].values()), kind


def test_a_wise_style_export_loads_through_the_preset(library):
    wise = load_preset("wise")
    header = wise.header_for("members", WISE_MEMBERS_HEADER)
    export = [
        ["100234", "Anna", "Peeters", "anna@example.org", "17/05/1980", "01/02/2020", "", "J", ""],
        ["100235", "Bart", "Claes", "", "", "15-03-2026", "", "N", "31/12/2026"],
    ]
    rows = [
        {
            column: wise.value_for("members", column, value)
            for column, value in zip(header, row, strict=True)
        }
        for row in export
    ]

    summary = import_rows(library, "members", rows, source="wise-export.csv")

    assert (summary.inserted, summary.rejected, summary.ignored_columns) == (2, 0, [])
    anna, bart = Member.objects.filter(library=library).order_by("external_id")
    assert (anna.first_name, anna.has_online_profile) == ("Anna", True)
    assert (bart.has_online_profile, str(bart.membership_ends_on)) == (False, "2026-12-31")
