"""The brand kit screens: a marketer dresses the library's mails (logo from its images,
colours, footer lines); a network admin sets the default the others wear."""

from html import unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from patronflow.mail.brand import brand_for, kit_of, save_kit
from patronflow.mail.models import MailImage
from patronflow.members.models import Library
from patronflow.privacy.models import AuditEntry
from patronflow.staff.services import add_staff
from tests.mail.test_images import picture
from tests.staff.conftest import PASSWORD
from tests.staff.test_images import stored

pytestmark = pytest.mark.django_db
URL = reverse("staff:brand")
NETWORK_URL = reverse("staff:network_brand")


def kit_form(**changes) -> dict:
    return {
        "logo": "", "logo_url": "", "colour": "", "button_colour": "", "footer": "",
        **changes,
    }  # fmt: skip


def worn(library) -> object:
    return brand_for(Library.objects.get(pk=library.pk))


@pytest.fixture
def admin_client(client, library):
    admin = add_staff("netwerk", email="netwerk@bib.be", password=PASSWORD, role="admin")
    client.force_login(admin)
    return client


def test_a_marketer_dresses_the_librarys_mails(staff_client, library):
    logo = stored(library, alt="Bibliotheek Gent")

    response = staff_client.post(
        URL,
        kit_form(
            logo=logo.pk,
            colour="B3261E",
            button_colour="#0b3d2e",
            footer="Kouter 1, 9000 Gent\n\nOpen di-za 10-18 uur",
        ),
    )

    assert response.status_code == 302
    brand = worn(library)
    assert (brand.colour, brand.button, brand.on_button) == ("#b3261e", "#0b3d2e", "#ffffff")
    assert brand.logo_url.endswith(f"/t/i/{logo.key}.png")
    assert brand.footer_lines == ("Kouter 1, 9000 Gent", "Open di-za 10-18 uur")
    page = staff_client.get(URL).content.decode()
    assert 'data-colour="#b3261e"' in page
    assert "Kouter 1, 9000 Gent" in page


def test_a_bad_colour_and_too_many_footer_lines_are_refused_on_their_fields_in_dutch(
    staff_client, library
):
    page = staff_client.post(
        URL, kit_form(colour="blauw", footer="\n".join(f"regel {n}" for n in range(7)))
    ).content.decode()

    assert "Schrijf een kleur als # en zes hexadecimale cijfers" in unescape(page)
    assert "Hoogstens 5 regels, graag." in page
    assert kit_of(library).pk is None


def test_another_librarys_image_cannot_be_the_logo(staff_client, library, other_library):
    theirs = stored(other_library, alt="Brugse gevel")

    page = staff_client.post(URL, kit_form(logo=theirs.pk)).content.decode()

    assert "Brugse gevel" not in page
    assert 'class="field has-error"' in page
    assert worn(library).logo_url == ""


def test_a_marketer_cannot_reach_the_networks_kit(staff_client):
    assert staff_client.get(NETWORK_URL).status_code == 403
    assert staff_client.post(NETWORK_URL, kit_form(colour="#000000")).status_code == 403


def test_the_networks_kit_applies_where_a_library_has_set_nothing(
    admin_client, library, other_library
):
    save_kit(
        kit_of(other_library),
        logo=None,
        logo_url="",
        colour="#b3261e",
        button_colour="",
        footer="",
        updated_by=None,
    )
    logo = SimpleUploadedFile("netwerk.png", picture((300, 80)), content_type="image/png")

    response = admin_client.post(
        NETWORK_URL,
        kit_form(
            colour="#5b2a86",
            footer="Bibliotheeknetwerk Vlaanderen",
            logo_file=logo,
            logo_alt="Bibliotheeknetwerk",
        ),
    )

    assert response.status_code == 302
    network_logo = MailImage.objects.get(library=None)
    assert network_logo.alt == "Bibliotheeknetwerk"
    gent, brugge = worn(library), worn(other_library)
    assert (gent.colour, gent.footer_lines) == ("#5b2a86", ("Bibliotheeknetwerk Vlaanderen",))
    assert gent.logo_url.endswith(f"/t/i/{network_logo.key}.png")
    assert (brugge.colour, brugge.footer_lines) == ("#b3261e", ("Bibliotheeknetwerk Vlaanderen",))
    page = admin_client.get(URL).content.decode()
    assert 'placeholder="#5b2a86"' in page  # the library's screen shows what it inherits


def test_a_network_logo_needs_its_alt_text(admin_client):
    logo = SimpleUploadedFile("netwerk.png", picture((300, 80)), content_type="image/png")

    page = admin_client.post(NETWORK_URL, kit_form(logo_file=logo)).content.decode()

    assert "Beschrijf de afbeelding voor wie ze niet kan zien (alt-tekst)." in page
    assert not MailImage.objects.exists()


def test_the_settings_page_leads_to_the_image_library_and_the_brand_kit(staff_client):
    page = staff_client.get(reverse("staff:settings")).content.decode()

    assert f'href="{reverse("staff:images")}"' in page
    assert f'href="{URL}"' in page


def test_a_change_to_the_brand_kit_is_in_the_audit_log(staff_client, library):
    staff_client.post(URL, kit_form(colour="#b3261e", footer="Kouter 1"))
    staff_client.post(URL, kit_form(colour="#0b3d2e", footer="Kouter 1"))

    first, second = AuditEntry.objects.filter(subject="brand kit gent").order_by("pk")
    assert (first.operator, first.library_code) == ("staff:an", "gent")
    assert first.changes["colour"][1] == "#b3261e"
    assert second.changes == {"colour": ["#b3261e", "#0b3d2e"]}
