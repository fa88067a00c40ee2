"""The seed list on screen: a library's own staff addresses, added and removed with every
change in the audit log, refused on the field when listed already, not an address or one
too many; another library's list is out of reach."""

import pytest
from django.urls import reverse

from patronflow.privacy.models import AuditEntry
from patronflow.staff.models import SEED_LIMIT, SeedAddress
from patronflow.staff.services import add_seed

pytestmark = pytest.mark.django_db


def seeds_page(client, **data):
    if data:
        return client.post(reverse("staff:seeds"), data, follow=True).content.decode()
    return client.get(reverse("staff:seeds")).content.decode()


def test_a_marketer_adds_and_removes_addresses_and_each_change_is_logged(staff_client, library):
    page = seeds_page(staff_client, address=" Jan.Peeters@Gent.be ", label="Jan, onthaal")

    assert "jan.peeters@gent.be staat op de testlijst." in page
    assert "Jan, onthaal" in page
    seed = SeedAddress.objects.get(library=library)
    assert (seed.address, seed.added_by.username) == ("jan.peeters@gent.be", "an")
    added = AuditEntry.objects.get(subject="seed address jan.peeters@gent.be")
    assert (added.operator, added.library_code) == ("staff:an", "gent")
    assert added.changes == {
        "address": [None, "jan.peeters@gent.be"],
        "label": [None, "Jan, onthaal"],
    }

    page = staff_client.post(
        reverse("staff:seed_remove", args=[seed.pk]), follow=True
    ).content.decode()

    assert "jan.peeters@gent.be staat niet meer op de testlijst." in page
    assert not SeedAddress.objects.exists()
    removed = AuditEntry.objects.filter(subject="seed address jan.peeters@gent.be").first()
    assert removed.changes["address"] == ["jan.peeters@gent.be", None]


def test_a_listed_address_a_wrong_one_and_one_too_many_are_refused_on_the_field(
    staff_client, marketer, library
):
    add_seed(library, address="an@gent.be", label="", actor=marketer)

    twice = seeds_page(staff_client, address="AN@gent.be")
    wrong = seeds_page(staff_client, address="an-at-gent.be")
    for n in range(SEED_LIMIT - 1):
        add_seed(library, address=f"collega{n}@gent.be", label="", actor=marketer)
    full = seeds_page(staff_client, address="nog-een@gent.be")

    assert "an@gent.be staat al op de lijst." in twice
    assert "Voer een geldig e-mailadres in." in wrong
    assert f"De lijst telt {SEED_LIMIT} adressen, het maximum." in full
    assert SeedAddress.objects.filter(library=library).count() == SEED_LIMIT


def test_the_list_is_the_librarys_own(staff_client, library, other_library):
    theirs = add_seed(other_library, address="dirk@brugge.be", label="", actor=None)

    page = seeds_page(staff_client)
    response = staff_client.post(reverse("staff:seed_remove", args=[theirs.pk]))

    assert "dirk@brugge.be" not in page
    assert response.status_code == 404
    assert SeedAddress.objects.filter(pk=theirs.pk).exists()


def test_the_settings_and_the_mail_editor_lead_to_the_list(staff_client, library):
    journey = library.journeys.get(key="welcome")
    settings_page = staff_client.get(reverse("staff:settings")).content.decode()
    editor = staff_client.get(
        reverse("staff:mail", args=[journey.pk, 1, "default"])
    ).content.decode()

    assert f'href="{reverse("staff:seeds")}"' in settings_page
    assert f'href="{reverse("staff:seeds")}"' in editor
