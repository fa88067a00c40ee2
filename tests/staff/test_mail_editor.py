"""The mail editor says, on the field concerned and in the marketer's language, what stands
in a text's way or what the mail will lose: an HTML block over its stated size (also a post
too large for the server to read), what the sanitiser leaves out of an HTML block, a text
Jinja cannot read; and in a
library without members it previews the mail as a made-up member. A test goes to the
library's seed list (the ticked addresses), rendered for the chosen member, or to the staff
member when there is no list."""

import re
from html import unescape
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from patronflow.journeys.models import Journey
from patronflow.profiles.models import ReadingProfile
from patronflow.staff.block_editor import stripped_note
from patronflow.staff.services import add_seed
from tests.factories import MemberFactory
from tests.mail.test_brand import mail_of

pytestmark = pytest.mark.django_db

# A body far over the limit: 2 MB of text, over 2.5 MB as the browser posts it.
HUGE_BODY = "<p>Dag</p>" * 200_000
STRIPPED_BODY = (
    '<p style="color: red">Dag {{ first_name }},</p><script>alert("x")</script>'
    '<img src="https://gent.be/foto.jpg"><table><tr><td>Open</td></tr></table>'
    '<p><a href="javascript:alert(1)">Klik</a> of <a href="{{ profile_url }}">je profiel</a></p>'
)


def welcome(library) -> Journey:
    return Journey.objects.get(library=library, key="welcome")


def url(journey, name="mail", position=2):
    return reverse(f"staff:{name}", args=[journey.pk, position, "default"])


def text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def field_slot(page: str, field: str) -> str:
    """What the editor shows under a field: its error, or the preview's out-of-band slot
    (`body`: the blocks as a whole; `b-0-html`: the first block's HTML)."""
    slot_id = field if field.startswith("b-") else f"id_{field}"
    slot = re.search(rf'<div id="{slot_id}_problem"[^>]*>(.*?)</div>', page, re.S)
    assert slot, f"no slot for {field}"
    return text(slot[1])


def blocks_part(page: str) -> str:
    """The editor's blocks, as text: what it says above and on them."""
    found = re.search(r'<section id="blocks".*?</section>', page, re.S)
    assert found, "no blocks"
    return text(found[0])


def html_block(body: str) -> dict:
    """A mail of one HTML block, as the designer posts it."""
    return {"b-count": 1, "b-0-type": "html", "b-0-html": body}


def as_htmx(client, address: str, data: dict):
    """As htmx posts the editor's form: url-encoded, with its header."""
    return client.post(
        address,
        urlencode(data),
        content_type="application/x-www-form-urlencoded",
        headers={"HX-Request": "true"},
    )


def test_a_preview_of_a_body_too_large_to_read_says_so_on_the_body(staff_client, library):
    member = MemberFactory(library=library)
    response = as_htmx(
        staff_client,
        url(welcome(library), "preview"),
        {"subject": "Hallo", "member": member.pk} | html_block(HUGE_BODY),
    )

    assert response.status_code == 200
    assert field_slot(response.content.decode(), "body") == (
        "Deze tekst is veel langer dan de tekst van een mail mag zijn: hooguit 100.000 tekens. "
        "Maak hem korter."
    )


def test_saving_a_body_too_large_to_read_says_so_keeps_the_saved_text_and_needs_no_token(
    marketer, library
):
    """Refusing it changes nothing, so the CSRF check may wait until after the size; a post
    of ordinary size is still refused without its token."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(marketer)
    journey = welcome(library)
    before = journey.current_version.steps.get(position=2).variants.get().body
    response = client.post(
        url(journey),
        urlencode({"subject": "Hallo"} | html_block(HUGE_BODY)),
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    assert "Er is niets bewaard: de blokken tonen weer de bewaarde mail." in blocks_part(
        response.content.decode()
    )
    assert journey.current_version.steps.get(position=2).variants.get().body == before
    assert welcome(library).versions.count() == 1
    small = {"subject": "Hallo"} | html_block("<p>Dag</p>")
    assert client.post(url(journey), small).status_code == 403
    assert as_htmx(client, url(journey, "preview"), small).status_code == 403


def test_an_html_block_over_the_limit_says_how_long_it_is(staff_client, library):
    response = staff_client.post(
        url(welcome(library)), {"subject": "Hallo"} | html_block("x" * 100_001)
    )

    assert "Hoogstens 100000 tekens; dit zijn er 100001." in blocks_part(response.content.decode())


LEFT_OUT = (
    "Valt weg uit de mail bij het verzenden: de tags <img>, <script>, <table>, <td>, <tr>; "
    "de attributen style (<p>); de links naar javascript:alert(1) (hun tekst blijft staan). "
    "Een mail houdt alleen de tags a, b, blockquote, br, em, h2, h3, i, li, ol, p, span, "
    "strong, u, ul over, geen attributen behalve href en title van een link, en alleen links "
    "naar https://- en mailto:-adressen."
)


def test_the_preview_lists_what_the_sanitiser_leaves_out_on_the_body(staff_client, library):
    member = MemberFactory(library=library)
    response = staff_client.post(
        url(welcome(library), "preview"),
        {"subject": "Hallo", "member": member.pk} | html_block(STRIPPED_BODY),
    )
    page = response.content.decode()

    assert field_slot(page, "b-0-html") == LEFT_OUT
    assert 'data-testid="preview-subject"' in page  # the mail is shown all the same


def test_saving_what_the_sanitiser_shortens_is_allowed_with_the_list_on_the_body(
    staff_client, library
):
    journey = welcome(library)
    response = staff_client.post(
        url(journey), {"subject": "Hallo"} | html_block(STRIPPED_BODY), follow=True
    )
    page = response.content.decode()

    assert journey.current_version.steps.get(position=2).variants.get().body == STRIPPED_BODY
    assert "Bewaard" in page
    assert field_slot(page, "b-0-html") == LEFT_OUT


def test_the_list_is_in_english_in_the_english_interface(staff_client, library):
    staff_client.post(reverse("staff:language"), {"language": "en", "next": "/staff/"})
    body = '<p onclick="x()">Hi</p><a href="http://insecure.example/">link</a>'
    response = staff_client.post(
        url(welcome(library)), {"subject": "Hi"} | html_block(body), follow=True
    )

    assert field_slot(response.content.decode(), "b-0-html").startswith(
        "Left out of the mail when it is sent: the attributes onclick (<p>); the links to "
        "http://insecure.example/ (their text stays). A mail keeps only the tags a, b,"
    )


@pytest.mark.parametrize(
    "language, says",
    [
        ("nl", "regel 1: de tekst klopt niet: een {{ … }} of {% … %} is niet af of bevat iets "
               "wat een mail niet kent (Jinja zegt, in het Engels: unexpected '/')"),
        ("en", "line 1: the text is not right: a {{ … }} or {% … %} is unfinished or holds "
               "something a mail does not know (Jinja's own words: unexpected '/')"),
    ],
)  # fmt: skip
def test_a_text_jinja_cannot_read_is_explained_on_its_field(staff_client, library, language, says):
    staff_client.post(reverse("staff:language"), {"language": language, "next": "/staff/"})
    response = staff_client.post(
        url(welcome(library)), {"subject": "Hallo"} | html_block("<p>Dag {{ first_name </p>")
    )

    assert says in blocks_part(response.content.decode())


def test_in_a_library_without_members_the_preview_is_a_made_up_members(staff_client, library):
    journey = welcome(library)
    editor = staff_client.get(url(journey)).content.decode()
    assert "Een verzonnen lid (deze bibliotheek heeft nog geen leden)" in editor

    response = staff_client.post(
        url(journey, "preview"),
        {"subject": "Dag {{ first_name }}", "member": ""} | html_block("<p>Welkom</p>"),
    )
    page = response.content.decode()

    assert "Zoals een verzonnen lid dat An heet hem zou krijgen" in page
    assert re.search(r'data-testid="preview-subject">Dag An<', page)


# Test sends to the seed list (a real SMTP server: the smtp_server fixture)

TEST_MAIL = {"subject": "Hallo {{ first_name }}"} | html_block("<p>Dag {{ first_name }}</p>")


def test_a_test_goes_to_every_seed_address_rendered_for_the_chosen_member(
    staff_client, marketer, library, smtp_server
):
    member = MemberFactory(library=library, first_name="Fatima")
    seeds = [
        add_seed(library, address=address, label="", actor=marketer)
        for address in ("jan@gent.be", "els@gent.be")
    ]
    data = TEST_MAIL | {"member": member.pk, "seed": [seed.pk for seed in seeds]}

    page = text(staff_client.post(url(welcome(library), "mail_test"), data).content.decode())

    assert "Er is een test verzonden naar els@gent.be, jan@gent.be." in page
    for address in ("jan@gent.be", "els@gent.be"):
        (mail,) = smtp_server.to(address)
        assert mail["Subject"] == "[TEST] Hallo Fatima"
    assert not smtp_server.to(marketer.email) and not smtp_server.to(member.email)


def test_a_test_goes_only_to_the_ticked_seed_addresses(
    staff_client, marketer, library, smtp_server
):
    member = MemberFactory(library=library)
    jan = add_seed(library, address="jan@gent.be", label="", actor=marketer)
    add_seed(library, address="els@gent.be", label="", actor=marketer)

    ticked = staff_client.post(
        url(welcome(library), "mail_test"), TEST_MAIL | {"member": member.pk, "seed": [jan.pk]}
    )
    none = staff_client.post(url(welcome(library), "mail_test"), TEST_MAIL | {"member": member.pk})

    assert "Er is een test verzonden naar jan@gent.be." in text(ticked.content.decode())
    assert "Vink minstens één adres van de testlijst aan." in text(none.content.decode())
    assert [m["To"].addresses[0].addr_spec for m in smtp_server.messages] == ["jan@gent.be"]


def test_another_librarys_seed_addresses_are_never_mailed(
    staff_client, marketer, library, other_library, smtp_server
):
    member = MemberFactory(library=library)
    add_seed(library, address="jan@gent.be", label="", actor=marketer)
    theirs = add_seed(other_library, address="dirk@brugge.be", label="", actor=None)

    staff_client.post(
        url(welcome(library), "mail_test"), TEST_MAIL | {"member": member.pk, "seed": [theirs.pk]}
    )

    assert smtp_server.messages == []


def test_without_a_seed_list_the_test_goes_to_the_staff_member(
    staff_client, marketer, library, smtp_server
):
    member = MemberFactory(library=library, first_name="Fatima")
    editor = staff_client.get(url(welcome(library))).content.decode()

    page = staff_client.post(url(welcome(library), "mail_test"), TEST_MAIL | {"member": member.pk})

    assert "Stuur mij een test" in editor
    assert f"Er is een test verzonden naar {marketer.email}." in text(page.content.decode())
    (mail,) = smtp_server.to(marketer.email)
    assert mail["Subject"] == "[TEST] Hallo Fatima"


def test_the_editor_lists_the_seed_addresses_ticked_and_previews_a_member_of_the_variant(
    staff_client, marketer, library
):
    digital = MemberFactory(library=library, external_id="Z9")
    ReadingProfile.objects.create(member=digital, segment="fiction_digital")
    MemberFactory(library=library, external_id="A1")
    add_seed(library, address="jan@gent.be", label="Jan", actor=marketer)
    dormant = Journey.objects.get(library=library, key="dormant")

    page = staff_client.get(
        reverse("staff:mail", args=[dormant.pk, 1, "fiction_digital"])
    ).content.decode()

    assert re.search(r'<input type="checkbox" name="seed" value="\d+" id="seed-\d+" checked>', page)
    assert "jan@gent.be (Jan)" in page
    assert "Stuur een test naar de testlijst" in page
    assert re.search(rf'<option value="{digital.pk}" selected>', page)


def test_a_refusal_that_is_not_about_a_template_is_said_in_the_marketers_language(
    staff_client, library
):
    journey = welcome(library)
    journey.status = Journey.Status.ARCHIVED
    journey.save(update_fields=["status"])

    response = staff_client.post(url(journey), {"subject": "Hallo"} | html_block("<p>Dag</p>"))

    assert "Deze reeks is gearchiveerd" in unescape(response.content.decode())


def test_a_button_linking_to_javascript_is_said_to_go_whole_as_it_does(library):
    block = {
        "type": "html",
        "html": '<p>Dag</p><pf-button href="javascript:alert(1)">Klik</pf-button>',
    }

    with translation.override("en"):
        note = stripped_note(block["html"])

    assert "each button whose link is not an https:// or mailto: address, text and all" in note
    assert "href (<pf-button>)" not in note
    assert "Klik" not in text(mail_of(library, [block]))
