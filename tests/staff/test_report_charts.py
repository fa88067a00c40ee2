"""The report screen's charts: the data the HTML report draws, for the user's library only,
drawn by vendored Chart.js from our own origin (no inline script); the network admin also
sees the libraries side by side."""

import datetime as dt
import json
import re

import pytest
from django.urls import reverse

from patronflow.journeys.models import Journey
from patronflow.staff.services import add_staff
from patronflow.tracking.models import Event
from tests.factories import MessageFactory, at
from tests.reports.helpers import MONDAY
from tests.staff.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def mails_sent_by(library, weeks: int = 2) -> None:
    """Twelve mails a week, ten of them clicked: enough to be shown (docs/reports.md: Small
    numbers)."""
    journey = Journey.objects.get(library=library, key="welcome")
    step = journey.current_version.steps.get(position=1)
    for week in range(weeks):
        for number in range(12):
            message = MessageFactory(
                enrolment__journey=journey,
                step=step,
                variant=step.variants.get(),
                sent_at=at(MONDAY + dt.timedelta(weeks=week)),
            )
            if number < 10:
                Event.objects.create(message=message, kind=Event.Kind.CLICK, link_index=0)


def chart_data(page: str) -> dict:
    block = re.search(r'<script id="chart-data" type="application/json">(.*?)</script>', page)
    assert block, "the page carries its chart data as a JSON data block"
    return json.loads(block[1])


def test_the_report_draws_its_charts_with_scripts_from_our_own_origin(staff_client, library):
    mails_sent_by(library)

    page = staff_client.get(reverse("staff:report")).content.decode()

    assert 'data-chart="over-time"' in page and 'role="img"' in page
    assert re.search(r'<script src="/static/reports/chart\.umd\.min\.js" defer>', page)
    assert re.search(r'<script src="/static/staff/report-charts\.js" defer>', page)
    assert '<script id="chart-labels" type="application/json">' in page
    for script in ("/static/reports/chart.umd.min.js", "/static/staff/report-charts.js"):
        assert staff_client.get(script).status_code == 200


def test_a_single_week_draws_no_chart_only_its_table(staff_client, library):
    mails_sent_by(library, weeks=1)

    page = staff_client.get(reverse("staff:report")).content.decode()

    assert 'data-chart="over-time"' not in page and 'data-testid="weekly"' in page


def test_a_marketer_sees_their_own_library_against_the_rest_never_another_library(
    staff_client, library, other_library
):
    mails_sent_by(library)
    mails_sent_by(other_library)

    page = staff_client.get(reverse("staff:report")).content.decode()

    [series] = chart_data(page)["over_time"].values()
    assert [point["y"] for point in series] == [pytest.approx(10 / 12)] * 2
    assert "brugge" not in page and 'data-testid="benchmark"' not in page
    assert "Jouw bibliotheek tegenover het netwerk" in page


def test_the_network_admin_sees_the_libraries_side_by_side(client, library, other_library):
    mails_sent_by(library)
    mails_sent_by(other_library)
    admin = add_staff("netwerk", email="netwerk@bib.be", password=PASSWORD, role="admin")
    client.force_login(admin)

    page = client.get(reverse("staff:report")).content.decode()

    network = page.split('data-testid="benchmark"')[1].split("</table>")[0]
    names = re.findall(r'<th scope="row">(.*?)</th>', network)
    assert names == ["brugge", "gent", "Netwerk"]
    assert "Bibliotheken naast elkaar" in page
