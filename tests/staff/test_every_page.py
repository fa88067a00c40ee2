"""Every staff page, found from the URL patterns, in chromium as a marketer and as a network
admin, at a phone's width (375 px) and a desktop's (1280 px): nothing scrolls sideways, and
axe-core finds no violation of a WCAG 2.1 A or AA rule.

One browser for the module; each role walks its pages in one tab. axe runs once per page,
at 375 px: the pages carry the same elements at both widths (the header and tables wrap or
scroll, nothing is hidden), so the only rules whose outcome could depend on the width are
those that look at layout, colour contrast (text over what lies behind it) and
scrollable-region-focusable (a table that scrolls inside its box), and both meet their hard
case at the narrow width.

Screenshots at 375 px of each page land in var/artefacts/staff-pages/.
"""

import shutil
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from patronflow.choices.services import list_for
from patronflow.journeys.definitions import save_segment
from patronflow.journeys.models import Journey
from patronflow.profiles.models import ReadingProfile, Segment
from patronflow.staff.services import add_staff
from patronflow.tracking.models import Event, Feedback
from tests.accessibility import axe_violations
from tests.browsers import chromium
from tests.factories import EnrolmentFactory, ItemFactory, LoanFactory, MemberFactory
from tests.reports.helpers import MONDAY, mails
from tests.staff.conftest import PASSWORD, make_marketer
from tests.staff.integration_data import integration_page_ids
from tests.staff.review_data import review_data
from tests.staff.survey_data import survey_page_ids
from tests.staff.test_images import stored
from tests.staff.test_scoping import staff_patterns
from tests.staff.test_second_factor import current_code

PHONE, DESKTOP = 375, 1280
SIDEWAYS = "document.documentElement.scrollWidth - document.documentElement.clientWidth"

# What each page of the staff URL patterns is filled in with; None: no ids.
PAGES = {
    "templates": None, "template": "template", "journey_template": "adopted",
    "approvals": None, "approval": "approval",
    "login": None, "verify": None, "second_factor": None, "dashboard": None,
    "journeys": None, "journey": "journey", "journey_archive": "journey", "mail": "variant",
    "journey_calendar": "journey", "journey_version_changes": "journey",
    "studio_new": None, "studio_start": None, "studio_edit": "journey", "studio_copy": "journey",
    "seeds": None,
    "lists": None, "list": "list",
    "surveys": None, "survey": "survey", "survey_results": "survey_answered",
    "survey_print": "survey", "volunteers": None,
    "images": None, "image": "image", "image_delete": "image", "brand": None,
    "network_brand": None,
    "journey_activate": "journey", "journey_reach": "journey", "broadcast_cancel": "journey",
    "comments": "variant",
    "segment": "segment", "segment_new": None,
    "segments": None, "tips": None, "imports": None, "report": None, "members": None,
    "report_print": None, "comparison_libraries": None,
    "member": "member", "member_erase": "member", "settings": None, "accounts": None,
    "integrations": None, "token_new": None, "token_revoke": "token", "webhook_new": None,
    "webhook": "webhook", "webhook_remove": "webhook",
}  # fmt: skip
# Patterns that answer a form or a script, not a page to look at (the preview's frame is
# the mail itself: tests/mail/test_content_quality.py checks that at these widths).
ACTIONS = {
    "template_adopt", "journey_offer",
    "logout", "language", "choose_library", "journey_status", "journey_holdout", "preview",
    "preview_frame", "mail_test", "mail_spam", "member_export", "remove_account",
    "import_rejects",
    "seed_remove",
    "list_move", "list_delete",
    "survey_status", "survey_qr", "volunteers_export", "volunteer_erase",
    "audience_count",
    "report_export",
    "webhook_pause", "webhook_resume",
}  # fmt: skip
ADMIN_ONLY = {"accounts", "member_erase", "network_brand", "comparison_libraries"}
# A search result shows more than the empty form.
QUERIES = {"tips": "?q=smelt", "members": "?q={member}", "journey_calendar": "?days=7"}

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def browser(chromium_path):
    with chromium(chromium_path) as browser:
        yield browser


@pytest.fixture
def server(live_server, settings):
    """The live server, with session cookies a plain-HTTP test server can set."""
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    return live_server


@pytest.fixture
def screens() -> Path:
    folder = Path(django_settings.VAR_DIR) / "artefacts" / "staff-pages"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def a_library_at_work(library):
    """Members in every reading segment, a saved segment, loans of a popular title, a welcome
    mailing that members opened, clicked, voted on and unsubscribed from, and a dormant
    mailing beside its control group: each screen has rows to show, none under 10."""
    library.track_opens = True
    library.catalogue_url = f"https://{library.code}.bibliotheek.be/zoeken?q={{isbn}}"
    library.save()
    popular = ItemFactory(library=library, title="Het smelt", author="Lize Spit")
    for segment in Segment.values:
        for _ in range(2):
            reader = MemberFactory(library=library)
            ReadingProfile.objects.create(member=reader, segment=segment)
            LoanFactory(member=reader, item=popular)
    save_segment(library, "jong", "Jonge lezers", {"max_age": 30})
    welcome = library.journeys.get(key="welcome").current_version.steps.get(position=1)
    sent = mails(welcome.variants.get(), 40)
    for message in sent[:30]:
        Event.objects.create(message=message, kind=Event.Kind.OPEN)
    for message in sent[:20]:
        Event.objects.create(message=message, kind=Event.Kind.CLICK, link_index=0)
    for number, message in enumerate(sent[20:30]):
        Feedback.objects.create(
            message=message, vote=Feedback.Vote.UP, comment="Fijn! " * number * 20
        )
    for message in sent[30:]:
        Event.objects.create(message=message, kind=Event.Kind.UNSUBSCRIBE)
    dormant = library.journeys.get(key="dormant")
    mails(dormant.current_version.steps.get(position=1).variants.get(segment=""), 30)
    for _ in range(10):
        EnrolmentFactory(journey=dormant, held_out=True, entered_on=MONDAY)
    return sent[0].enrolment.member


def page_urls(library, member, *, admin: bool) -> dict[str, str]:
    """Every page of the staff URL patterns (but the login's), filled with `library`'s ids."""
    journey = Journey.objects.get(library=library, key="welcome")
    ids = {
        "journey": {"pk": journey.pk},
        "variant": {"pk": journey.pk, "position": 1, "segment": "default"},
        "member": {"pk": member.pk},
        **review_data(library),
        "segment": {"pk": library.segments.get(key="jong").pk},
        "image": {"pk": stored(library).pk},
        **survey_page_ids(library),
        "list": {"pk": list_for(library, "newsletter").pk},
        **integration_page_ids(library),
    }
    urls = {}
    for pattern in staff_patterns():
        name = pattern.name
        if name in ACTIONS or name in {"login", "verify"} or (name in ADMIN_ONLY and not admin):
            continue
        url = reverse(f"staff:{name}", kwargs=ids.get(PAGES[name]))
        urls[name] = url + QUERIES.get(name, "").format(member=member.external_id)
    return urls


def look_at(page, name: str, screens: Path | None = None) -> list[str]:
    """What is wrong with the page in the tab, loaded at a phone's width: sideways scrolling
    there or at a desktop's width, a menu that does not mark it, axe-core's violations.
    (Narrow first, as a phone loads it: a chart drawn wide redraws narrower a frame after
    the window shrinks, which is no page's fault.)"""
    problems = []
    for width in (PHONE, DESKTOP):
        page.set_viewport_size({"width": width, "height": 800})
        sideways = page.evaluate(SIDEWAYS)
        if sideways > 0:
            problems.append(f"{name}: scrolls {sideways} px sideways at {width} px")
        if width == PHONE:
            problems += [f"{name}: {violation}" for violation in axe_violations(page)]
            if screens:
                page.screenshot(path=screens / f"{name}.png", full_page=True)
    current = page.locator("nav a[aria-current=page]")
    menu = page.locator("nav a").evaluate_all("links => links.map(a => a.pathname)")
    here = page.evaluate("location.pathname")
    if here in menu and current.evaluate_all("links => links.map(a => a.pathname)") != [here]:
        problems.append(f"{name}: the menu does not mark it as the current page")
    return problems


def walk(page, base: str, urls: dict[str, str], screens: Path | None = None) -> list[str]:
    problems = []
    for name, url in urls.items():
        page.set_viewport_size({"width": PHONE, "height": 800})
        response = page.goto(base + url)
        assert response.status == 200, (name, url, response.status)
        if name == "mail":
            show_preview(page)
        problems += look_at(page, name, screens)
    return problems


def show_preview(page) -> None:
    page.get_by_role("button", name="Voorbeeld", exact=True).click()
    page.frame_locator("iframe.mail-frame").locator("body").wait_for()


def log_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/staff/login/")
    page.get_by_label("Gebruikersnaam").fill(username)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Aanmelden").click()


def test_every_pattern_is_a_page_walked_here_or_an_action():
    names = {pattern.name for pattern in staff_patterns()}
    assert names == set(PAGES) | ACTIONS


def test_every_page_fits_a_phone_and_passes_axe_for_a_marketer(browser, server, library, screens):
    member = a_library_at_work(library)
    make_marketer(library, "an")
    page = browser.new_page(locale="nl-BE")

    page.set_viewport_size({"width": PHONE, "height": 800})
    page.goto(f"{server.url}/staff/login/")
    problems = look_at(page, "login", screens)
    log_in(page, server.url, "an")
    page.wait_for_url(f"{server.url}/staff/")
    problems += walk(page, server.url, page_urls(library, member, admin=False), screens)

    assert not problems, "\n".join(problems)


def test_every_page_fits_a_phone_and_passes_axe_for_a_network_admin(
    browser, server, library, other_library
):
    member = a_library_at_work(library)
    a_library_at_work(other_library)
    admin = add_staff("netwerk", email="netwerk@example.org", password=PASSWORD, role="admin")
    device = TOTPDevice.objects.create(user=admin, name="telefoon", confirmed=True)
    make_marketer(library, "an")
    page = browser.new_page(locale="nl-BE")

    page.set_viewport_size({"width": PHONE, "height": 800})
    log_in(page, server.url, "netwerk")
    page.wait_for_url("**/staff/login/code/**")
    problems = look_at(page, "verify")
    page.locator("input[name=token]").fill(current_code(device))
    page.get_by_role("button", name="Aanmelden").click()
    page.wait_for_url(f"{server.url}/staff/")
    page.get_by_label("Bibliotheek").select_option(label=library.name)
    page.get_by_role("button", name="Toon").click()
    problems += walk(page, server.url, page_urls(library, member, admin=True))

    assert not problems, "\n".join(problems)


def within_the_frame(page, element, seconds: float = 10) -> bool:
    """Whether the element, scrolled to, lies inside the preview's frame on the page; asked
    again until it does or the time is up, while the preview settles (the frame takes its
    height, or the live preview replaces it with a fresh rendering)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            element.scroll_into_view_if_needed()
            frame = page.locator("iframe.mail-frame").bounding_box()
            box = element.bounding_box()
        except PlaywrightError:  # the live preview put a fresh frame in its place
            frame = box = None
        inside = bool(frame and box) and (
            frame["y"] <= box["y"] and box["y"] + box["height"] <= frame["y"] + frame["height"]
        )
        if inside or time.monotonic() > deadline:
            return inside
        page.wait_for_timeout(200)


def test_the_preview_shows_the_mail_down_to_its_footer(browser, server, library):
    a_library_at_work(library)
    make_marketer(library, "an")
    journey = Journey.objects.get(library=library, key="welcome")
    page = browser.new_page(locale="nl-BE")
    log_in(page, server.url, "an")
    page.wait_for_url(f"{server.url}/staff/")

    for width in (PHONE, DESKTOP):
        page.set_viewport_size({"width": width, "height": 800})
        page.goto(server.url + reverse("staff:mail", args=[journey.pk, 1, "default"]))
        show_preview(page)
        mail = page.frame_locator("iframe.mail-frame")
        footer = mail.get_by_text("privacy", exact=False).last
        # Waited for: the frame takes the mail's height once the mail has laid out.
        expect(footer).to_be_visible()
        assert within_the_frame(page, footer)


def test_the_focus_ring_stands_out_on_white_and_on_the_header(browser, server, library):
    make_marketer(library, "an")
    page = browser.new_page(locale="nl-BE")
    log_in(page, server.url, "an")
    page.wait_for_url(f"{server.url}/staff/")

    for selector, behind in (("nav a", ".top"), ("main a", "body")):
        page.locator(selector).first.focus()
        ring, background = page.evaluate(
            """([selector, behind]) => [
                getComputedStyle(document.activeElement).outlineColor,
                getComputedStyle(document.querySelector(behind)).backgroundColor,
            ]""",
            [selector, behind],
        )
        assert contrast(ring, background) >= 3, (selector, ring, background)
        assert contrast(ring, "rgb(255, 255, 255)") >= 3, (selector, ring)


def contrast(first: str, second: str) -> float:
    """WCAG's contrast ratio of two CSS rgb() colours."""

    def luminance(colour: str) -> float:
        channels = [int(part) / 255 for part in colour[colour.index("(") + 1 : -1].split(",")[:3]]
        linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    lighter, darker = sorted((luminance(first), luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)
