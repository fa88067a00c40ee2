"""The network admin chooses which libraries a library's loans are compared with; the
library's marketers see the names and cannot change them."""

import pytest
from django.urls import reverse

from patronflow.privacy.models import AuditEntry
from patronflow.staff.services import add_staff
from tests.factories import LibraryFactory
from tests.staff.conftest import PASSWORD

pytestmark = pytest.mark.django_db

URL = reverse("staff:comparison_libraries")


@pytest.fixture
def admin_client(client, library):
    admin = add_staff("netwerk", email="netwerk@bib.be", password=PASSWORD, role="admin")
    client.force_login(admin)
    client.post(reverse("staff:choose_library"), {"library": library.pk})
    return client


def test_libraries_running_none_of_the_journeys_are_suggested_first(
    admin_client, library, other_library
):
    LibraryFactory(code="aalst", name="Bibliotheek Aalst")  # no journeys at all

    page = admin_client.get(URL).content.decode()

    aalst, brugge = page.index("Bibliotheek Aalst"), page.index("Bibliotheek Brugge")
    assert aalst < brugge
    assert "voorgesteld: heeft geen van de trajecten van deze bibliotheek" in page
    assert "heeft ook We missen je, Welkom voor nieuwe leden" in page  # the standard journeys
    assert f'value="{library.pk}"' not in page  # never its own comparison


def test_the_choice_is_saved_and_written_to_the_audit_log(admin_client, library, other_library):
    aalst = LibraryFactory(code="aalst", name="Bibliotheek Aalst")

    response = admin_client.post(URL, {"libraries": [aalst.pk, other_library.pk]})

    assert response.status_code == 302
    assert set(library.comparison_libraries.all()) == {aalst, other_library}
    entry = AuditEntry.objects.get(subject="library gent", changes__has_key="comparison_libraries")
    assert entry.operator == "staff:netwerk"
    assert entry.changes["comparison_libraries"] == ["", "aalst, brugge"]
    page = admin_client.get(URL).content.decode()
    assert f'value="{aalst.pk}" checked' in page

    admin_client.post(URL, {"libraries": [aalst.pk]})
    assert list(library.comparison_libraries.all()) == [aalst]
    assert AuditEntry.objects.filter(changes__has_key="comparison_libraries").count() == 2


def test_an_unknown_library_is_refused_at_the_field(admin_client, library, other_library):
    response = admin_client.post(URL, {"libraries": [99999]})

    assert response.status_code == 200
    assert 'class="error"' in response.content.decode()
    assert not library.comparison_libraries.exists()


def test_marketers_see_the_names_but_cannot_choose(staff_client, library, other_library):
    library.comparison_libraries.set([other_library])

    settings = staff_client.get(reverse("staff:settings")).content.decode()

    assert "Bibliotheek Brugge" in settings
    assert URL not in settings
    assert staff_client.get(URL).status_code == 403
    assert staff_client.post(URL, {"libraries": []}).status_code == 403
    assert list(library.comparison_libraries.all()) == [other_library]


def test_without_a_choice_the_settings_say_so(staff_client):
    settings = staff_client.get(reverse("staff:settings")).content.decode()

    assert "De netwerkbeheerder heeft geen vergelijkingsbibliotheken gekozen" in settings
