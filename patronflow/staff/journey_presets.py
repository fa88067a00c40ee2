"""What a new journey or broadcast may start from: the standard journeys (as every library
got them) and a newsletter and an e-book broadcast, in Dutch or English, their mails as
blocks (templating/blocks.py). A preset is only a starting point: the editor opens it as a
new draft under a key of its own."""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from patronflow.journeys.definitions import STANDARD_JOURNEYS, standard_definition
from patronflow.journeys.models import Journey
from patronflow.templating.blocks import normalised

NEWSLETTER = {
    "nl": {
        "key": "nieuwsbrief",
        "name": "Nieuwsbrief",
        "subject": "{{ first_name }}, dit is er nieuw in {{ library_name }}",
        "preheader": "Nieuwe boeken, activiteiten en tips van je bib.",
        "blocks": [
            {"type": "paragraph", "html": "Dag {{ first_name }},"},
            {
                "type": "paragraph",
                "html": "Dit is er de komende weken te doen in {{ library_name }}:",
            },
            {"type": "list", "items": ["…"]},
            {"type": "paragraph", "html": "Tot binnenkort in de bib!"},
            {"type": "reading_tips"},
        ],
    },
    "en": {
        "key": "newsletter",
        "name": "Newsletter",
        "subject": "{{ first_name }}, what is new at {{ library_name }}",
        "preheader": "New books, activities and tips from your library.",
        "blocks": [
            {"type": "paragraph", "html": "Dear {{ first_name }},"},
            {"type": "paragraph", "html": "This is on at {{ library_name }} in the coming weeks:"},
            {"type": "list", "items": ["…"]},
            {"type": "paragraph", "html": "See you soon at the library!"},
            {"type": "reading_tips"},
        ],
    },
}
EBOOKS = {
    "nl": {
        "key": "e-boeken",
        "name": "E-boekenactie",
        "subject": "{{ first_name }}, nieuwe e-boeken om te lenen",
        "preheader": "Gratis met je lidkaart, meteen op je scherm.",
        "blocks": [
            {"type": "paragraph", "html": "Dag {{ first_name }},"},
            {
                "type": "paragraph",
                "html": "Je leest graag digitaal. Deze nieuwe e-boeken en luisterboeken leen "
                "je nu gratis bij {{ library_name }}.",
            },
            {"type": "reading_tips"},
        ],
    },
    "en": {
        "key": "e-books",
        "name": "E-book campaign",
        "subject": "{{ first_name }}, new e-books to borrow",
        "preheader": "Free with your library card, straight to your screen.",
        "blocks": [
            {"type": "paragraph", "html": "Dear {{ first_name }},"},
            {
                "type": "paragraph",
                "html": "You like to read on a screen. These new e-books and audiobooks are "
                "yours to borrow for free at {{ library_name }}.",
            },
            {"type": "reading_tips"},
        ],
    },
}
DIGITAL_READERS = {"reading_segments": ["fiction_digital", "nonfiction_digital"]}


@dataclass(frozen=True)
class Preset:
    name: str
    kind: str
    description: str


PRESETS = {
    "welcome": Preset(
        "welcome",
        Journey.Kind.JOURNEY,
        _("Welcome: three mails to every new member, on day 0, 7 and 21."),
    ),
    "dormant": Preset(
        "dormant",
        Journey.Kind.JOURNEY,
        _("We miss you: one mail, per reading segment, to members away for a year."),
    ),
    "newsletter": Preset(
        "newsletter",
        Journey.Kind.BROADCAST,
        _("Newsletter: one mail at a set moment to every member who may be mailed."),
    ),
    "ebooks": Preset(
        "ebooks",
        Journey.Kind.BROADCAST,
        _("E-book campaign: one mail at a set moment to members who read digitally."),
    ),
}


def preset_definition(name: str, language: str) -> dict:
    """The preset's definition in `language` (nl or en), as a new draft."""
    if name in STANDARD_JOURNEYS:
        return {**standard_definition(name, language), "status": Journey.Status.DRAFT}
    texts = {"newsletter": NEWSLETTER, "ebooks": EBOOKS}[name][language]
    return {
        "key": texts["key"],
        "name": texts["name"],
        "kind": Journey.Kind.BROADCAST,
        "status": Journey.Status.DRAFT,
        "language": language,
        "entry": DIGITAL_READERS if name == "ebooks" else {},
        "exit_when": [],
        "holdout_percent": 0,
        "send_at": None,
        "steps": [
            {
                "name": texts["name"],
                "wait_days": 0,
                "wait_from": "entry",
                "variants": [
                    {
                        "segment": "",
                        "subject": texts["subject"],
                        "preheader": texts["preheader"],
                        "blocks": normalised(texts["blocks"]),
                    }
                ],
            }
        ],
    }
