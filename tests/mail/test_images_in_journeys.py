"""A mail may show only its own library's images: a save, a journey file's import or a
network template's adoption that would show another library's image (or a deleted one) is
refused on that block, instead of the mail leaving the image out without a word at send."""

import pytest
import yaml
from django.core.management import CommandError, call_command

from patronflow.journeys.definitions import InvalidJourney, export_definition
from patronflow.mail.images import NOT_THE_LIBRARYS, delete_image
from patronflow.operations.network_templates import adopt, offer_journey
from patronflow.operations.publishing import save_definition
from tests.factories import LibraryFactory
from tests.journeys.helpers import definition, step
from tests.mail.test_images import picture, upload

pytestmark = pytest.mark.django_db


def with_image(image_id: int, name: str = "Nieuw in de bib", columns: bool = False) -> dict:
    """A step whose one mail shows the image (in the right column when `columns`)."""
    image = {"type": "image", "image": image_id, "alt": "De jeugdhoek"}
    blocks = [{"type": "paragraph", "html": name}]
    blocks.append({"type": "columns", "left": [], "right": [image]} if columns else image)
    return {"name": name, "wait_days": 0, "variants": [{"subject": name, "blocks": blocks}]}


def saved(library, journey_definition: dict):
    return save_definition(library, journey_definition, actor=None, move_members=False)


def test_a_mail_showing_another_librarys_image_is_refused_on_that_image(library):
    theirs = upload(LibraryFactory(code="brugge"), picture())

    with pytest.raises(InvalidJourney) as refused:
        saved(library, definition("nieuw", [with_image(theirs.pk, columns=True)]))

    assert refused.value.field == ("steps", 0, "variants", 0, "blocks", 1, "right", 0, "image")
    assert refused.value.reason == NOT_THE_LIBRARYS
    assert not library.journeys.filter(key="nieuw").exists()
    ours = upload(library, picture())
    saved(library, definition("nieuw", [with_image(ours.pk, columns=True)]))
    assert library.journeys.filter(key="nieuw").exists()


def test_an_html_block_or_body_showing_another_librarys_image_is_refused_too(library):
    theirs = upload(LibraryFactory(code="brugge"), picture())
    shown = f'<p>Dag</p><pf-image image="{theirs.pk}" alt="Gevel"></pf-image>'
    as_block = step("Nieuw")
    as_block["variants"][0] = {"subject": "Nieuw", "blocks": [{"type": "html", "html": shown}]}
    as_body = step("Nieuw")
    as_body["variants"][0]["body"] = shown

    for journey_step, field in ((as_block, ("blocks", 0, "html")), (as_body, ("body",))):
        with pytest.raises(InvalidJourney) as refused:
            saved(library, definition("nieuw", [journey_step]))
        assert refused.value.field == ("steps", 0, "variants", 0, *field)


def test_a_deleted_image_stops_changing_its_own_mails_content_not_the_other_mails(library):
    image = upload(library, picture())
    saved(library, definition("nieuw", [with_image(image.pk), step("Later", 7)]))
    delete_image(image, actor=None)
    journey = library.journeys.get(key="nieuw")

    other_changed = export_definition(journey)
    other_changed["steps"][1]["variants"][0]["subject"] = "Later, met een nieuw onderwerp"
    saved(library, other_changed)
    own_changed = export_definition(journey)
    own_changed["steps"][0]["variants"][0]["blocks"][0]["html"] = "Nieuw in de bibliotheek"

    with pytest.raises(InvalidJourney) as refused:
        saved(library, own_changed)
    assert refused.value.field[:5] == ("steps", 0, "variants", 0, "blocks")


def test_importing_a_journey_file_showing_another_librarys_image_fails(library, tmp_path):
    theirs = upload(LibraryFactory(code="brugge"), picture())
    path = tmp_path / "nieuw.yaml"
    path.write_text(yaml.safe_dump(definition("nieuw", [with_image(theirs.pk)])))

    with pytest.raises(CommandError, match="not one of gent's images"):
        call_command("journey", "import", str(path), "--library", library.code)

    assert not library.journeys.filter(key="nieuw").exists()


def test_a_template_showing_its_librarys_images_is_adopted_by_that_library_only(
    library, django_user_model
):
    admin = django_user_model.objects.create_user("netwerk")
    image = upload(library, picture())
    saved(library, definition("nieuw", [with_image(image.pk)]))
    template = offer_journey(library.journeys.get(key="nieuw"), actor=admin).template
    brugge = LibraryFactory(code="brugge")

    with pytest.raises(InvalidJourney) as refused:
        adopt(template, brugge, actor=None)

    assert refused.value.reason == NOT_THE_LIBRARYS
    assert not brugge.journeys.exists()
    assert adopt(template, library, actor=None).journey.key == "nieuw-2"
