import datetime as dt

import pytest
from django.utils import timezone

from patronflow.journeys.definitions import install_standard_journeys
from tests.factories import LibraryFactory


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


@pytest.fixture
def library(db):
    """A library with the two standard journeys installed, as `library add` leaves it."""
    library = LibraryFactory(code="gent", name="Bibliotheek Gent")
    install_standard_journeys(library)
    return library
