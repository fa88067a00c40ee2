"""A mail made of every kind of block, as a member's mail program shows it: in a real browser
at a phone's and a desktop's width and in dark mode, with nothing sideways, the two columns
side by side on the desktop and one above the other on the phone, the button readable in
both modes, and no accessibility violation (axe-core)."""

from io import BytesIO

import pytest
from PIL import Image

from patronflow.mail.images import store_image, urls_for
from patronflow.mail.rendering import render_mail
from patronflow.members.models import Member
from patronflow.profiles.tips import ReadingTip
from patronflow.templating.blocks import to_template
from tests.accessibility import axe_violations
from tests.browsers import chromium
from tests.factories import LibraryFactory


def picture(size: tuple[int, int], colour: tuple[int, int, int]) -> bytes:
    buffer = BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return buffer.getvalue()


def every_block(photo: int, cover: int) -> list[dict]:
    return [
        {"type": "heading", "text": "Welkom, {{ first_name }}!", "level": 2},
        {"type": "paragraph", "html": "Met je lidkaart leen je <strong>boeken</strong>, "
                                      'strips en <a href="https://gent.bibliotheek.be/e">e-boeken</a>.'},
        {"type": "image", "image": photo, "alt": "De leeszaal van de bibliotheek"},
        {"type": "button", "text": "Maak mijn profiel aan", "url": "{{ profile_url }}"},
        {"type": "divider"},
        {"type": "columns",
         "left": [{"type": "image", "image": cover, "alt": "Affiche van de leesclub",
                   "link": "https://gent.bibliotheek.be/leesclub"}],
         "right": [{"type": "heading", "text": "Activiteiten", "level": 3},
                   {"type": "list", "items": ["Leesclub op dinsdag", "Hulp bij je computer"],
                    "ordered": False}]},
        {"type": "reading_tips"},
        {"type": "paragraph", "html": "Tot snel in de bib!"},
        {"type": "footer", "html": "Open op zondag van 10 tot 13 uur."},
    ]  # fmt: skip


@pytest.mark.slow
@pytest.mark.django_db
def test_a_mail_of_every_block_fits_phones_and_desktops_in_light_and_dark(chromium_path):
    library = LibraryFactory(
        code="gent",
        name="Bibliotheek Gent",
        profile_url="https://gent.bibliotheek.be/mijn-bibliotheek",
        catalogue_url="https://gent.bibliotheek.be/zoeken?q={isbn}",
    )
    uploads = {
        store_image(library=library, content=picture(size, colour), name="x.png", alt="x",
                    created_by=None)[0].pk: picture(size, colour)
        for size, colour in (((1200, 600), (40, 120, 200)), ((600, 800), (200, 120, 40)))
    }  # fmt: skip
    photo, cover = uploads
    served = {ref.url: uploads[pk] for pk, ref in urls_for(library, list(uploads)).items()}
    mail = render_mail(
        message_id=1,
        member=Member(library=library, first_name="An"),
        library=library,
        subject="Welkom bij Bibliotheek Gent",
        preheader="Fijn dat je er bent.",
        body=to_template(every_block(photo, cover)),
        reading_tips=[ReadingTip("De avonden", "Gerard Reve", "9789023467561")],
    )

    with chromium(chromium_path) as browser:
        page = browser.new_page()
        page.route(
            "**/*",
            lambda route: route.fulfill(status=200, content_type="image/png",
                                        body=served[route.request.url])
            if route.request.url in served
            else route.abort(),
        )  # fmt: skip
        columns = (
            "[...document.querySelectorAll('.column')].map(c => c.getBoundingClientRect().top)"
        )
        for width, side_by_side in ((800, True), (375, False)):
            page.set_viewport_size({"width": width, "height": 900})
            page.set_content(mail.html, wait_until="load")
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            left, right = page.evaluate(columns)
            assert (left == right) is side_by_side
            loaded = page.evaluate("[...document.images].filter(i => i.naturalWidth).length")
            assert loaded == 2
            violations = axe_violations(page, ("wcag2a", "wcag2aa", "wcag21aa"))
            assert not [v["id"] for v in violations if v["impact"] in ("serious", "critical")]

        page.emulate_media(color_scheme="dark")
        page.set_content(mail.html, wait_until="load")
        button = page.evaluate(
            "[getComputedStyle(document.querySelector('.button-link')).color,"
            " getComputedStyle(document.querySelector('.button-cell')).backgroundColor]"
        )
        assert button[0] == "rgb(255, 255, 255)" and button[1] != "rgba(0, 0, 0, 0)"
        violations = axe_violations(page, ("wcag2a", "wcag2aa", "wcag21aa"))
        assert not [v["id"] for v in violations if v["impact"] in ("serious", "critical")]
