"""Staff logins for the staff web application's tests."""

import pytest

from patronflow.staff.services import add_staff
from tests.browsers import chromium
from tests.factories import LibraryFactory

PASSWORD = "correct horse battery staple"


def make_marketer(library, username: str | None = None):
    return add_staff(
        username or f"marketer-{library.code}-{library.staff.count() + 1}",
        email=f"{username or 'marketer'}@{library.code}.bibliotheek.be",
        password=PASSWORD,
        role="marketer",
        library=library,
    )


@pytest.fixture
def marketer(library):
    """A marketer of the `library` fixture (gent, with the standard journeys)."""
    return make_marketer(library, "an")


@pytest.fixture
def other_library(db):
    from patronflow.journeys.definitions import install_standard_journeys

    other = LibraryFactory(code="brugge", name="Bibliotheek Brugge")
    install_standard_journeys(other)
    return other


@pytest.fixture
def staff_client(client, marketer):
    client.force_login(marketer)
    return client


@pytest.fixture
def browser(settings, chromium_path):
    """Chromium for a test against the live server, whose cookies travel over plain HTTP."""
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    with chromium(chromium_path) as browser:
        yield browser
