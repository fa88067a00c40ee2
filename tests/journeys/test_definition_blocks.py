"""A definition's mails as blocks: `blocks:` is checked with a path into the blocks, a `body:`
of HTML (older definitions) is read as blocks on install, never both, and an export writes
blocks."""

import pytest
from django.utils import translation

from patronflow.journeys.definitions import (
    InvalidJourney,
    dump_definition,
    export_definition,
    install_journey,
    normalise,
    parse_definition,
)
from patronflow.journeys.models import Variant
from patronflow.staff.journey_forms import problem_text
from tests.journeys.helpers import definition, step

BLOCKS = [
    {"type": "heading", "text": "Welkom, {{ first_name }}", "level": 2},
    {"type": "paragraph", "html": "Fijn dat je er bent."},
    {"type": "button", "text": "Maak je profiel", "url": "{{ profile_url }}",
     "show_if": "not has_online_profile"},
    {"type": "reading_tips"},
]  # fmt: skip


def with_variants(*variants: dict) -> dict:
    mail = step("Welkom", 0)
    mail["variants"] = list(variants)
    return definition(steps=[mail])


def test_a_mail_given_as_blocks_is_stored_and_exported_as_blocks(library):
    installed = install_journey(
        library, with_variants({"segment": "", "subject": "Welkom", "blocks": BLOCKS})
    )

    variant = Variant.objects.get(step__version=installed.version)
    exported = export_definition(installed.journey)["steps"][0]["variants"][0]
    assert exported == {
        "segment": "",
        "subject": "Welkom",
        "preheader": "",
        "blocks": [{"show_if": "", **block} for block in BLOCKS],
    }
    assert variant.with_reading_tips
    assert '<pf-button href="{{ profile_url }}">Maak je profiel</pf-button>' in variant.body


def test_an_exported_mail_of_blocks_imports_back_unchanged(library):
    installed = install_journey(
        library, with_variants({"segment": "", "subject": "Welkom", "blocks": BLOCKS})
    )
    text = dump_definition(export_definition(installed.journey))

    assert "blocks:" in text and "body:" not in text
    assert install_journey(library, parse_definition(text)).outcome == "unchanged"


def test_a_problem_in_a_block_names_its_path_in_the_definition(library):
    image = {"type": "image", "image": 4, "alt": ""}
    broken = with_variants(
        {"segment": "", "subject": "Welkom", "body": "<p>Dag</p>"},
        {"segment": "fiction_digital", "subject": "Lees", "blocks": [*BLOCKS[:3], image]},
    )

    with pytest.raises(InvalidJourney) as refused:
        install_journey(library, broken)

    assert refused.value.field == ("steps", 0, "variants", 1, "blocks", 3, "alt")
    assert refused.value.reason == "Describe the image for readers who cannot see it."
    assert "blocks (3, alt)" in str(refused.value)


def test_a_block_whose_text_does_not_render_is_refused_at_that_block(library):
    broken = with_variants(
        {"segment": "", "subject": "Welkom",
         "blocks": [BLOCKS[0], {"type": "html", "html": "<p>{{ first_name </p>"}]}
    )  # fmt: skip

    with translation.override("nl"), pytest.raises(InvalidJourney) as refused:
        install_journey(library, broken)

    assert refused.value.field == ("steps", 0, "variants", 0, "blocks", 1)
    assert "regel 1" in str(refused.value.params["problem"])


def test_a_mail_needs_a_block(library):
    with pytest.raises(InvalidJourney) as refused:
        install_journey(library, with_variants({"segment": "", "subject": "Hoi", "blocks": []}))

    assert refused.value.field == ("steps", 0, "variants", 0, "blocks")


def test_a_body_is_read_as_blocks_and_its_reading_tips_switch_adds_the_tips_block():
    normal = normalise(
        with_variants(
            {"segment": "", "subject": "Hoi", "body": "<p>Dag</p>\n<h2>Tips</h2>",
             "with_reading_tips": True}
        )
    )  # fmt: skip

    assert normal["steps"][0]["variants"][0]["blocks"] == [
        {"type": "paragraph", "html": "Dag", "show_if": ""},
        {"type": "heading", "text": "Tips", "level": 2, "show_if": ""},
        {"type": "reading_tips", "show_if": ""},
    ]


def test_a_body_beside_blocks_is_refused_on_the_body_instead_of_one_being_dropped():
    variant = {"segment": "", "subject": "Hoi", "blocks": BLOCKS, "body": "<p>Nieuw</p>"}

    with pytest.raises(InvalidJourney) as refused:
        normalise(with_variants(variant))

    assert refused.value.field == ("steps", 0, "variants", 0, "body")
    with translation.override("nl"):
        assert problem_text(refused.value) == (
            "Een mail bestaat uit blokken of uit een tekst (body), niet uit allebei: "
            "laat er één weg."
        )


def test_switching_reading_tips_off_takes_the_tips_block_out():
    variant = {"segment": "", "subject": "Hoi", "blocks": BLOCKS, "with_reading_tips": False}

    blocks = normalise(with_variants(variant))["steps"][0]["variants"][0]["blocks"]

    assert [block["type"] for block in blocks] == ["heading", "paragraph", "button"]
