"""The mail designer in Chromium, as a marketer who writes no HTML: the standard welcome
mail built again from an empty page with blocks alone renders the standard's text; the
preview follows typing (no button pressed) at a phone's and a desktop's width, shows the
mail in dark mode, its size and its spam score, and an image chosen from the library's
images; the designer fits a phone and passes axe-core at both widths.

Screenshots land in var/artefacts/designer/ (the welcome mail built, at 1280 and 375 px)."""

import re
import shutil
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from playwright.sync_api import expect

from patronflow.journeys.definitions import standard_definition
from patronflow.journeys.models import Journey
from patronflow.mail.rendering import render_mail
from tests.accessibility import axe_violations
from tests.factories import MemberFactory
from tests.mail.test_images import picture, upload
from tests.staff.conftest import make_marketer
from tests.staff.phone import fits_and_passes, phone_page
from tests.staff.test_every_page import DESKTOP, PHONE

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def designer(browser, live_server, library, width: int = PHONE, position: int = 1):
    make_marketer(library, "an")
    welcome = Journey.objects.get(library=library, key="welcome")
    page = phone_page(browser, live_server, "an")
    page.wait_for_url(f"{live_server.url}/staff/")
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live_server.url}/staff/journeys/{welcome.pk}/steps/{position}/default/")
    return page


@pytest.fixture
def screens() -> Path:
    folder = Path(django_settings.VAR_DIR) / "artefacts" / "designer"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def mail_frame(page):
    return page.frame_locator("iframe.mail-frame")


@pytest.mark.parametrize("width", [PHONE, DESKTOP])
def test_the_preview_follows_typing_without_a_button(browser, live_server, library, width):
    MemberFactory(library=library, first_name="Fatima")
    page = designer(browser, live_server, library, width)
    expect(mail_frame(page).locator("body")).to_contain_text("Welkom bij")

    text = page.locator("#b-6-html_rich")  # rich-text.js's box for the paragraph's text
    text.click()
    text.press("End")
    text.press_sequentially(" Tot binnenkort, Fatima!", delay=20)

    expect(mail_frame(page).locator("body")).to_contain_text("Tot binnenkort, Fatima!")
    if width == PHONE:
        fits_and_passes(page)
    else:
        frame = page.locator("iframe.mail-frame").bounding_box()
        assert 0 <= frame["y"] < 900  # beside the last block, the preview is still in view
        assert axe_violations(page) == []


def test_the_designer_shows_dark_mode_size_and_spam_score(
    browser, live_server, library, spamassassin_path
):
    page = designer(browser, live_server, library)
    expect(page.get_by_test_id("mail-size")).to_contain_text("De mail is ")
    expect(page.get_by_test_id("spam-score")).to_have_text(
        re.compile(r"Spamscore: -?\d+,\d \(SpamAssassin rekent 5,0 of meer als spam\)\.")
    )

    page.get_by_label("Donkere modus").check()

    dark = page.frame_locator("iframe.dark-frame").locator("body")
    expect(dark).to_contain_text("Welkom bij")
    background = dark.evaluate("body => getComputedStyle(body).backgroundColor")
    assert background == "rgb(17, 24, 25)"  # the layout's dark-mode background, #111819
    assert page.locator("iframe.mail-frame").is_hidden()
    fits_and_passes(page)

    page.get_by_label("Computer (640 px)").check()
    assert page.locator("iframe.dark-frame").bounding_box()["width"] <= PHONE


def test_an_image_chosen_from_the_library_shows_in_the_preview(
    browser, live_server, library, settings
):
    settings.BASE_URL = live_server.url
    image = upload(library, picture((800, 400)), alt="Kinderen lezen in de bib")
    page = designer(browser, live_server, library, DESKTOP)
    page.get_by_role("group", name="Een blok toevoegen").get_by_role(
        "button", name="Afbeelding"
    ).click()
    page.get_by_role("radio", name="Kinderen lezen in de bib").check()

    expect(page.locator("#b-7-alt")).to_have_value("Kinderen lezen in de bib")
    picture_in_mail = mail_frame(page).get_by_role("img", name="Kinderen lezen in de bib")
    expect(picture_in_mail).to_be_visible()
    assert image.key in picture_in_mail.get_attribute("src")


WELCOME = [  # mail 1 of the standard welcome journey, as paragraphs and whom each is for
    ("Welkom bij {{ library_name }}! Met je lidkaart leen je boeken, strips, e-boeken en "
     "luisterboeken. En je bent altijd welkom om te lezen, te studeren of gewoon rond te "
     "kijken.", ""),
    ("<strong>Maak je profiel aan in Mijn Bibliotheek.</strong> Daar zie je wat je leent, "
     "verleng je met één klik en reserveer je wat je wil lezen.", "not has_online_profile"),
    ('<a href="{{ profile_url }}">Maak mijn profiel aan</a>', "not has_online_profile"),
    ('Je profiel in Mijn Bibliotheek is klaar: <a href="{{ profile_url }}">bekijk wat je '
     "leent en verleng je boeken</a>.", "has_online_profile"),
    ("De komende weken krijg je nog twee korte mails met tips. Liever niet? "
     '<a href="{{ unsubscribe_url }}">Schrijf je hier uit</a>, dan sturen we ze niet.', ""),
    ("Tot snel in de bib!", ""),
]  # fmt: skip


def add_paragraph(page, number: int):
    page.get_by_role("group", name="Een blok toevoegen").get_by_role(
        "button", name="Alinea", exact=True
    ).click()
    text = page.locator(f"#b-{number}-html_rich")  # rich-text.js's box for its text
    expect(text).to_be_focused()
    return text


def write(page, box, html: str) -> None:
    """Types a paragraph as it reads, then makes its bold part bold and its link a link
    with their buttons (the link's address typed where the Link button asks for it)."""
    text = re.sub(r"<[^>]+>", "", html)
    box.press_sequentially(text, delay=5)
    if bold := re.search(r"<strong>(.*?)</strong>", html):
        select(box, bold[1])
        page.locator(f'[data-wrap=strong][aria-controls="{box.get_attribute("id")}"]').click()
    if link := re.search(r'<a href="(.*?)">(.*?)</a>', html):
        select(box, link[2])
        page.once("dialog", lambda dialog: dialog.accept(link[1]))
        page.locator(f'[data-wrap=a][aria-controls="{box.get_attribute("id")}"]').click()
    expect(page.locator(f"#{box.get_attribute('id').removesuffix('_rich')}")).to_have_value(html)


def select(box, words: str) -> None:
    """Selects `words` in the box's text, as a drag of the mouse over them would."""
    box.evaluate(
        """(box, words) => {
            const walker = document.createTreeWalker(box, NodeFilter.SHOW_TEXT);
            while (walker.nextNode()) {
                const at = walker.currentNode.nodeValue.indexOf(words);
                if (at < 0) continue;
                const range = document.createRange();
                range.setStart(walker.currentNode, at);
                range.setEnd(walker.currentNode, at + words.length);
                box.focus();
                const selection = document.getSelection();
                selection.removeAllRanges();
                selection.addRange(range);
                return;
            }
            throw new Error("not in the box: " + words);
        }""",
        words,
    )


def rendered_text(library, body: str, *, online: bool) -> str:
    member = MemberFactory.build(library=library, first_name="Fatima", has_online_profile=online)
    mail = render_mail(
        message_id=0,
        member=member,
        library=library,
        subject="Welkom",
        preheader="",
        body=body,
        reading_tips=[],
        language="nl",
    )
    return mail.text


def test_the_standard_welcome_mail_is_built_from_an_empty_page_with_blocks_alone(
    browser, live_server, library, screens
):
    page = designer(browser, live_server, library, DESKTOP)
    remove = page.locator("#blocks").get_by_role("button", name=re.compile("^Verwijderen"))
    while remove.count():
        before = remove.count()
        remove.first.click()
        expect(remove).to_have_count(before - 1)
    expect(page.locator("#blocks")).to_contain_text("Nog geen blokken")

    greeting = add_paragraph(page, 0)  # the first name picked from the list, not typed
    greeting.type("Dag ")
    page.get_by_label("Persoonlijke velden").select_option(label="Voornaam: {{ first_name }}")
    page.get_by_role("button", name="Invoegen").click()
    greeting.press("End")
    greeting.type(",")
    expect(page.locator("#b-0-html")).to_have_value("Dag {{ first_name }},")
    for number, (html, shown_to) in enumerate(WELCOME, start=1):
        text = add_paragraph(page, number)
        write(page, text, html)
        page.locator(f"#b-{number}-show_if").select_option(shown_to)
    expect(mail_frame(page).locator("body")).to_contain_text("Tot snel in de bib!")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=screens / "designer-1280.png", full_page=True)
    page.set_viewport_size({"width": PHONE, "height": 900})
    page.screenshot(path=screens / "designer-375.png", full_page=True)

    page.get_by_role("button", name="Bewaren").click()

    # (the blocks written as text with buttons make the standard mail to the character)
    expect(page.locator(".messages")).to_contain_text("Er is niets gewijzigd")
    welcome = Journey.objects.get(library=library, key="welcome")
    saved = welcome.current_version.steps.get(position=1).variants.get().body
    standard = standard_definition("welcome")["steps"][0]["variants"][0]["body"]
    for online in (False, True):
        assert rendered_text(library, saved, online=online) == rendered_text(
            library, standard, online=online
        )


def paragraphs(page) -> list[str]:
    return page.locator("#blocks > ol.blocks > li textarea").evaluate_all(
        "areas => areas.map(area => area.value.slice(0, 12))"
    )


def test_a_block_moves_by_keyboard_and_by_dragging_its_handle(browser, live_server, library):
    page = designer(browser, live_server, library, DESKTOP, position=3)
    expect(mail_frame(page).locator("body")).to_contain_text("Dag")  # nothing moves now
    first, second, third, fourth = paragraphs(page)

    page.locator("#b-1-html_rich").press("Alt+ArrowUp")

    expect(page.locator("#b-0-html")).to_have_value(re.compile("^" + re.escape(second)))
    assert paragraphs(page) == [second, first, third, fourth]
    expect(page.locator("#b-0-html_rich")).to_be_focused()  # where the keys were pressed

    page.wait_for_load_state("networkidle")  # the preview that followed the move is in
    page.set_viewport_size({"width": DESKTOP, "height": 2400})  # both ends of the drag in view
    page.locator("#b-3 .drag-handle").drag_to(page.locator("#b-0 legend"))

    expect(page.locator("#b-0-html")).to_have_value(re.compile("^" + re.escape(fourth)))
    assert paragraphs(page) == [fourth, second, first, third]
    assert Journey.objects.get(library=library, key="welcome").versions.count() == 1
