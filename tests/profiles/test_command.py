"""`patronflow profiles refresh`: a thin command over the refresh services."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from patronflow.profiles.models import ClassificationPolicy, ReadingProfile, Segment
from tests.factories import TODAY, LibraryFactory, LoanFactory, MemberFactory

pytestmark = pytest.mark.django_db


def refresh(*options: str) -> str:
    out = StringIO()
    call_command("profiles", "refresh", *options, stdout=out)
    return out.getvalue()


def test_full_refresh_rebuilds_every_profile_of_the_library():
    library = LibraryFactory(code="gent")
    reader = MemberFactory(library=library)
    for _ in range(3):
        LoanFactory(member=reader)
    MemberFactory(library=library)
    MemberFactory()  # another library's member is left alone

    output = refresh("--library", "gent", "--full", "--today", TODAY.isoformat())

    assert "Rebuilt 2 reading profiles of gent as of 2026-06-01." in output
    assert ReadingProfile.objects.get(member=reader).segment == Segment.FICTION_PHYSICAL
    assert ReadingProfile.objects.count() == 2


def test_daily_refresh_recomputes_only_what_changed_since_the_last_one():
    library = LibraryFactory(code="gent")
    reader = MemberFactory(library=library)
    MemberFactory(library=library)
    refresh("--library", "gent", "--full", "--today", TODAY.isoformat())
    next_day = TODAY + dt.timedelta(days=1)
    LoanFactory(member=reader, loaned_on=next_day)

    output = refresh("--library", "gent", "--today", next_day.isoformat())

    assert "Refreshed 1 reading profile of gent as of 2026-06-02." in output
    assert ReadingProfile.objects.get(member=reader).fiction_loans == 1
    assert ClassificationPolicy.objects.get(library=library).profiles_as_of == next_day


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (("--library", "nergens"), "unknown library 'nergens'"),
        (("--library", "gent", "--today", "1 juni"), "not an ISO date"),
    ],
)
def test_an_unknown_library_or_date_is_explained(options, message):
    LibraryFactory(code="gent")
    with pytest.raises(CommandError, match=message):
        refresh(*options)
