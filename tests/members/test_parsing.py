"""The cell formats library systems write: dates, yes/no flags, material words, addresses."""

import datetime as dt
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from patronflow.members.models import Item
from patronflow.members.parsing import parse_boolean, parse_date, parse_email, parse_material

dates = st.dates(min_value=dt.date(1000, 1, 1), max_value=dt.date(9999, 12, 31))


@given(dates)
def test_a_date_reads_back_from_every_accepted_form(day):
    for written in (
        day.isoformat(),
        f"{day.day:02d}/{day.month:02d}/{day.year}",
        f"{day.day:02d}-{day.month:02d}-{day.year}",
        f"{day.day}/{day.month}/{day.year}",
        f"{day.isoformat()} 14:30:00",
        f"  {day.isoformat()}T08:15 ",
    ):
        assert parse_date(written) == day, written


def test_an_empty_date_cell_is_no_date():
    assert parse_date("") is None
    assert parse_date("   ") is None


@pytest.mark.parametrize(
    "text",
    ["31/02/2020", "2020-13-01", "01/13/2020", "12/31/2020", "2020/01/01", "gisteren", "1.1.2020"],
)
def test_an_impossible_or_ambiguous_date_is_refused_with_the_accepted_forms(text):
    with pytest.raises(ValueError, match=re.escape(repr(text))):
        parse_date(text)


@given(
    st.sampled_from(["yes", "true", "1", "ja", "no", "false", "0", "nee"]),
    st.sampled_from([str.lower, str.upper, str.title]),
)
def test_yes_and_no_are_understood_in_english_dutch_and_digits_in_any_case(word, case):
    assert parse_boolean(f" {case(word)} ") is (word in {"yes", "true", "1", "ja"})


def test_an_empty_yes_no_cell_is_left_to_the_column_default():
    assert parse_boolean("") is None


def test_an_unknown_yes_no_value_is_refused():
    with pytest.raises(ValueError, match="yes/no, true/false, 1/0 or ja/nee"):
        parse_boolean("misschien")


@pytest.mark.parametrize(
    ("word", "material"),
    [
        ("Boek", Item.Material.BOOK),
        ("E-book", Item.Material.EBOOK),
        ("ebook", Item.Material.EBOOK),
        ("Luisterboek", Item.Material.AUDIOBOOK),
        ("e-luisterboek", Item.Material.EAUDIOBOOK),
        ("eAudiobook", Item.Material.EAUDIOBOOK),
        ("Strip", Item.Material.COMIC),
        ("tijdschrift", Item.Material.MAGAZINE),
        ("DVD", Item.Material.FILM),
        ("film", Item.Material.FILM),
        ("CD", Item.Material.MUSIC),
        ("muziek", Item.Material.MUSIC),
        ("Game", Item.Material.GAME),
        ("", Item.Material.BOOK),
        ("3D-printer", Item.Material.OTHER),
    ],
)
def test_material_words_in_dutch_and_english_map_onto_the_catalogue_types(word, material):
    assert parse_material(word) == material


def test_an_address_is_normalised_and_an_empty_one_means_not_mailable():
    assert parse_email(" an.peeters@EXAMPLE.org ") == "an.peeters@example.org"
    assert parse_email("") == ""


def test_a_malformed_address_is_refused_with_the_reason():
    with pytest.raises(ValueError, match=re.escape("'an.peeters@' is not a valid e-mail address")):
        parse_email("an.peeters@")
