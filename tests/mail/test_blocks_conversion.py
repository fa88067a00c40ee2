"""The built-in mails, converted to blocks, reach members as they did as HTML bodies: for every
mail of the standard journeys (Dutch and English, every step and variant), for members with
and without an online profile, with and without reading tips, the mail rendered from the body
as written and the mail rendered from the blocks it was converted into have the same text,
the same links and the same images. Both go through the real rendering (render_mail). And
what members read of them, the text parts and the links, is what they read before blocks:
data/standard_mails_before_blocks.json holds it as the code at commit 7a01d41 rendered the
bodies (tracking links normalised). One line differs on purpose: since issue 24 the footer's
link opens the preference page instead of the unsubscribe page (the one-click header still
unsubscribes), so the comparison puts that footer sentence, and only it, in the file's place
(FOOTER_NOW: exactly once per mail)."""

import json
import re
from pathlib import Path

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from hypothesis import given, settings
from hypothesis import strategies as st

from patronflow.journeys.definitions import STANDARD_JOURNEYS, install_journey, standard_definition
from patronflow.journeys.models import Journey, Variant
from patronflow.mail.rendering import RenderedMail, plain_text, render_mail, sanitise
from patronflow.members.models import Member
from patronflow.profiles.tips import ReadingTip
from patronflow.templating.blocks import from_html, to_template, validate
from patronflow.templating.sandbox import TemplateProblem
from patronflow.templating.staff_text import SAMPLE_VALUES, render_staff_text
from tests.factories import LibraryFactory

TIPS = [
    ReadingTip("De avonden", "Gerard Reve", "9789023467561"),
    ReadingTip("Wil", "Jeroen Olyslaegers", ""),
]
_IMAGE = re.compile(r"<img\b[^>]*>")
BEFORE_BLOCKS = json.loads(
    (Path(__file__).parent / "data" / "standard_mails_before_blocks.json").read_text("utf-8")
)
# A tracking link: its address (the settings') and its signed token normalised.
_TRACKING = re.compile(r"https?://[^/\s)]+(/t/[a-z]/[^:/)\s]*):[^/)\s]+")
# The footer sentence as the file has it (the old code's), and as members read it now.
FOOTER_NOW = {
    "nl": (
        "Liever geen mails meer? [Uitschrijven](TRACKING/t/u/16Q:TOKEN).",
        "Liever minder of geen mails? [Kies welke mails je krijgt of schrijf je uit]"
        "(TRACKING/t/p/16Q:TOKEN).",
    ),
    "en": (
        "Rather not get these mails? [Unsubscribe](TRACKING/t/u/16Q:TOKEN).",
        "Fewer mails, or none? [Choose which mails you get or unsubscribe]"
        "(TRACKING/t/p/16Q:TOKEN).",
    ),
}


def images(html: str) -> list[str]:
    return _IMAGE.findall(html)


def rendered(library, variant: dict | Variant, *, online: bool, tips: bool, language: str):
    member = Member(library=library, first_name="Amélie", has_online_profile=online)
    get = (
        variant.get
        if isinstance(variant, dict)
        else lambda name, default=None: getattr(variant, name)
    )
    return render_mail(
        message_id=4242,
        member=member,
        library=library,
        subject=get("subject"),
        preheader=get("preheader", ""),
        body=get("body"),
        reading_tips=TIPS if tips and get("with_reading_tips", False) else [],
        language=language,
    )


def members_read(mail: RenderedMail) -> dict:
    """The mail's text part (line by line) and its links, tracking links normalised."""
    return {"text": _TRACKING.sub(r"TRACKING\1:TOKEN", mail.text).splitlines(), "links": mail.links}


def before_blocks(name: str, language: str) -> dict:
    """What the file says members read, with the footer's link as it is now."""
    pinned = BEFORE_BLOCKS[name]
    old, new = FOOTER_NOW[language]
    assert sum(line.count(old) for line in pinned["text"]) == 1, name
    return pinned | {"text": [line.replace(old, new) for line in pinned["text"]]}


def same_for_members(before: RenderedMail, after: RenderedMail) -> None:
    assert after.text == before.text
    assert after.links == before.links
    assert images(after.html) == images(before.html)
    assert after.subject == before.subject


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["nl", "en"])
def test_every_standard_mail_reads_the_same_from_its_blocks(language):
    library = LibraryFactory(
        code=f"lib{language}",
        name="Bibliotheek Gent",
        profile_url="https://gent.bibliotheek.be/mijn-bibliotheek",
        privacy_url="https://gent.bibliotheek.be/privacy",
        survey_url="https://gent.bibliotheek.be/enquete",
        catalogue_url="https://gent.bibliotheek.be/zoeken?q={isbn}",
    )
    compared = 0
    for key in STANDARD_JOURNEYS:
        definition = standard_definition(key, language)
        journey = install_journey(library, definition).journey
        stored = {
            (variant.step.position, variant.segment): variant
            for variant in Variant.objects.filter(step__version__journey=journey)
        }
        for position, step in enumerate(definition["steps"], 1):
            for written in step["variants"]:
                converted = stored[(position, written.get("segment") or "")]
                assert {block["type"] for block in converted.blocks} <= {
                    "paragraph", "heading", "list", "reading_tips"
                }  # fmt: skip
                for online in (False, True):
                    for tips in (False, True):
                        before = rendered(library, written, online=online, tips=tips,
                                          language=language)  # fmt: skip
                        after = rendered(library, converted, online=online, tips=tips,
                                         language=language)  # fmt: skip
                        same_for_members(before, after)
                        segment = written.get("segment") or "default"
                        name = f"{language} {key} {position} {segment} online={online} tips={tips}"
                        assert members_read(after) == before_blocks(name, language)
                        compared += 1
    assert compared == 4 * (3 + 5)  # welcome's 3 mails and dormant's 5 variants
    assert len(BEFORE_BLOCKS) == 2 * compared  # and every mail of the file, both languages


@pytest.mark.django_db
def test_the_tips_show_where_the_mail_had_them_and_only_with_tips_to_show():
    library = LibraryFactory(catalogue_url="https://gent.bibliotheek.be/zoeken?q={isbn}")
    journey = install_journey(library, standard_definition("dormant")).journey
    variant = Variant.objects.filter(step__version__journey=journey, segment="").get()

    with_tips = rendered(library, variant, online=False, tips=True, language="nl")
    without = rendered(library, variant, online=False, tips=False, language="nl")

    assert variant.with_reading_tips and variant.blocks[-1]["type"] == "reading_tips"
    assert with_tips.text.index("Bekijk je account") < with_tips.text.index("De avonden")
    assert "Leestips voor jou" not in without.text


@pytest.mark.django_db(transaction=True)
def test_the_migration_turns_each_stored_body_into_blocks_that_render_the_same():
    """The migration converts with its own frozen copy of the conversion: for every standard
    body (Dutch and English) it writes what today's from_html reads, and the mail is the same."""
    bodies = [
        variant["body"]
        for language in ("nl", "en")
        for key in STANDARD_JOURNEYS
        for step in standard_definition(key, language)["steps"]
        for variant in step["variants"]
    ]
    executor = MigrationExecutor(connection)
    executor.migrate([("journeys", "0006_approvals_and_templates")])
    apps = executor.loader.project_state([("journeys", "0006_approvals_and_templates")]).apps
    try:
        old_pks = _old_variants(apps, bodies)
    finally:  # whatever happens, the tests after this one find the database as it is now
        executor = MigrationExecutor(connection)
        # Every app's latest: going back took along what depends on journeys (the reports).
        executor.migrate(executor.loader.graph.leaf_nodes())

    for body, pk in zip(bodies, old_pks, strict=True):
        variant = Variant.objects.get(pk=pk)
        assert variant.blocks == [*from_html(body), {"type": "reading_tips", "show_if": ""}]
        library = variant.step.version.journey.library
        for online in (False, True):
            old = {"subject": "x", "body": body, "with_reading_tips": True}
            same_for_members(
                rendered(library, old, online=online, tips=True, language="nl"),
                rendered(library, variant, online=online, tips=True, language="nl"),
            )
    Journey.objects.all().delete()


def _old_variants(apps, bodies: list[str]) -> list[int]:
    """Variants as stored before blocks (the library as it is now: only journeys went back)."""
    library = LibraryFactory(code="oud")
    journey = apps.get_model("journeys", "Journey").objects.create(
        library_id=library.pk, key="dormant", name="We missen je"
    )
    version = apps.get_model("journeys", "Version").objects.create(journey=journey, number=1)
    pks = []
    for position, body in enumerate(bodies, 1):
        step = apps.get_model("journeys", "Step").objects.create(
            version=version, position=position, name="We missen je", wait_days=0
        )
        pks.append(
            apps.get_model("journeys", "Variant")
            .objects.create(step=step, segment="", subject="x", body=body, with_reading_tips=True)
            .pk
        )
    return pks


# Bodies put together from the pieces staff write: paragraphs, headings, lists, conditions
# around them (and inside text), stray text and other HTML, with and without whitespace.
_PIECES = st.sampled_from(
    [
        "<p>Dag {{ first_name }},</p>",
        '<p><a href="{{ profile_url }}">Mijn Bibliotheek</a></p>',
        "<p>Tom &amp; Jerry</p>",
        "<h2>Nieuw</h2>",
        "<h3>{{ library_name }}</h3>",
        "<ul><li>een</li><li><em>twee</em></li></ul>",
        "<ol>\n  <li>drie</li>\n</ol>",
        '<p style="color: red">rood</p>',
        "<blockquote>citaat</blockquote>",
        "los",
        "{{ survey_url }}",
        "{% if has_online_profile %}",
        "{% if not has_reading_tips %}",
        "{% else %}",
        "{% endif %}",
        "{% if survey_url %}",
        "<p>",
        "</p>",
        "<div>",
        "</div>",
    ]
)
_GAPS = st.sampled_from(["", " ", "\n", "\n\n  "])
_BODIES = st.lists(st.tuples(_PIECES, _GAPS), min_size=1, max_size=10).map(
    lambda pairs: "".join(piece + gap for piece, gap in pairs)
)
_CONTEXTS = [
    SAMPLE_VALUES | {"has_online_profile": online, "has_reading_tips": tips}
    for online in (False, True)
    for tips in (False, True)
]


def _reads(body: str, context: dict) -> tuple[str, list[str]] | str:
    """What a member reads of a body: its text and its links; or that it does not render."""
    try:
        html = render_staff_text(body, context, html=True)
    except TemplateProblem:
        return "does not render"
    links: list[str] = []
    clean = sanitise(html, rewrite_link=lambda url: links.append(url) or url)
    return plain_text(clean), links


@settings(max_examples=300, deadline=None)
@given(_BODIES)
def test_any_body_reads_the_same_from_its_blocks(body):
    blocks = from_html(body)

    assert validate(blocks) == []
    for context in _CONTEXTS:
        assert _reads(to_template(blocks), context) == _reads(body, context)
