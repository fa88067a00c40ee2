"""How a mail made of blocks looks to its member: buttons, images, dividers, two columns,
footer text and reading tips placed where the mail put them, each in the layout's own HTML
around the staff's sanitised text; and the skeleton route gives the very same mail."""

import re
from io import BytesIO

import pytest
from PIL import Image

from patronflow.mail.images import store_image
from patronflow.mail.models import BrandKit
from patronflow.mail.rendering import RenderedMail, render_mail
from patronflow.mail.skeletons import SkeletonRenderer
from patronflow.members.models import Member
from patronflow.profiles.tips import ReadingTip
from patronflow.templating.blocks import to_template
from tests.factories import LibraryFactory

TIPS = [ReadingTip("De avonden", "Gerard Reve", "9789023467561")]
PARAGRAPH = {"type": "paragraph", "html": "Dag {{ first_name }}"}


def picture(size: tuple[int, int]) -> bytes:
    buffer = BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(buffer, "PNG")
    return buffer.getvalue()


def uploaded(library, size=(1600, 800), alt="De leeszaal") -> int:
    image, _new = store_image(
        library=library, content=picture(size), name="zaal.png", alt=alt, created_by=None
    )
    return image.pk


def mail(library, blocks: list[dict], *, tips=(), online=False, first_name="An") -> RenderedMail:
    return render_mail(
        message_id=7,
        member=Member(library=library, first_name=first_name, has_online_profile=online),
        library=library,
        subject="Nieuws",
        preheader="",
        body=to_template(blocks),
        reading_tips=list(tips),
    )


@pytest.fixture
def gent(db):
    return LibraryFactory(
        code="gent",
        name="Bibliotheek Gent",
        profile_url="https://gent.bibliotheek.be/mijn-bibliotheek",
        catalogue_url="https://gent.bibliotheek.be/zoeken?q={isbn}",
    )


def test_a_button_is_a_table_cell_in_the_brand_colour_whose_link_is_tracked(gent):
    sent = mail(gent, [{"type": "button", "text": "Maak je profiel", "url": "{{ profile_url }}"}])

    cell = re.search(r'<td class="button-cell"[^>]*>(.*?)</td>', sent.html, re.S)
    assert cell and 'bgcolor="#' in cell[0] and "Maak je profiel" in cell[1]
    assert sent.links == ["https://gent.bibliotheek.be/mijn-bibliotheek"]
    assert "/t/c/" in cell[1] and "mijn-bibliotheek" not in cell[1]
    assert "Maak je profiel" in sent.text


def test_a_button_whose_address_the_library_lacks_is_left_out(gent):
    gent.profile_url = ""

    button = {"type": "button", "text": "Maak je profiel", "url": "{{ profile_url }}"}

    sent = mail(gent, [{"type": "paragraph", "html": "Dag"}, button])

    assert "Maak je profiel" not in sent.html and "button-cell" not in sent.html


def test_an_image_is_served_by_us_no_wider_than_the_mail_with_its_description(gent):
    image = uploaded(gent)

    sent = mail(gent, [{"type": "image", "image": image, "alt": "Kinderen lezen in de zaal",
                        "link": "https://gent.bibliotheek.be/zaal"}])  # fmt: skip

    [tag] = [tag for tag in re.findall(r"<img\b[^>]*>", sent.html) if "Kinderen" in tag]
    assert 'alt="Kinderen lezen in de zaal"' in tag
    assert 'width="544"' in tag and 'height="272"' in tag and "max-width: 100%" in tag
    assert re.search(r'src="https?://[^"]+/t/i/[^"]+"', tag)
    assert sent.links == ["https://gent.bibliotheek.be/zaal"]


def test_another_librarys_image_is_left_out_of_the_mail(gent):
    other = uploaded(LibraryFactory(code="brugge"))

    sent = mail(gent, [{"type": "paragraph", "html": "Dag"},
                       {"type": "image", "image": other, "alt": "Brugge"}])  # fmt: skip

    assert "Brugge" not in sent.html and "/t/i/" not in sent.html


def test_two_columns_sit_side_by_side_and_stack_on_phones(gent):
    image = uploaded(gent)

    sent = mail(gent, [{"type": "columns",
                        "left": [{"type": "paragraph", "html": "Links"}],
                        "right": [{"type": "image", "image": image, "alt": "Rechts"},
                                  {"type": "paragraph", "html": "Onder"}]}])  # fmt: skip

    assert sent.html.count('<div class="column') == 2
    assert "<!--[if mso]>" in sent.html  # Outlook gets a table of two cells
    assert re.search(
        r"@media[^{]*max-width: 620px\)[^@]*\.column \{ max-width: 100% !important", sent.html
    )
    assert 'width="248"' in sent.html  # an image no wider than its column
    assert sent.text.index("Links") < sent.text.index("Onder")


def test_a_divider_draws_a_line_and_adds_nothing_to_the_text(gent):
    sent = mail(gent, [{"type": "paragraph", "html": "Boven"}, {"type": "divider"},
                       {"type": "paragraph", "html": "Onder"}])  # fmt: skip

    assert 'class="divider-line"' in sent.html
    assert re.search(r"Boven\n\nOnder", sent.text)


def test_footer_text_stands_in_the_footer_with_the_brand_lines(gent):
    sent = mail(gent, [{"type": "paragraph", "html": "Dag"},
                       {"type": "footer", "html": "Open op zondag"}])  # fmt: skip

    footer = sent.html[sent.html.index('class="footer"') :]
    content = sent.html[: sent.html.index('class="footer"')]
    assert "Open op zondag" in footer and "Open op zondag" not in content
    assert sent.text.index("Wat vond je van deze mail?") < sent.text.index("Open op zondag")


def test_reading_tips_show_where_the_mail_places_them(gent):
    blocks = [{"type": "paragraph", "html": "Eerst"}, {"type": "reading_tips"},
              {"type": "paragraph", "html": "Daarna"}]  # fmt: skip

    sent = mail(gent, blocks, tips=TIPS)
    without = mail(gent, blocks)

    assert sent.text.index("Eerst") < sent.text.index("De avonden") < sent.text.index("Daarna")
    assert "Leestips voor jou" not in without.text and "Daarna" in without.text


def test_a_condition_shows_a_block_to_some_members_only(gent):
    blocks = [{"type": "button", "text": "Maak je profiel", "url": "{{ profile_url }}",
               "show_if": "not has_online_profile"}]  # fmt: skip

    assert "Maak je profiel" in mail(gent, blocks, online=False).text
    assert "Maak je profiel" not in mail(gent, blocks, online=True).text


@pytest.mark.parametrize(
    "forged",
    [
        '<pf-button href="javascript:alert(1)">Klik</pf-button>',
        '<pf-button href="//elders.example/x">Klik</pf-button>',
        '<pf-image image="1 onerror=alert(1)" alt="x"></pf-image>',
        '<pf-button href="https://x.be" onclick="alert(1)">Klik</pf-button>',
    ],
)
def test_structure_written_by_hand_in_html_gets_no_further_than_a_block_would(gent, forged):
    sent = mail(gent, [{"type": "html", "html": forged}])

    assert "alert" not in sent.html and "elders.example" not in sent.html


def test_the_skeleton_route_gives_the_same_mail_with_buttons_and_images(gent):
    image = uploaded(gent)
    blocks = [
        {"type": "heading", "text": "Welkom, {{ first_name }}", "level": 2},
        {"type": "button", "text": "Maak je profiel", "url": "{{ profile_url }}"},
        {"type": "image", "image": image, "alt": "De zaal", "link": "https://gent.be/zaal"},
        {"type": "columns", "left": [{"type": "paragraph", "html": "Dag {{ first_name }}"}],
         "right": [{"type": "divider"}]},
        {"type": "reading_tips"},
        {"type": "footer", "html": "Tot snel"},
    ]  # fmt: skip
    batch = SkeletonRenderer()
    for number, name in enumerate(["An", "Zoë", 'Tom "T" <Jerry>'], 1):
        arguments = {
            "message_id": number,
            "member": Member(library=gent, first_name=name),
            "library": gent,
            "subject": "Nieuws voor {{ first_name }}",
            "preheader": "",
            "body": to_template(blocks),
            "reading_tips": TIPS,
        }
        assert batch.render(**arguments) == render_mail(**arguments)
    assert batch.fast >= 2


def test_an_uploaded_logo_is_described_as_its_upload_says_and_an_address_by_the_name(gent):
    """A network's logo in a library's mail shows the network, and says so."""
    image, _new = store_image(
        library=None, content=picture((300, 90)), name="n.png", alt="Bibliotheeknetwerk",
        created_by=None,
    )  # fmt: skip
    BrandKit.objects.create(library=None, logo=image)
    logo = re.search(r'<td class="logo"[^>]*><img [^>]*>', mail(gent, [PARAGRAPH]).html)
    assert logo and 'alt="Bibliotheeknetwerk"' in logo[0]

    BrandKit.objects.filter(library=None).update(logo=None, logo_url="https://gent.be/logo.png")
    gent = type(gent).objects.get(pk=gent.pk)  # a new batch reads the kits again
    logo = re.search(r'<td class="logo"[^>]*><img [^>]*>', mail(gent, [PARAGRAPH]).html)
    assert logo and 'alt="Bibliotheek Gent"' in logo[0]
