"""The code tables, checked against real codes and what they mean."""

import csv
from pathlib import Path

import pytest

from patronflow.profiles import classification
from patronflow.profiles.classification import Classifier, ItemFacts

KNOWN_CODES = Path(__file__).with_name("known_codes.csv")
EXPECTED = {"fiction": True, "non-fiction": False, "none": None}


def _known_codes() -> list:
    with KNOWN_CODES.open(encoding="utf-8", newline="") as handle:
        return [
            pytest.param(row["source"], row["code"], row["expected"], id=row["what it is"])
            for row in csv.DictReader(handle)
        ]


@pytest.mark.parametrize(("source", "code", "expected"), _known_codes())
def test_each_known_code_gets_the_verdict_its_scheme_defines(source, code, expected):
    if source == "material":
        assert classification.is_digital(code) is (expected == "digital")
    else:
        assert classification.verdict(source, code) is EXPECTED[expected]


def test_the_tables_ship_inside_the_package():
    assert classification.digital_materials() == {"ebook", "eaudiobook"}


CONFLICTING = ItemFacts(
    is_fiction=False, literary_form="f", nur="680", thema="FF", siso="", genre="Kookboek"
)


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        (("library", "marc", "nur", "thema", "siso", "genre"), False),  # the library's flag
        (("marc", "library"), True),  # MARC 'f': novels
        (("nur", "thema"), False),  # NUR 680: history
        (("thema", "nur"), True),  # Thema FF: crime fiction
        (("genre",), False),  # a cookbook
        (("siso",), None),  # no SISO number: no verdict, and no other source asked
    ],
)
def test_the_first_source_in_the_order_with_a_verdict_decides(order, expected):
    assert Classifier(order=order).is_fiction(CONFLICTING) is expected


def test_a_source_without_a_verdict_passes_to_the_next():
    unsure = ItemFacts(None, literary_form="m", nur="210", thema="", siso="", genre="Romans")
    assert Classifier().is_fiction(unsure) is True


@pytest.mark.parametrize("order", [("library", "dewey"), ("nur", "nur")])
def test_an_order_with_unknown_or_repeated_sources_is_refused(order):
    with pytest.raises(ValueError):
        Classifier(order=order)
