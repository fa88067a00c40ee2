"""Deleting an image says which mails show it (their blocks hold it), and they leave it out."""

import re
from html import unescape

import pytest
from django.urls import reverse

from patronflow.journeys.models import Variant
from patronflow.mail.images import image_url
from patronflow.mail.models import MailImage
from tests.mail.test_brand import mail_of
from tests.staff.test_images import stored

pytestmark = pytest.mark.django_db


def errors_on(page: str, name: str) -> str:
    """The errors the designer shows on a block's field (just above its problem slot)."""
    found = re.search(rf'((?:<p class="error"[^>]*>[^<]*</p>\s*)+)<div id="{name}_problem"', page)
    return found[1] if found else ""


def test_deleting_says_which_mails_show_the_image_and_they_leave_it_out(staff_client, library):
    image = stored(library)
    variant = Variant.objects.filter(step__version__journey__library=library).first()
    variant.blocks = [*variant.blocks, {"type": "image", "image": image.pk, "alt": "Jeugdhoek"}]
    variant.save()
    journey = variant.step.version.journey
    address = image_url(image)
    assert address in mail_of(library, variant.blocks)

    asked = staff_client.get(reverse("staff:image_delete", args=[image.pk])).content.decode()

    assert journey.name in unescape(asked)
    assert f"mail {variant.step.position}" in asked
    staff_client.post(reverse("staff:image_delete", args=[image.pk]))
    assert not MailImage.objects.filter(pk=image.pk).exists()
    shown = mail_of(library, variant.blocks)
    assert address not in shown and "Jeugdhoek" not in shown


@pytest.mark.parametrize(
    ("language", "said"),
    [("nl", "hoort niet bij de afbeeldingen van de bibliotheek"), ("en", "is not one of")],
)
def test_a_mail_showing_another_librarys_image_is_not_saved_and_says_so_on_the_image(
    staff_client, library, other_library, language, said
):
    staff_client.cookies["django_language"] = language
    theirs = stored(other_library, alt="Brugse gevel")
    variant = Variant.objects.filter(step__version__journey__library=library, segment="").first()
    step = variant.step
    url = reverse("staff:mail", args=[step.version.journey.pk, step.position, "default"])

    page = staff_client.post(
        url,
        {
            "subject": "Nieuw in de bib",
            "b-count": "1",
            "b-0-type": "image",
            "b-0-image": str(theirs.pk),
            "b-0-alt": "Gevel",
            "action": "save",
        },
    ).content.decode()

    assert said in unescape(errors_on(page, "b-0-image"))
    variant.refresh_from_db()
    assert f'image="{theirs.pk}"' not in variant.body
