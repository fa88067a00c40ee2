"""What a screen reader says: the menu tells where one is (aria-current on the link to the
page shown, and on its section's link for a page within it; staff.css marks it too), and
every column header of the report has words."""

import re

import pytest
from django.urls import reverse

from patronflow.journeys.models import Journey
from tests.factories import MessageFactory

pytestmark = pytest.mark.django_db

MENU = ["dashboard", "journeys", "segments", "tips", "imports", "report", "members", "settings"]


def marked(page: str) -> dict[str, str]:
    """The menu's links that carry aria-current: their address → its value."""
    menu = page.split('<nav aria-label="Hoofdmenu">', 1)[1].split("</nav>", 1)[0]
    return dict(re.findall(r'<a href="([^"]+)" aria-current="(\w+)"', menu))


@pytest.mark.parametrize("name", MENU)
def test_the_menu_marks_the_page_shown_and_no_other(staff_client, name):
    url = reverse(f"staff:{name}")

    assert marked(staff_client.get(url).content.decode()) == {url: "page"}


def test_a_journey_and_its_mails_are_marked_as_within_journeys(staff_client, library):
    journey = Journey.objects.get(library=library, key="welcome")
    journeys = reverse("staff:journeys")
    for url in (
        reverse("staff:journey", args=[journey.pk]),
        reverse("staff:mail", args=[journey.pk, 1, "default"]),
    ):
        assert marked(staff_client.get(url).content.decode()) == {journeys: "true"}, url


def header_names(table: str) -> list[str]:
    """The column headers' accessible names: their text, less what is aria-hidden."""
    cells = re.findall(r"<th scope=\"col\"[^>]*>(.*?)</th>", table, re.S)
    return [
        re.sub(r"<[^>]+>", "", re.sub(r'<span aria-hidden="true">.*?</span>', "", cell)).strip()
        for cell in cells
    ]


def test_the_reports_vote_columns_are_named_in_words(staff_client, library):
    journey = Journey.objects.get(library=library, key="welcome")
    step = journey.current_version.steps.get(position=1)
    MessageFactory(enrolment__journey=journey, step=step, variant=step.variants.get())

    page = staff_client.get(reverse("staff:report")).content.decode()

    table = page.split('<table data-testid="report"', 1)[1].split("</thead>", 1)[0]
    names = header_names(table)
    assert "Vonden de mail goed" in names and "Vonden de mail niet goed" in names
    assert all(re.search(r"[^\W\d_]", name) for name in names), names  # each has a letter
    assert "👍" in table and "👎" in table  # still what the eye sees
