"""Network templates: written once by the network admin, adopted by libraries as their own
copies, and offered again, with what changed, when the template has a newer version."""

import pytest

from patronflow.journeys.definitions import export_definition, install_journey
from patronflow.journeys.models import Journey
from patronflow.operations.network_templates import (
    adopt,
    leave,
    newer_version,
    offer_journey,
    offered_templates,
    set_offer,
    take_over,
)
from patronflow.privacy.models import AuditEntry
from tests.factories import TODAY, LibraryFactory
from tests.journeys.helpers import step


@pytest.fixture
def admin(django_user_model):
    return django_user_model.objects.create_user("netwerk")


def ebook_journey(library):
    return install_journey(
        library,
        {
            "key": "e-boeken",
            "name": "E-boeken ontdekken",
            "entry": {"reading_segments": ["fiction_digital"]},
            "steps": [step("Ontdek e-boeken", 0), step("Luisterboeken", 14)],
        },
    ).journey


def changed(journey: Journey, **fields) -> dict:
    definition = export_definition(journey)
    return {**definition, **fields}


def test_two_libraries_adopt_one_changes_its_copy_and_both_are_offered_the_new_version(
    library, admin
):
    gent, brugge = library, LibraryFactory(code="brugge")
    source = ebook_journey(gent)
    template = offer_journey(source, actor=admin).template

    in_gent, in_brugge = adopt(template, gent, actor=None), adopt(template, brugge, actor=None)
    assert in_gent.journey.key == "e-boeken-2"  # gent's own source keeps its key
    assert in_brugge.journey.key == "e-boeken"
    assert in_brugge.journey.status == "draft"
    install_journey(brugge, changed(in_brugge.journey, holdout_percent=15))
    assert template.latest.definition["holdout_percent"] == 0  # the template is unchanged
    assert newer_version(in_gent) is None and newer_version(in_brugge) is None

    install_journey(gent, changed(source, holdout_percent=10))
    second = offer_journey(source, actor=admin)
    assert second.number == 2
    in_gent.refresh_from_db()
    in_brugge.refresh_from_db()
    assert newer_version(in_gent) == second and newer_version(in_brugge) == second

    installed = take_over(in_gent, second, actor=None, move_members=False, today=TODAY).installed
    leave(in_brugge, second, actor=None)

    assert installed.journey.key == "e-boeken-2"
    assert installed.version.holdout_percent == 10
    assert newer_version(in_gent) is None and newer_version(in_brugge) is None
    assert brugge.journeys.get(key="e-boeken").current_version.holdout_percent == 15

    third = offer_journey(source, actor=admin)  # the same content: no new version
    assert third == second
    install_journey(gent, changed(source, name="E-boeken en luisterboeken"))
    install_journey(gent, changed(source, holdout_percent=5))
    third = offer_journey(source, actor=admin)
    assert newer_version(in_brugge) == third  # a newer one than the one it left
    assert template.versions.count() == 3


def test_a_template_offered_to_chosen_libraries_is_not_seen_by_the_others(library, admin):
    brugge, kortrijk = LibraryFactory(code="brugge"), LibraryFactory(code="kortrijk")
    template = offer_journey(ebook_journey(library), actor=admin).template
    assert template in offered_templates(kortrijk)

    set_offer(template, to_all=False, libraries=[brugge], actor=admin)

    assert list(offered_templates(brugge)) == [template]
    assert not offered_templates(kortrijk).exists()
    entry = AuditEntry.objects.filter(subject="template e-boeken").order_by("pk").last()
    assert entry.operator == "staff:netwerk"
    assert entry.changes == {"offered to": ["all libraries", "brugge"]}


def test_taking_over_replaces_the_librarys_changes_and_keeps_its_key(library, admin):
    brugge = LibraryFactory(code="brugge")
    source = ebook_journey(library)
    adoption = adopt(offer_journey(source, actor=admin).template, brugge, actor=None)
    copy = adoption.journey
    install_journey(brugge, changed(copy, name="Onze e-boeken", holdout_percent=20))
    install_journey(library, changed(source, holdout_percent=10))
    version = offer_journey(source, actor=admin)

    take_over(adoption, version, actor=None, move_members=False, today=TODAY)

    copy.refresh_from_db()
    assert copy.key == "e-boeken"
    assert copy.current_version.holdout_percent == 10
    assert adoption.version_number == 2
