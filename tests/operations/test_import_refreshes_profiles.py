"""A loans import leaves the reading profiles the journeys use up to date."""

from io import StringIO

from django.core.management import call_command

from patronflow.profiles.models import ReadingProfile, Segment
from tests.factories import ItemFactory, MemberFactory
from tests.members.conftest import ITEMS_HEADER, LOANS_HEADER


def test_importing_loans_recomputes_the_profiles_of_the_members_who_borrowed(library, export):
    reader = MemberFactory(library=library, external_id="M1")
    bystander = MemberFactory(library=library, external_id="M2")
    for n in range(3):
        ItemFactory(library=library, external_id=f"E{n}", material="ebook", is_fiction=False)
    path = export(
        "loans.csv",
        LOANS_HEADER,
        *(f"L{n},M1,E{n},{library.created_at.date().isoformat()}" for n in range(3)),
    )
    out = StringIO()

    call_command("import", "loans", str(path), "--library", library.code, stdout=out)

    assert ReadingProfile.objects.get(member=reader).segment == Segment.NONFICTION_DIGITAL
    assert "Reading profiles recomputed" in out.getvalue()
    bystander_profile = ReadingProfile.objects.filter(member=bystander).first()
    assert bystander_profile is None or bystander_profile.segment == Segment.UNKNOWN


def test_an_items_import_that_changes_an_items_kind_recomputes_its_borrowers(library, export):
    reader = MemberFactory(library=library, external_id="M1")
    day = library.created_at.date().isoformat()
    items = export("items.csv", ITEMS_HEADER, *(f"B{n},Boek {n},,,boek,,,,ja" for n in range(3)))
    loans = export("loans.csv", LOANS_HEADER, *(f"L{n},M1,B{n},{day}" for n in range(3)))
    call_command("import", "items", str(items), "--library", library.code, stdout=StringIO())
    call_command("import", "loans", str(loans), "--library", library.code, stdout=StringIO())
    assert ReadingProfile.objects.get(member=reader).segment == Segment.FICTION_PHYSICAL

    corrected = export(  # the catalogue corrects the fiction flag: they are non-fiction
        "items-corrected.csv", ITEMS_HEADER, *(f"B{n},Boek {n},,,boek,,,,nee" for n in range(3))
    )
    out = StringIO()
    call_command("import", "items", str(corrected), "--library", library.code, stdout=out)

    assert ReadingProfile.objects.get(member=reader).segment == Segment.NONFICTION_PHYSICAL
    assert "Reading profiles recomputed: 1" in out.getvalue()
