"""Every text of the staff application has its Dutch translation, compiled."""

from pathlib import Path

from django.utils import translation

import patronflow.staff

CATALOGUE = Path(patronflow.staff.__file__).parent / "locale" / "nl" / "LC_MESSAGES"


def entries(po: str) -> list[str]:
    return po.strip().split("\n\n")[1:]  # the first block is the header


def test_every_text_is_translated_and_none_is_fuzzy():
    po = (CATALOGUE / "django.po").read_text("utf-8")
    untranslated = [
        entry.splitlines()[0]
        for entry in entries(po)
        if entry.rstrip().endswith('msgstr ""') or entry.rstrip().endswith('msgstr[1] ""')
    ]
    assert not untranslated
    assert "#, fuzzy" not in po


def test_the_compiled_catalogue_is_committed_and_used():
    assert (CATALOGUE / "django.mo").exists()
    with translation.override("nl"):
        assert translation.gettext("Send a test to me") == "Stuur mij een test"
        assert translation.gettext("Save") == "Bewaren"
