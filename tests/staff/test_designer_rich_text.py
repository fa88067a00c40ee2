"""The mail designer's texts written as formatted text, in Chromium (rich-text.js): a word
made bold with its button and a link to {{ profile_url }} added with the Link button show in
the preview while typing, are saved as <strong> and <a href>, and come back formatted; the
boxes pass axe-core at a phone's and a desktop's width."""

import pytest
from playwright.sync_api import expect

from patronflow.journeys.models import Journey
from tests.accessibility import axe_violations
from tests.staff.phone import fits_and_passes
from tests.staff.test_designer_browser import add_paragraph, designer, mail_frame, select
from tests.staff.test_every_page import DESKTOP, PHONE

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def link(page, box, words: str, address: str) -> None:
    select(box, words)
    asked = []

    def answer(dialog):
        asked.append(dialog.message)
        dialog.accept(address)

    page.once("dialog", answer)
    page.get_by_role("button", name="Link").last.click()
    assert asked[0].startswith("Het adres van de link: https://…, mailto:…")


def test_a_paragraph_is_written_with_bold_and_a_link_and_saved_as_html(
    browser, live_server, library
):
    page = designer(browser, live_server, library, DESKTOP)
    box = add_paragraph(page, 7)
    assert box.get_attribute("role") == "textbox"
    expect(page.get_by_role("textbox", name="Tekst").last).to_be_focused()

    box.press_sequentially("Lees nu je nieuwe profiel bekijken", delay=10)
    select(box, "nieuwe")
    page.get_by_role("button", name="Vet").last.click()
    link(page, box, "profiel bekijken", "{{ profile_url }}")

    frame = mail_frame(page)
    expect(frame.locator("strong", has_text="nieuwe")).to_be_visible()
    expect(frame.get_by_role("link", name="profiel bekijken")).to_be_visible()
    box.press("End")
    box.press_sequentially(" of {{ first_name }}", delay=10)
    expect(page.locator("#b-7-html")).to_have_value(
        'Lees nu je <strong>nieuwe</strong> <a href="{{ profile_url }}">profiel bekijken</a>'
        " of {{ first_name }}"
    )
    expect(box).to_contain_text("{{ first_name }}")  # a personal field stays as it is typed
    assert axe_violations(page) == []

    page.get_by_role("button", name="Bewaren").click()
    expect(page.locator(".messages")).to_contain_text("Bewaard")
    welcome = Journey.objects.get(library=library, key="welcome")
    body = welcome.current_version.steps.get(position=1).variants.get().body
    assert '<strong>nieuwe</strong> <a href="{{ profile_url }}">profiel bekijken</a>' in body

    page.reload()
    saved = page.locator(".rich-text", has_text="Lees nu je")
    expect(saved.locator("strong")).to_have_text("nieuwe")
    expect(saved.get_by_role("link", name="profiel bekijken")).to_have_attribute(
        "href", "{{ profile_url }}"
    )
    page.set_viewport_size({"width": PHONE, "height": 900})
    fits_and_passes(page)


def test_a_link_is_changed_or_taken_away_and_ctrl_b_makes_bold(browser, live_server, library):
    page = designer(browser, live_server, library, DESKTOP)
    box = add_paragraph(page, 7)
    box.press_sequentially("Schrijf je uit", delay=10)
    link(page, box, "uit", "javascript:alert(1)")  # refused: the text stays as it was
    expect(page.locator("#b-7-html")).to_have_value("Schrijf je uit")

    link(page, box, "uit", "https://bib.example/")
    link(page, box, "uit", "mailto:bib@example.be")
    expect(page.locator("#b-7-html")).to_have_value(
        'Schrijf je <a href="mailto:bib@example.be">uit</a>'
    )
    link(page, box, "uit", "")
    select(box, "Schrijf")
    box.press("ControlOrMeta+b")
    expect(page.locator("#b-7-html")).to_have_value("<strong>Schrijf</strong> je uit")


def test_a_list_is_written_one_item_a_line_with_its_bold(browser, live_server, library):
    page = designer(browser, live_server, library, DESKTOP)
    page.get_by_role("group", name="Een blok toevoegen").get_by_role(
        "button", name="Opsomming"
    ).click()
    box = page.locator("#b-7-items_rich")
    expect(box).to_be_focused()
    box.press_sequentially("Boeken", delay=10)
    box.press("Enter")
    box.press("ControlOrMeta+b")
    box.press_sequentially("Strips", delay=10)

    expect(page.locator("#b-7-items")).to_have_value("Boeken\n<strong>Strips</strong>")
    expect(mail_frame(page).locator("li strong")).to_have_text("Strips")
