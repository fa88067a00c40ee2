"""What changed between two versions, in the words the journey page and the templates show."""

import pytest
from django.utils import translation

from patronflow.journeys.definitions import export_definition, normalise
from patronflow.journeys.diffs import (
    ADDED,
    CHANGED,
    MOVED,
    REMOVED,
    definition_changes,
    version_changes,
)
from tests.factories import MemberFactory
from tests.journeys.helpers import definition, install, step


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def texts(before: dict, after: dict) -> list[str]:
    return [change.text for change in definition_changes(normalise(before), normalise(after))]


def test_a_longer_wait_and_an_added_mail_are_said_per_mail():
    before = definition(steps=[step("Hi", 0), step("Tips", 7)])
    after = definition(steps=[step("Hi", 0), {**step("Tips", 14)}, step("Last", 21)])

    assert texts(before, after) == [
        "Mail 2: wait day 7 after entering → day 14 after entering",
        "Mail 3 added: Last",
    ]


def test_settings_entry_exits_and_variants_are_named_with_before_and_after():
    before = definition(steps=[step("Hi", 0, fiction_digital="Read on screen")])
    after = definition(
        steps=[step("Hi", 0, subject="Hello", nonfiction_physical="Facts")],
        entry={"registered_within_days": 14},
        exit_when=["came_back"],
        holdout_percent=10,
        reentry_after_days=365,
    )

    changes = definition_changes(normalise(before), normalise(after))

    assert [change.text for change in changes] == [
        "Re-entry: never → after 365 days",
        "Holdout: 0% → 10%",
        "Entry audience changed",
        "Leaves when: Came back (loan or visit) added",
        "Mail 1, Everyone else: subject Hi → Hello",
        "Mail 1: variant for Fiction, digital removed",
        "Mail 1: variant for Non-fiction, physical added",
    ]
    entry = changes[2]
    assert (entry.before, entry.after) == ("{}", '{"registered_within_days": 14}')
    assert [change.kind for change in changes[-2:]] == [REMOVED, ADDED]


def test_the_texts_are_dutch_for_a_dutch_marketer():
    before = definition(steps=[step("Hi", 0), step("Tips", 7)])
    after = definition(steps=[step("Hi", 0)])

    with translation.override("nl"):
        assert texts(before, after) == ["Mail 2 verwijderd: Tips"]


def test_a_new_version_is_compared_with_the_one_before(library):
    installed = install(library, steps=[step("Hi", 0)], entry={})
    MemberFactory(library=library)
    installed.journey.enrolments.create(
        version=installed.version,
        member=library.members.get(),
        entered_on=installed.version.created_at.date(),
    )
    changed = install(library, steps=[step("Hi", 0), step("More", 7)], entry={})

    assert changed.outcome == "new version"
    assert [c.text for c in version_changes(changed.journey, 2)] == ["Mail 2 added: More"]
    assert version_changes(changed.journey, 1) == []
    assert export_definition(changed.journey, 1)["steps"][0]["name"] == "Hi"


def _with_blocks(blocks: list[dict]) -> dict:
    mail = step("Hi", 0)
    mail["variants"][0] = {"segment": "", "subject": "Hi", "blocks": blocks}
    return definition(steps=[mail])


PARAGRAPH = {"type": "paragraph", "html": "Dag {{ first_name }},"}
BUTTON = {"type": "button", "text": "Maak je profiel", "url": "{{ profile_url }}"}
IMAGE = {"type": "image", "image": 3, "alt": "De leeszaal"}


def test_a_mail_says_which_block_changed_was_added_removed_or_moved():
    heading = {"type": "heading", "text": "Nieuw", "level": 2}
    divider = {"type": "divider"}
    before = _with_blocks([PARAGRAPH, BUTTON, heading, IMAGE, divider])
    after = _with_blocks(
        [{**BUTTON, "text": "Naar Mijn Bibliotheek"}, IMAGE, divider, PARAGRAPH,
         {"type": "reading_tips"}]
    )  # fmt: skip

    changes = definition_changes(normalise(before), normalise(after))

    assert [change.text for change in changes] == [
        "Mail 1, Everyone else: block 1 (Button) changed",
        "Mail 1, Everyone else: block 3 (Heading) removed",
        "Mail 1, Everyone else: block Paragraph moved from place 1 to 4",
        "Mail 1, Everyone else: reading tips added",
    ]
    assert [change.kind for change in changes] == [CHANGED, REMOVED, MOVED, ADDED]
    assert changes[0].after["text"] == "Naar Mijn Bibliotheek"


def test_a_body_edited_as_html_is_compared_by_its_blocks():
    before = definition(steps=[step("Hi", 0)])
    after = definition(steps=[step("Hi", 0)])
    after["steps"][0]["variants"][0]["body"] = "<p>Hi</p>\n<p>Tot snel!</p>"

    changes = definition_changes(normalise(before), normalise(after))

    assert [(change.text, change.field) for change in changes] == [
        ("Mail 1, Everyone else: block 2 (Paragraph) added", "blocks")
    ]
    assert changes[0].after == {"type": "paragraph", "html": "Tot snel!", "show_if": ""}


def test_block_changes_read_in_dutch():
    before = _with_blocks([PARAGRAPH, BUTTON])
    after = _with_blocks([PARAGRAPH, {"type": "divider"}, BUTTON])

    with translation.override("nl"):
        assert texts(before, after) == ["Mail 1, Alle anderen: blok 2 (Scheidingslijn) toegevoegd"]
