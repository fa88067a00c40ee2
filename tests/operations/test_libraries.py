"""`patronflow library`: adding, listing and changing the libraries (tenants)."""

from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from patronflow.journeys.models import Journey
from patronflow.members.models import Library
from patronflow.members.queries import library_for_command
from patronflow.operations.libraries import change_library
from tests.factories import LibraryFactory, MemberFactory


def library_command(*args: str) -> str:
    out = StringIO()
    call_command("library", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_library_add_creates_a_tenant_ready_for_the_standard_journeys():
    out = library_command(
        "add", "gent", "--name", "Bibliotheek Gent",
        "--sender-email", "Nieuws@Gent.Bibliotheek.be",
        "--privacy-url", "https://gent.bibliotheek.be/privacy",
        "--profile-url", "https://gent.bibliotheek.be/mijn-bibliotheek",
    )  # fmt: skip

    assert "Added library gent (Bibliotheek Gent)" in out
    gent = Library.objects.get(code="gent")
    assert gent.sender_email == "Nieuws@gent.bibliotheek.be"  # the domain is normalised
    assert gent.privacy_url == "https://gent.bibliotheek.be/privacy"
    assert gent.track_opens is False
    assert set(Journey.objects.filter(library=gent).values_list("key", flat=True)) == {
        "welcome",
        "dormant",
    }


@pytest.mark.django_db
def test_adding_a_code_that_exists_fails_and_says_so():
    LibraryFactory(code="gent")

    with pytest.raises(CommandError, match="a library with code 'gent' already exists"):
        library_command("add", "gent", "--name", "Nog een Gent")

    assert Library.objects.count() == 1


@pytest.mark.django_db
def test_a_code_the_sign_up_addresses_use_is_refused():
    with pytest.raises(CommandError, match="'confirm' is a word of patronflow's own public"):
        library_command("add", "confirm", "--name", "Bibliotheek Confirm")

    assert not Library.objects.exists()


@pytest.mark.django_db
def test_a_bad_code_address_or_link_is_refused_naming_each_option():
    with pytest.raises(CommandError) as refused:
        library_command(
            "add", "Gent Centrum", "--name", "Bibliotheek Gent",
            "--sender-email", "nieuws.gent.be",
            "--privacy-url", "gent.be/privacy",
            "--survey-url", "ftp://gent.be/enquete",
        )  # fmt: skip

    message = str(refused.value)
    assert "CODE: 'Gent Centrum' is not a library code" in message
    assert "--sender-email: 'nieuws.gent.be' is not usable" in message
    assert "--privacy-url: 'gent.be/privacy' is not a web address" in message
    assert "--survey-url: 'ftp://gent.be/enquete' is not a web address" in message
    assert not Library.objects.exists()


@pytest.mark.django_db
def test_library_list_shows_every_library_with_its_members():
    gent = LibraryFactory(code="gent", name="Bibliotheek Gent")
    LibraryFactory(code="brugge", name="Bibliotheek Brugge")
    MemberFactory.create_batch(3, library=gent)

    out = library_command("list")

    gent_line = next(line for line in out.splitlines() if "│ gent" in line)
    assert "Bibliotheek Gent" in gent_line and gent_line.rstrip(" │").endswith("3")
    assert "brugge" in out


@pytest.mark.django_db
def test_library_list_says_how_to_start_when_there_are_none():
    assert "No libraries yet. Add one with: patronflow library add" in library_command("list")


@pytest.mark.django_db
def test_library_set_changes_only_the_options_given_and_empty_clears():
    LibraryFactory(code="gent", name="Bibliotheek Gent", survey_url="https://gent.be/enquete")

    out = library_command(
        "set", "gent", "--sender-name", "De Bib", "--survey-url", "", "--track-opens"
    )

    assert "Changed gent" in out
    gent = Library.objects.get(code="gent")
    assert (gent.name, gent.sender_name, gent.survey_url) == ("Bibliotheek Gent", "De Bib", "")
    assert gent.track_opens is True


@pytest.mark.django_db
def test_library_set_refuses_a_bad_address_and_keeps_the_old_one():
    LibraryFactory(code="gent", sender_email="nieuws@gent.be")

    with pytest.raises(CommandError, match="--sender-email: 'nieuws@' is not usable"):
        library_command("set", "gent", "--sender-email", "nieuws@")

    assert Library.objects.get(code="gent").sender_email == "nieuws@gent.be"


@pytest.mark.django_db
def test_library_set_without_options_says_what_can_be_changed():
    LibraryFactory(code="gent")

    with pytest.raises(CommandError, match="nothing to change: give one or more of --name"):
        library_command("set", "gent")


@pytest.mark.django_db
def test_an_unknown_library_code_names_the_known_codes_and_how_to_add_one():
    LibraryFactory(code="gent")
    LibraryFactory(code="brugge")

    with pytest.raises(CommandError) as refused:
        library_for_command("gnet")

    assert str(refused.value) == (
        "unknown library 'gnet' (known libraries: brugge, gent). "
        "Add one with: patronflow library add CODE --name NAME"
    )


@pytest.mark.django_db
def test_an_unknown_library_code_on_an_empty_database_says_there_are_none_yet():
    with pytest.raises(
        CommandError, match=r"unknown library 'gent' \(there are no libraries yet\)"
    ):
        library_for_command("gent")


@pytest.mark.django_db
def test_a_known_library_code_gives_that_library():
    gent = LibraryFactory(code="gent")

    assert library_for_command("gent") == gent


@pytest.mark.django_db
def test_change_library_sets_the_dkim_selector_the_cli_does_not_offer():
    gent = LibraryFactory(code="gent")

    change_library(gent, dkim_selector="pf2026")

    gent.refresh_from_db()
    assert gent.dkim_selector == "pf2026"


@pytest.mark.django_db
def test_change_library_refuses_a_bad_address_or_selector_and_saves_none_of_them():

    gent = LibraryFactory(code="gent", dkim_selector="pf2025")

    with pytest.raises(ValidationError) as refused:
        change_library(gent, survey_url="ftp://gent.be/enquete", dkim_selector="a b")

    assert set(refused.value.message_dict) == {"survey_url", "dkim_selector"}
    assert Library.objects.get(code="gent").dkim_selector == "pf2025"


@pytest.mark.django_db
def test_a_library_added_in_english_gets_the_english_journeys():
    library_command("add", "leuven", "--name", "Bibliotheek Leuven", "--language", "en")

    journeys = Journey.objects.filter(library__code="leuven")
    assert {journey.current_version.language for journey in journeys} == {"en"}
    with pytest.raises(CommandError, match="--language: 'fr' is not a language"):
        library_command("add", "brugge", "--name", "Bibliotheek Brugge", "--language", "fr")
    assert not Library.objects.filter(code="brugge").exists()


@pytest.mark.django_db
def test_the_catalogue_address_must_be_https_with_a_place_for_the_search():
    LibraryFactory(code="gent")

    for refused in ("https://gent.bibliotheek.be/zoeken", "http://gent.be/zoeken?q={isbn}"):
        with pytest.raises(CommandError, match="is not a catalogue search address"):
            library_command("set", "gent", "--catalogue-url", refused)
    library_command("set", "gent", "--catalogue-url", "https://gent.bibliotheek.be/zoeken?q={isbn}")

    assert Library.objects.get(code="gent").catalogue_url.endswith("?q={isbn}")
