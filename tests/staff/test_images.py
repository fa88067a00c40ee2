"""The image library on screen: upload with alt text, thumbnails, alt text changed, an image
deleted after saying which mails show it, and the designer's picker; another library's
images are out of reach."""

from html import unescape
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from patronflow.mail.images import store_image
from patronflow.mail.models import MailImage
from patronflow.privacy.models import AuditEntry
from tests.mail.test_images import photo_with_gps_taken_sideways, picture

pytestmark = pytest.mark.django_db
URL = reverse("staff:images")


def a_file(content: bytes, name: str = "foto.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="image/jpeg")


def error_of(page: str, field: str) -> str:
    """The error shown at the field named `field`."""
    block = page.split('class="field has-error"', 1)[1].split("</div>")[0]
    assert f'name="{field}"' in block
    return unescape(block)


def stored(library, colour=(10, 20, 30), alt="Kinderen lezen in de jeugdhoek"):
    image, _new = store_image(
        library=library,
        content=picture((900, 600), "PNG", colour=colour),
        name="jeugdhoek.png",
        alt=alt,
        created_by=None,
    )
    return image


def test_a_marketer_uploads_a_photo_and_sees_its_thumbnail(staff_client, library, marketer):
    page = staff_client.post(
        URL,
        {"file": a_file(photo_with_gps_taken_sideways()), "alt": "Lezers in de tuin"},
        follow=True,
    ).content.decode()

    image = MailImage.objects.get(library=library)
    assert "De afbeelding staat bij je afbeeldingen." in page
    assert f'src="/t/i/{image.key}-thumb.jpg"' in page
    assert 'alt="Lezers in de tuin"' in page
    assert (image.created_by, image.original_name) == (marketer, "foto.jpg")
    assert staff_client.get(f"/t/i/{image.key}-thumb.jpg").status_code == 200


def test_an_upload_without_alt_text_is_refused_on_the_field_in_dutch(staff_client):
    page = staff_client.post(URL, {"file": a_file(picture()), "alt": "  "}).content.decode()

    assert "Beschrijf de afbeelding voor wie ze niet kan zien (alt-tekst)." in error_of(page, "alt")
    assert not MailImage.objects.exists()


def test_an_upload_without_alt_text_is_refused_in_english_too(staff_client):
    staff_client.cookies["django_language"] = "en"

    page = staff_client.post(URL, {"file": a_file(picture()), "alt": ""}).content.decode()

    assert "Describe the image for people who cannot see it (alt text)." in error_of(page, "alt")


def test_a_file_that_is_not_an_image_is_refused_on_the_file(staff_client):
    page = staff_client.post(
        URL, {"file": a_file(b"%PDF-1.4 een folder", "folder.pdf"), "alt": "Folder"}
    ).content.decode()

    assert "Dit bestand is geen afbeelding" in error_of(page, "file")
    assert not MailImage.objects.exists()


def test_the_same_file_twice_is_one_image_and_the_screen_says_so(staff_client, library):
    content = picture()
    staff_client.post(URL, {"file": a_file(content, "a.png"), "alt": "Logo"})

    page = staff_client.post(
        URL, {"file": a_file(content, "b.png"), "alt": "Logo"}, follow=True
    ).content.decode()

    assert "stond al bij je afbeeldingen" in unescape(page)
    assert MailImage.objects.filter(library=library).count() == 1


def test_the_alt_text_is_changed_and_required(staff_client, library):
    image = stored(library)
    url = reverse("staff:image", args=[image.pk])

    empty = staff_client.post(url, {"alt": ""}).content.decode()
    staff_client.post(url, {"alt": "Voorleesuurtje op woensdag"})

    assert "alt-tekst" in error_of(empty, "alt")
    image.refresh_from_db()
    assert image.alt == "Voorleesuurtje op woensdag"


def test_an_image_no_mail_shows_is_deleted_without_a_list(staff_client, library):
    image = stored(library)

    asked = staff_client.get(reverse("staff:image_delete", args=[image.pk])).content.decode()

    assert "Geen enkele mail toont deze afbeelding." in asked
    assert 'data-testid="image-uses"' not in asked


@pytest.mark.parametrize("name", ["staff:image", "staff:image_delete"])
def test_another_librarys_image_is_404_and_stays(staff_client, other_library, name):
    theirs = stored(other_library)

    assert staff_client.get(reverse(name, args=[theirs.pk])).status_code == 404
    assert staff_client.post(reverse(name, args=[theirs.pk]), {"alt": "x"}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.alt == "Kinderen lezen in de jeugdhoek"


def test_the_thumbnail_is_small_and_the_page_shows_no_third_party_image(staff_client, library):
    image = stored(library)

    page = staff_client.get(URL).content.decode()
    thumbnail = staff_client.get(f"/t/i/{image.key}-thumb.png")

    assert max(Image.open(BytesIO(thumbnail.content)).size) == 320
    assert 'src="http' not in page


def test_uploads_alt_text_changes_and_deletions_are_in_the_audit_log(staff_client, library):
    staff_client.post(URL, {"file": a_file(picture()), "alt": "Gevel"})
    image = MailImage.objects.get(library=library)
    staff_client.post(reverse("staff:image", args=[image.pk]), {"alt": "Gevel in de zon"})
    staff_client.post(reverse("staff:image_delete", args=[image.pk]))

    entries = AuditEntry.objects.filter(subject=f"image {image.pk}").order_by("pk")
    assert [(entry.operator, entry.library_code) for entry in entries] == [("staff:an", "gent")] * 3
    assert [entry.changes for entry in entries] == [
        {"image": [None, "foto.jpg (Gevel)"]},
        {"alt": ["Gevel", "Gevel in de zon"]},
        {"image": ["foto.jpg (Gevel in de zon)", None]},
    ]
