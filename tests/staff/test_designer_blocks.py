"""The designer's blocks without JavaScript: each button posts the form, which comes back
changed (a block added, moved, removed) and unsaved; Save checks the blocks and says what
is wrong on the block's own field, in the marketer's language; an image block offers the
library's images and takes the image's own description."""

import re
from html import unescape

import pytest
from django.urls import reverse

from patronflow.journeys.models import Journey
from tests.mail.test_images import picture, upload
from tests.staff.test_mail_editor import text

pytestmark = pytest.mark.django_db


def editor_url(library, key="welcome", position=3):
    journey = Journey.objects.get(library=library, key=key)
    return reverse("staff:mail", args=[journey.pk, position, "default"])


def saved_variant(library, key="welcome", position=3):
    journey = Journey.objects.get(library=library, key=key)
    return journey.current_version.steps.get(position=position).variants.get()


def posted(page: str) -> dict:
    """What the browser would post of the designer's form as it stands (its first button
    not pressed): every named input, textarea and selected option."""
    form = re.search(r'<form method="post" id="mail-form".*?</form>', page, re.S)[0]
    data: dict[str, list[str]] = {}
    for tag in re.finditer(r"<input([^>]*)>", form):
        attributes = dict(re.findall(r'(\w[\w-]*)="([^"]*)"', tag[1]))
        kind = attributes.get("type", "text")
        if "name" not in attributes or kind in ("submit", "button"):
            continue
        if kind in ("checkbox", "radio") and " checked" not in tag[1]:
            continue
        data.setdefault(attributes["name"], []).append(unescape(attributes.get("value", "on")))
    for area in re.finditer(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', form, re.S):
        data.setdefault(area[1], []).append(unescape(area[2]))
    for select in re.finditer(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected>', select[2]) or re.search(
            r'<option value="([^"]*)"', select[2]
        )
        if chosen:
            data.setdefault(select[1], []).append(unescape(chosen[1]))
    return data


def press(client, address: str, page: str, action: str, **changes) -> str:
    data = posted(page) | {"action": action} | {k: [v] for k, v in changes.items()}
    response = client.post(address, data)
    assert response.status_code == 200
    return response.content.decode()


def block_labels(page: str) -> list[str]:
    return [
        text(legend)
        for legend in re.findall(
            r'<fieldset class="block block-[^"]*"[^>]*>\s*<legend>(.*?)</legend>', page, re.S
        )
    ]


def test_the_saved_mail_opens_as_its_blocks(staff_client, library):
    page = staff_client.get(editor_url(library)).content.decode()

    assert block_labels(page) == ["⠿ 1. Alinea", "⠿ 2. Alinea", "⠿ 3. Alinea", "⠿ 4. Alinea"]
    assert "Je bent nu drie weken lid." in page


def test_a_block_is_added_moved_and_removed_without_saving(staff_client, library):
    address = editor_url(library)
    before = saved_variant(library).body
    page = staff_client.get(address).content.decode()

    page = press(staff_client, address, page, "add:heading:b", **{"b-4-text": ""})
    assert block_labels(page)[-1] == "⠿ 5. Titel"
    page = press(staff_client, address, page, "up:b-4", **{"b-4-text": "Tot in de bib"})
    assert block_labels(page)[3:] == ["⠿ 4. Titel", "⠿ 5. Alinea"]
    assert 'value="Tot in de bib"' in page  # what was typed moved with its block
    page = press(staff_client, address, page, "remove:b-0")
    assert block_labels(page)[0] == "⠿ 1. Alinea"
    assert len(block_labels(page)) == 4
    assert first_text(page).startswith("Je bent nu drie weken lid.")

    assert saved_variant(library).body == before
    assert Journey.objects.get(library=library, key="welcome").versions.count() == 1


def test_a_dragged_block_lands_where_it_was_dropped(staff_client, library):
    address = editor_url(library)
    page = staff_client.get(address).content.decode()

    page = press(staff_client, address, page, "move:b:3:0")

    assert first_text(page).startswith("Dit was de laatste mail")


def first_text(page: str) -> str:
    return unescape(re.search(r'<textarea id="b-0-html"[^>]*>(.*?)</textarea>', page, re.S)[1])


def test_two_columns_hold_blocks_of_their_own(staff_client, library):
    address = editor_url(library)
    page = staff_client.get(address).content.decode()

    page = press(staff_client, address, page, "add:columns:b")
    page = press(staff_client, address, page, "add:button:b-4-left")
    page = press(staff_client, address, page, "add:paragraph:b-4-right")

    assert 'name="b-4-left-0-url"' in page and 'name="b-4-right-0-html"' in page
    assert 'value="add:reading_tips:b-4-left"' not in page  # tips cannot go in a column


def save(client, address: str, page: str, **changes) -> str:
    return press(client, address, page, "save", **changes)


def test_saving_the_blocks_saves_the_mail_they_make(staff_client, library):
    address = editor_url(library)
    page = staff_client.get(address).content.decode()
    page = press(staff_client, address, page, "add:button:b")

    response = staff_client.post(
        address,
        posted(page)
        | {"action": "save", "b-4-text": "Naar Mijn Bibliotheek", "b-4-url": "{{ profile_url }}"},
    )

    assert response.status_code == 302
    body = saved_variant(library).body
    assert body.endswith('<pf-button href="{{ profile_url }}">Naar Mijn Bibliotheek</pf-button>')


@pytest.mark.parametrize(
    "language, url_problem, alt_problem",
    [
        ("nl", "Vul dit in.", "Beschrijf de afbeelding voor wie ze niet kan zien."),
        ("en", "Fill this in.", "Describe the image for readers who cannot see it."),
    ],
)
def test_a_block_that_cannot_be_saved_says_why_on_its_field(
    staff_client, library, language, url_problem, alt_problem
):
    staff_client.post(reverse("staff:language"), {"language": language, "next": "/staff/"})
    address = editor_url(library)
    page = staff_client.get(address).content.decode()
    page = press(staff_client, address, page, "add:button:b")
    page = press(staff_client, address, page, "add:image:b")

    page = save(staff_client, address, page, **{"b-4-text": "Kom langs"})

    assert field_errors(page, "b-4-url") == [url_problem]
    assert field_errors(page, "b-4-text") == []
    assert field_errors(page, "b-5-alt") == [alt_problem]
    assert Journey.objects.get(library=library, key="welcome").versions.count() == 1


def field_errors(page: str, name: str) -> list[str]:
    """The errors shown on a block's field: between its label and its problem slot."""
    found = re.search(rf'<label for="{name}">.*?<div id="{name}_problem"', page, re.S)
    assert found, name
    return [text(error) for error in re.findall(r'<p class="error"[^>]*>(.*?)</p>', found[0])]


def test_an_image_block_offers_the_librarys_images_with_their_description(
    staff_client, library, other_library
):
    ours = upload(library, picture(), alt="Kinderen lezen in de bib")
    upload(other_library, picture(colour=(0, 0, 200)), alt="Brugse leeszaal")
    address = editor_url(library)
    page = staff_client.get(address).content.decode()
    page = press(staff_client, address, page, "add:image:b")
    assert "Kinderen lezen in de bib" in page and "Brugse leeszaal" not in page

    page = press(staff_client, address, page, "up:b-4", **{"b-4-image": str(ours.pk)})

    chosen = rf'<input type="radio" name="b-3-image" value="{ours.pk}"[^>]* checked>'
    assert re.search(chosen, page)
    assert 'id="b-3-alt" name="b-3-alt" value="Kinderen lezen in de bib"' in page


def test_a_paragraph_says_how_to_write_bold_italic_and_a_link_as_text(staff_client, library):
    page = staff_client.get(editor_url(library)).content.decode()

    assert (
        '<p class="help" id="b-0-html_help">Vet: &lt;strong&gt;tekst&lt;/strong&gt;, cursief: '
        "&lt;em&gt;tekst&lt;/em&gt;, een link: &lt;a href=&quot;https://…&quot;&gt;tekst&lt;/a&gt;.</p>"
    ) in page


def test_an_image_chosen_without_script_is_saved_with_its_own_description(staff_client, library):
    image = upload(library, picture(), alt="Kinderen lezen in de bib")
    address = editor_url(library)
    page = staff_client.get(address).content.decode()
    page = press(staff_client, address, page, "add:image:b")

    response = staff_client.post(address, posted(page) | {"action": "save", "b-4-image": image.pk})

    assert response.status_code == 302
    (block,) = [b for b in saved_variant(library).blocks if b["type"] == "image"]
    assert (block["image"], block["alt"]) == (image.pk, "Kinderen lezen in de bib")
