"""Quality gates for every built-in mail, in every variant, as it leaves for the member:
rendered and composed by the real code (render_mail + compose), then judged the way a spam
filter, a mail program and a member would judge it.

Previews (375px and 800px wide, and dark mode) land in var/artefacts/mail/, with the
SpamAssassin score and the size of each mail in var/artefacts/mail/quality.txt.
"""

import mailbox
import re
import shutil
import subprocess
from dataclasses import dataclass
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import override_settings

from patronflow.choices.models import MailingList
from patronflow.journeys.definitions import (
    STANDARD_JOURNEYS,
    install_journey,
    normalise,
    read_definition,
    standard_definition,
)
from patronflow.journeys.models import Enrolment, Journey, Step, Version
from patronflow.mail.compose import compose
from patronflow.mail.models import BrandKit, Message
from patronflow.mail.rendering import RenderedMail, render_mail
from patronflow.members.models import Library, Member
from patronflow.profiles.tips import ReadingTip
from patronflow.templating.blocks import to_template
from tests.accessibility import axe_violations
from tests.browsers import chromium

BASE = "https://mail.example-network.be"
GMAIL_CLIPS_AT = 102 * 1024
SPAM_LIMIT = 2.0
TIPS = [
    ReadingTip("De avonden", "Gerard Reve", "9789023467561"),
    ReadingTip("Het smelt", "Lize Spit", "9789023499517"),
    ReadingTip("Wil", "Jeroen Olyslaegers", ""),
]


@dataclass
class Case:
    """One built-in mail as one member gets it."""

    id: str
    journey: str
    position: int
    variant: dict
    has_online_profile: bool
    language: str


@dataclass
class Sent:
    case: Case
    rendered: RenderedMail
    raw: bytes

    @property
    def html(self) -> str:
        return self.rendered.html


ENGLISH = Path(__file__).parents[2] / "patronflow/journeys/standard/en"


def built_in_definitions() -> dict[str, dict]:
    """The Dutch built-ins and their English presets."""
    dutch = {key: standard_definition(key) for key in STANDARD_JOURNEYS}
    return dutch | {f"en-{key}": read_definition(ENGLISH / f"{key}.yaml") for key in dutch}


def built_in_cases() -> list[Case]:
    cases = []
    for label, definition in built_in_definitions().items():
        for position, step in enumerate(definition["steps"], start=1):
            for variant in step["variants"]:
                for profile in (False, True):
                    segment = variant["segment"] or "fallback"
                    name = f"{label}-{position}-{segment}-{'profile' if profile else 'no-profile'}"
                    language = definition.get("language", "nl")
                    cases.append(
                        Case(name, definition["key"], position, variant, profile, language)
                    )
    return cases


CASES = built_in_cases()
IDS = [case.id for case in CASES]


def brand_library(**overrides) -> Library:
    fields = {
        "code": "gent",
        "name": "Bibliotheek Gent",
        "sender_name": "Bibliotheek Gent",
        "sender_email": "nieuws@gent.bibliotheek.be",
        "privacy_url": "https://gent.bibliotheek.be/privacy",
        "profile_url": "https://gent.bibliotheek.be/mijn-bibliotheek",
        "survey_url": "https://gent.bibliotheek.be/enquete",
        "catalogue_url": "https://gent.bibliotheek.be/zoeken?q={isbn}",
    }
    kit = {"logo_url": "https://gent.bibliotheek.be/huisstijl/logo.svg", "colour": "#b3261e"}
    kit |= {name: overrides.pop(name) for name in ("logo_url", "colour") if name in overrides}
    library = Library(**(fields | overrides))
    BrandKit(library=library, **kit)  # the library wears it, as a saved kit would be read
    return library


def send(case: Case, library: Library, message_id: int, tips: list | None = None) -> Sent:
    """What mail/compose.py does for one message, minus the database and the SMTP server."""
    member = Member(
        library=library,
        first_name="Amélie",
        last_name="Peeters",
        email="amelie.peeters@example.org",
        has_online_profile=case.has_online_profile,
    )
    variant = case.variant
    rendered = render_mail(
        message_id=message_id,
        member=member,
        library=library,
        subject=variant["subject"],
        preheader=variant.get("preheader", ""),
        body=variant["body"],
        reading_tips=(TIPS if tips is None else tips) if variant.get("with_reading_tips") else [],
        language=case.language,
    )
    newsletter = MailingList(library=library, key="newsletter", name="Nieuwsbrief")
    journey = Journey(key=case.journey, mailing_list=newsletter)
    message = Message(
        pk=message_id,
        library=library,
        enrolment=Enrolment(member=member),
        step=Step(position=case.position, version=Version(journey=journey)),
    )
    return Sent(case, rendered, compose(message, rendered))


@pytest.fixture(scope="module")
def mails() -> dict[str, Sent]:
    library = brand_library()
    with override_settings(BASE_URL=BASE):
        return {case.id: send(case, library, 1000 + n) for n, case in enumerate(CASES)}


@pytest.fixture(scope="module")
def artefacts() -> Path:
    folder = Path(settings.VAR_DIR) / "artefacts" / "mail"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def hrefs(html: str) -> list[str]:
    return [unescape(link) for link in re.findall(r'href="([^"]*)"', html)]


# --- SpamAssassin -------------------------------------------------------------------------


@dataclass
class SpamReport:
    score: float
    rules: str


def spamassassin(
    executable: str, raw_mails: dict[str, bytes], folder: Path
) -> dict[str, SpamReport]:
    """Score every mail in one run (rules load once): local tests only, no Bayes database,
    nothing learnt or written outside `folder`."""
    inbox = folder / "mails.mbox"
    box = mailbox.mbox(inbox)
    for raw in raw_mails.values():
        box.add(mailbox.mboxMessage(raw))
    box.flush()
    prefs = folder / "user_prefs"
    prefs.write_text("")
    sa_settings = ["use_bayes 0", "bayes_auto_learn 0", "report_safe 0"]
    command = [executable, "-L", "-t", "--mbox", "-p", str(prefs)]
    command += [argument for setting in sa_settings for argument in ("--cf", setting)]
    with inbox.open("rb") as stdin:
        result = subprocess.run(command, stdin=stdin, capture_output=True, check=True, timeout=300)
    scored = folder / "scored.mbox"
    scored.write_bytes(result.stdout)
    by_message_id = {}
    for message in mailbox.mbox(scored):
        status = " ".join(message["X-Spam-Status"].split())
        score = float(re.search(r"score=(-?[\d.]+)", status)[1])
        rules = re.search(r"tests=(.*?)(?: autolearn=| version=|$)", status)[1].replace(" ", "")
        by_message_id[message["Message-ID"].strip()] = SpamReport(score, rules)
    ids = {re.search(rb"^Message-ID: (\S+)", raw, re.M)[1].decode(): case
           for case, raw in raw_mails.items()}  # fmt: skip
    return {ids[message_id]: report for message_id, report in by_message_id.items()}


SPAM_CONTROL = "control: a mail written like spam"


def spammy_case() -> Case:
    variant = {
        "subject": "FREE!!! Cheap V1AGRA, no prescription, 100% GUARANTEED",
        "preheader": "Act now",
        "body": "<p>Dear friend, CLICK HERE to buy cheap viagra online, no prescription "
        "needed! 100% guaranteed, money back guarantee! Lose weight fast!</p>",
    }
    return Case(SPAM_CONTROL, "welcome", 1, variant, False, "nl")


@pytest.fixture(scope="module")
def spam_reports(spamassassin_path, mails, artefacts) -> dict[str, SpamReport]:
    raw_mails = {key: sent.raw for key, sent in mails.items()}
    with override_settings(BASE_URL=BASE):
        raw_mails[SPAM_CONTROL] = send(spammy_case(), brand_library(), 999).raw
    reports = spamassassin(spamassassin_path, raw_mails, artefacts)
    lines = [
        f"{key:45} score {reports[key].score:5.1f}  {len(sent.raw) / 1024:5.1f} KB  "
        f"(html {len(sent.html.encode()) / 1024:4.1f} KB)  {reports[key].rules}"
        for key, sent in mails.items()
    ]
    (artefacts / "quality.txt").write_text("\n".join(lines) + "\n")
    return reports


def test_the_spam_gate_has_teeth(spam_reports):
    """The same run, the same path: a mail written like spam does score as spam."""
    assert spam_reports[SPAM_CONTROL].score >= 5.0, spam_reports[SPAM_CONTROL]


@pytest.mark.parametrize("key", IDS)
def test_spamassassin_scores_every_built_in_mail_well_below_its_threshold(key, spam_reports):
    report = spam_reports[key]
    assert report.score < SPAM_LIMIT, f"{key}: {report.score} ({report.rules})"


# --- Structure, links, size ---------------------------------------------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}  # fmt: skip


class StrictHTML(HTMLParser):
    """Every element closed, in order; no stray end tags; no attribute given twice."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        names = [name for name, _ in attrs]
        if len(names) != len(set(names)):
            self.errors.append(f"<{tag}> repeats an attribute: {names}")
        if tag not in VOID:
            self.open.append(tag)

    def handle_endtag(self, tag) -> None:
        if tag in VOID:
            self.errors.append(f"</{tag}> closes a void element")
        elif not self.open or self.open[-1] != tag:
            self.errors.append(f"</{tag}> while {self.open[-1:]} is open")
        else:
            self.open.pop()


def html_errors(html: str) -> list[str]:
    parser = StrictHTML()
    parser.feed(html)
    parser.close()
    return parser.errors + [f"<{tag}> never closed" for tag in parser.open]


@pytest.mark.parametrize("key", IDS)
def test_html_part_parses_without_errors(key, mails):
    html = mails[key].html
    assert html.startswith("<!DOCTYPE html>")
    assert html_errors(html) == []


class Resources(HTMLParser):
    """Everything a mail program could fetch or open: links, images, CSS urls."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.links: list[str] = []
        self.fetched: list[str] = []
        self.in_style = False

    def handle_starttag(self, tag, attrs) -> None:
        self.tags.add(tag)
        self.in_style = tag == "style"
        for name, value in attrs:
            if name == "href":
                self.links.append(value or "")
            elif name in ("src", "background", "srcset", "poster", "action"):
                self.fetched.append(value or "")
            elif name == "style":
                self.handle_data(value or "")

    def handle_endtag(self, tag) -> None:
        self.in_style = False

    def handle_data(self, data: str) -> None:
        self.fetched += re.findall(r"url\(\s*['\"]?([^'\")]*)", data)
        self.fetched += re.findall(r"@import\s+['\"]([^'\"]*)", data)


def resources(html: str) -> Resources:
    parser = Resources()
    parser.feed(html)
    parser.close()
    return parser


def own_hosts(library: Library) -> set[str]:
    urls = [
        BASE,
        library.privacy_url,
        library.profile_url,
        library.survey_url,
        library.brand_kit.logo_url,
    ]
    return {urlsplit(url).hostname for url in urls if url}


@pytest.mark.parametrize("track_clicks", [True, False], ids=["clicks tracked", "untracked"])
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_mail_leads_only_to_the_library_and_the_instance(case, track_clicks):
    library = brand_library(track_clicks=track_clicks, track_opens=True)
    found = resources(send(case, library, 77).html)

    assert not found.tags & {"script", "link", "iframe", "object", "embed", "form", "base"}
    assert set(found.fetched) <= {library.brand_kit.logo_url} | {
        url for url in found.fetched if url.startswith(f"{BASE}/t/o/")
    }
    for link in found.links:
        parts = urlsplit(link)
        assert parts.scheme == "https", link
        assert parts.hostname in own_hosts(library), link


@pytest.mark.parametrize("key", IDS)
def test_mail_stays_well_under_gmails_clipping_limit(key, mails):
    sent = mails[key]
    assert len(sent.raw) < GMAIL_CLIPS_AT
    # Gmail clips on the HTML; a quarter of the limit leaves staff room for long text.
    assert len(sent.html.encode()) < GMAIL_CLIPS_AT / 4


@pytest.mark.parametrize("key", IDS)
def test_plain_text_part_carries_every_link_of_the_html_part(key, mails):
    sent = mails[key]
    links = hrefs(sent.html)
    assert len(links) >= 4  # feedback 👍 and 👎, privacy statement, preference page
    for link in links:
        assert link in sent.rendered.text, link


# --- What the member sees -----------------------------------------------------------------


@pytest.mark.parametrize("key", IDS)
def test_mail_opens_with_its_preheader_and_suits_dark_mode(key, mails):
    sent = mails[key]
    html = sent.html
    assert '<meta name="color-scheme" content="light dark">' in html
    preheader = sent.case.variant["preheader"]
    first_text = re.search(r"<body[^>]*>\s*<div[^>]*>([^<]*)", html)[1]
    assert unescape(first_text).startswith(preheader)


@pytest.mark.parametrize("key", IDS)
def test_mail_wears_the_librarys_logo_and_colour(key, mails):
    html = mails[key].html
    [logo] = re.findall(r'<img [^>]*src="https://gent\.bibliotheek\.be/[^>]*>', html)
    assert 'alt="Bibliotheek Gent"' in logo
    assert "#b3261e" in html


def test_without_a_logo_the_library_name_heads_the_mail():
    html = send(CASES[0], brand_library(logo_url=""), 1).html
    assert "<img" not in html
    assert re.search(r'<td class="band"[^>]*>Bibliotheek Gent</td>', html)


def test_a_light_brand_colour_gets_dark_text_and_dark_links():
    html = send(CASES[0], brand_library(logo_url="", colour="#ffd54f"), 1).html
    band = re.search(r'<td class="band" style="([^"]*)"', html)[1]
    assert "background-color: #ffd54f" in band
    assert "color: #1f2a30" in band
    links = re.findall(r'<a [^>]*style="([^"]*)"', html)
    assert links and all("color: #1f2a30" in style for style in links if "#4a565c" not in style)


def test_a_malformed_brand_colour_or_a_logo_over_http_is_not_used():
    library = brand_library(colour="red;}</style><script>", logo_url="http://x.be/l.png")
    html = send(CASES[0], library, 1).html
    assert "<script" not in html and "red;" not in html
    assert "http://x.be" not in html
    assert "#1f5f8b" in html  # the default colour


def test_reading_tips_link_title_and_author_to_the_librarys_catalogue(mails):
    sent = mails["dormant-1-fiction_physical-no-profile"]
    assert "Leestips voor jou" in sent.html
    assert re.search(r"<strong>De avonden</strong></a> – Gerard Reve", sent.html)
    catalogue = "https://gent.bibliotheek.be/zoeken?q="
    assert catalogue + "9789023467561" in sent.rendered.links
    # Without an ISBN the catalogue is searched for title and author.
    assert catalogue + "Wil%20Jeroen%20Olyslaegers" in sent.rendered.links
    assert "De avonden" in sent.rendered.text


TIP_CASES = [case for case in CASES if case.variant.get("with_reading_tips")]


@pytest.mark.parametrize("case", TIP_CASES, ids=[case.id for case in TIP_CASES])
def test_a_mail_whose_tips_ran_out_does_not_announce_them(case):
    """A library with too few loans, or a member who read every tip: no 'below you find'
    above an empty space."""
    with override_settings(BASE_URL=BASE):
        text = send(case, brand_library(), 7, tips=[]).rendered.text
    for promise in ("Hieronder", "Leestips voor jou", "Below", "Reading tips for you"):
        assert promise not in text


@pytest.mark.parametrize("key", IDS)
def test_the_layout_speaks_the_language_of_the_journey(key, mails):
    sent = mails[key]
    dutch = ("Wat vond je van deze mail?", "Je krijgt deze mail omdat je lid bent", "Kies welke")
    english = ("What did you think of this mail?", "You get this mail because", "Choose which")
    if sent.case.language == "en":
        assert '<html lang="en">' in sent.html
        assert all(words in sent.rendered.text for words in english)
        assert not any(words in sent.rendered.text for words in dutch)
    else:
        assert '<html lang="nl">' in sent.html
        assert all(words in sent.rendered.text for words in dutch)


# --- Previews in a real browser -----------------------------------------------------------

LOGO_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="180" height="48" viewBox="0 0 180 48">'
    '<rect width="48" height="48" rx="8" fill="#b3261e"/>'
    '<text x="58" y="31" font-family="Arial" font-size="18" fill="#1f2a30">Bib Gent</text>'
    "</svg>"
)


@pytest.fixture(scope="module")
def page(chromium_path):
    with chromium(chromium_path) as browser:
        page = browser.new_page()

        def serve(route) -> None:
            """The logo from the library's site; nothing else is fetched (and nothing else
            should be asked for)."""
            if route.request.url == brand_library().brand_kit.logo_url:
                route.fulfill(status=200, content_type="image/svg+xml", body=LOGO_SVG)
            else:
                route.abort()

        page.route("**/*", serve)
        yield page


@pytest.mark.slow
@pytest.mark.parametrize("key", IDS)
def test_preview_fits_narrow_and_wide_screens_and_dark_mode(key, mails, page, artefacts):
    page.emulate_media(color_scheme="light")
    for width in (375, 800):
        page.set_viewport_size({"width": width, "height": 900})
        page.set_content(mails[key].html, wait_until="load")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(path=artefacts / f"{key}-{width}.png", full_page=True)
    logo_width = page.evaluate("document.querySelector('img').naturalWidth")
    assert logo_width == 180  # the logo loaded from the library's own address
    violations = axe_violations(page, ("wcag2a", "wcag2aa", "wcag21aa"))
    serious = [
        (v["id"], v["targets"]) for v in violations if v["impact"] in ("serious", "critical")
    ]
    assert not serious, serious

    page.emulate_media(color_scheme="dark")
    page.set_viewport_size({"width": 375, "height": 900})
    page.set_content(mails[key].html, wait_until="load")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(17, 24, 25)"
    page.screenshot(path=artefacts / f"{key}-375-dark.png", full_page=True)


# --- The English presets ------------------------------------------------------------------


def _without_text(definition: dict) -> dict:
    """A definition's shape: everything but what a member reads (its blocks' kinds and
    conditions stay)."""
    shape = normalise(definition) | {"name": "", "language": ""}
    for step in shape["steps"]:
        step["name"] = ""
        for variant in step["variants"]:
            variant |= {"subject": "", "preheader": ""}
            variant["blocks"] = [
                {"type": block["type"], "show_if": block["show_if"]} for block in variant["blocks"]
            ]
    return shape


@pytest.mark.parametrize("key", STANDARD_JOURNEYS)
def test_english_presets_are_the_dutch_journeys_in_other_words(key):
    english = read_definition(ENGLISH / f"{key}.yaml")
    assert _without_text(english) == _without_text(standard_definition(key))
    for step in normalise(english)["steps"]:
        for variant in step["variants"]:
            body = to_template(variant["blocks"])
            assert "Dag " not in body and body.startswith("<p>Hello ")


@pytest.mark.django_db
@pytest.mark.parametrize("key", STANDARD_JOURNEYS)
def test_an_english_preset_installs_over_the_dutch_journey(key, library):
    installed = install_journey(library, read_definition(ENGLISH / f"{key}.yaml"))

    assert installed.outcome in ("replaced", "new version")
    first = installed.version.steps.order_by("position").first()
    assert "Hello {{ first_name }}," in first.variants.first().body
