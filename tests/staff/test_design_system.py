"""The staff application's one visual language (docs/design-system.md): every page is built
on base.html and staff.css, with its main heading in a page head, no inline style (the CSP
forbids them) and nothing fetched from elsewhere; in Chromium the menu folds behind a button
on a phone and opens to navigate, printing leaves the menu and buttons out, and the keyboard's
focus shows.

Screenshots of the main screens at 1280 and 375 px land in var/artefacts/design/ (the best
of them are copied by hand into docs/screenshots/)."""

import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from playwright.sync_api import expect

from patronflow.journeys.definitions import export_definition, install_journey
from patronflow.journeys.models import Journey
from tests.accessibility import axe_violations
from tests.staff.conftest import make_marketer
from tests.staff.phone import fits_and_passes, phone_page
from tests.staff.test_accessible_markup import marked
from tests.staff.test_every_page import DESKTOP, PHONE, SIDEWAYS, a_library_at_work, page_urls

STAFF = Path(__file__).resolve().parents[2] / "patronflow" / "staff"
TEMPLATES = sorted((STAFF / "templates" / "staff").glob("*.html"))
STYLESHEETS = sorted((STAFF / "static" / "staff").glob("*.css"))
VOCABULARY = [
    "page-head", "stack", "cluster", "grid-cards", "split",
    "card", "card-head", "card-body", "card-foot",
    "verdict-good", "verdict-bad", "verdict-unclear", "verdict-none",
    "button", "secondary", "danger", "small",
    "table-scroll", "data", "num", "muted-row",
    "field", "field-row", "help", "errorlist",
    "empty-state", "badge", "muted", "note", "warnings", "status", "figure", "figure-label",
]  # fmt: skip
MAIN_SCREENS = ["dashboard", "journeys", "journey", "studio-editor", "audience-builder", "calendar"]
TOKENS = [
    "--space-1", "--space-2", "--space-3", "--space-4", "--space-5", "--space-6",
    "--text-sm", "--text-md", "--text-lg", "--text-xl",
    "--ink", "--muted", "--accent", "--surface", "--line", "--ok", "--error", "--warn",
]  # fmt: skip


def test_every_staff_page_is_built_on_base_html():
    pages = [t for t in TEMPLATES if "{% block content %}" in t.read_text()]
    pages = [t for t in pages if t.name != "base.html"]
    assert len(pages) > 30
    strays = [t.name for t in pages if '{% extends "staff/base.html" %}' not in t.read_text()]
    assert strays == []


def test_no_staff_template_carries_an_inline_style_or_a_style_element():
    """The staff CSP allows no inline style: such a style would silently not apply."""
    found = [
        t.name
        for t in TEMPLATES
        if re.search(r"<[^>]*\sstyle\s*=|<style[\s>]", t.read_text(), re.IGNORECASE)
    ]
    assert found == []


def test_the_stylesheets_fetch_nothing_from_elsewhere():
    for sheet in STYLESHEETS:
        css = sheet.read_text()
        assert "@import" not in css and "@font-face" not in css, sheet.name
        assert not re.search(r"url\(\s*['\"]?(https?:)?//", css), sheet.name


def test_staff_css_defines_the_whole_vocabulary_the_screens_use():
    css = (STAFF / "static" / "staff" / "staff.css").read_text()
    missing = [name for name in VOCABULARY if not re.search(rf"\.{name}(?![\w-])", css)]
    missing += [token for token in TOKENS if not re.search(rf"{token}\s*:", css)]
    assert missing == []


class Headings(HTMLParser):
    """Each h1 of a page, with whether it sits inside an element of class page-head."""

    VOID = {"br", "img", "input", "meta", "link", "hr", "source", "wbr", "col", "area"}

    def __init__(self):
        super().__init__()
        self.open: list[bool] = []
        self.h1s: list[bool] = []

    def handle_starttag(self, tag, attrs):
        if tag == "h1":
            self.h1s.append(any(self.open))
        if tag not in self.VOID:
            self.open.append("page-head" in (dict(attrs).get("class") or "").split())

    def handle_endtag(self, tag):
        if tag not in self.VOID and self.open:
            self.open.pop()


@pytest.mark.django_db
def test_every_pages_one_main_heading_heads_it_in_a_page_head(client, library, marketer):
    member = a_library_at_work(library)
    client.get(reverse("staff:login"))
    pages = {"login": reverse("staff:login")}
    client.force_login(marketer)
    pages |= page_urls(library, member, admin=False)
    wrong = {}
    for name, url in pages.items():
        if name == "login":
            client.logout()
        response = client.get(url, follow=True)  # an active journey's activation: its page
        assert response.status_code == 200, name
        parser = Headings()
        parser.feed(response.content.decode())
        if parser.h1s != [True]:
            wrong[name] = parser.h1s
        if name == "login":
            client.force_login(marketer)
    assert wrong == {}


@pytest.mark.django_db
def test_a_page_within_a_section_marks_the_sections_menu_item(staff_client, library):
    journey = Journey.objects.get(library=library, key="welcome")
    for url, section in (
        (reverse("staff:comments", args=[journey.pk, 1, "default"]), "journeys"),
        (reverse("staff:journey_version_changes", args=[journey.pk]) + "?version=1", "journeys"),
        (reverse("staff:images"), "settings"),
        (reverse("staff:brand"), "settings"),
    ):
        page = staff_client.get(url).content.decode()
        assert marked(page) == {reverse(f"staff:{section}"): "true"}, url


@pytest.mark.django_db
def test_the_dashboard_counts_the_active_journeys_and_the_drafts_in_big_figures(
    staff_client, library
):
    welcome = export_definition(library.journeys.get(key="welcome"))
    install_journey(library, {**welcome, "key": "nieuw", "status": "draft"})

    page = staff_client.get(reverse("staff:dashboard")).content.decode()

    card = page.split('data-testid="journey-figures"', 1)[1].split("</dl>", 1)[0]
    figures = re.findall(r'<dt class="figure-label">(.*?)</dt><dd class="figure">(\d+)</dd>', card)
    assert figures == [("actieve reeksen en verzendingen", "2"), ("ontwerpen", "1")]


# In Chromium.


@pytest.fixture(scope="module")
def screens() -> Path:
    folder = Path(django_settings.VAR_DIR) / "artefacts" / "design"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_phone_menu_folds_behind_a_button_and_opens_to_navigate(
    browser, live_server, library, screens
):
    make_marketer(library, "an")
    page = phone_page(browser, live_server, "an")
    segments = page.get_by_role("navigation").get_by_role("link", name="Segmenten")

    expect(segments).to_be_hidden()
    heading = page.get_by_role("heading", name="Overzicht", level=1).bounding_box()
    assert heading["y"] < 200  # the page starts in the first screen, not under the menu
    menu = page.locator(".menu > summary")
    menu.click()
    expect(segments).to_be_visible()
    fits_and_passes(page)
    page.screenshot(path=screens / "menu-375.png")
    segments.click()
    page.wait_for_url(live_server.url + reverse("staff:segments"))
    expect(page.get_by_role("heading", name="Segmenten", level=1)).to_be_visible()
    expect(page.get_by_role("navigation").get_by_role("link", name="Reeksen")).to_be_hidden()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_wide_screen_shows_the_menu_without_a_click(browser, live_server, library):
    make_marketer(library, "an")
    page = phone_page(browser, live_server, "an")
    page.set_viewport_size({"width": DESKTOP, "height": 800})

    expect(page.locator(".menu > summary")).to_be_hidden()
    page.get_by_role("navigation").get_by_role("link", name="Segmenten").click()
    page.wait_for_url(live_server.url + reverse("staff:segments"))


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_printing_leaves_out_the_menu_and_buttons_and_keeps_cards_whole(
    browser, live_server, library
):
    make_marketer(library, "an")
    page = phone_page(browser, live_server, "an")
    page.set_viewport_size({"width": DESKTOP, "height": 800})
    page.emulate_media(media="print")

    expect(page.locator("header.top")).to_be_hidden()
    expect(page.get_by_role("heading", name="Overzicht", level=1)).to_be_visible()
    expect(page.locator("main a.button").first).to_be_hidden()
    card = page.locator(".card").first
    assert card.evaluate("card => getComputedStyle(card).breakInside") == "avoid"

    page.emulate_media(media="screen")
    expect(page.locator("header.top")).to_be_visible()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_keyboard_finds_the_skip_link_first_and_sees_where_it_is(browser, live_server, library):
    make_marketer(library, "an")
    page = phone_page(browser, live_server, "an")

    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Naar de inhoud")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box["x"] >= 0 and box["y"] >= 0  # on screen once focused
    for target in (skip, page.locator(".menu > summary"), page.locator("main a.button").first):
        target.focus()
        ring = target.evaluate(
            "e => [getComputedStyle(e).outlineStyle, parseFloat(getComputedStyle(e).outlineWidth)]"
        )
        assert ring[0] == "solid" and ring[1] >= 2, ring


def screen_shot(page, screens: Path, name: str) -> list[str]:
    """Photographs the page at both widths; what is wrong with it there."""
    problems = []
    for width in (DESKTOP, PHONE):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=screens / f"{name}-{width}.png", full_page=True)
        if page.evaluate(SIDEWAYS) > 0:
            problems.append(f"{name} scrolls sideways at {width} px")
    problems += [f"{name}: {violation}" for violation in axe_violations(page)]
    return problems


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_main_screens_at_a_desktops_and_a_phones_width(browser, live_server, library, screens):
    """Dashboard, journeys, a journey, its editor, the audience builder and the calendar:
    photographed at 1280 and 375 px, none scrolling sideways, axe-core clean."""
    a_library_at_work(library)
    make_marketer(library, "an")
    journey = Journey.objects.get(library=library, key="welcome")
    page = phone_page(browser, live_server, "an")
    problems = screen_shot(page, screens, "dashboard")
    for name, url in (
        ("journeys", reverse("staff:journeys")),
        ("journey", reverse("staff:journey", args=[journey.pk])),
        ("studio-editor", reverse("staff:studio_edit", args=[journey.pk])),
    ):
        page.goto(live_server.url + url)
        problems += screen_shot(page, screens, name)

    page.goto(live_server.url + reverse("staff:segment_new"))
    page.get_by_role("button", name="Voorwaarde toevoegen").click()
    page.get_by_label("Voorwaarde", exact=True).select_option("max_age")
    page.locator("input.number").fill("40")
    page.locator("#audience-count dd").first.wait_for()
    problems += screen_shot(page, screens, "audience-builder")

    page.goto(live_server.url + reverse("staff:journey_calendar", args=[journey.pk]))
    page.get_by_role("button", name="Bereken").click()
    page.locator("li.calendar-day").first.wait_for()
    problems += screen_shot(page, screens, "calendar")

    assert problems == []
    shot = {f"{name}-{width}.png" for name in MAIN_SCREENS for width in (DESKTOP, PHONE)}
    assert shot <= {path.name for path in screens.glob("*.png")}
