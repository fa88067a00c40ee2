"""Deleting an image says which mails show it (their blocks hold it), and they leave it out."""

from html import unescape

import pytest
from django.urls import reverse

from patronflow.journeys.models import Variant
from patronflow.mail.images import urls_for
from patronflow.mail.models import MailImage
from tests.staff.test_images import stored

pytestmark = pytest.mark.django_db


def test_deleting_says_which_mails_show_the_image_and_they_leave_it_out(staff_client, library):
    image = stored(library)
    variant = Variant.objects.filter(step__version__journey__library=library).first()
    variant.blocks = [*variant.blocks, {"type": "image", "image": image.pk, "alt": "Jeugdhoek"}]
    variant.save()
    journey = variant.step.version.journey

    asked = staff_client.get(reverse("staff:image_delete", args=[image.pk])).content.decode()

    assert journey.name in unescape(asked)
    assert f"mail {variant.step.position}" in asked
    staff_client.post(reverse("staff:image_delete", args=[image.pk]))
    assert not MailImage.objects.filter(pk=image.pk).exists()
    assert urls_for(library, [image.pk]) == {}
