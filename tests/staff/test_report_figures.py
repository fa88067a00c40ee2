"""The report and the dashboard show a small library's figures as every report does: no count
from 1 to 9, nor a rate from which one follows (docs/reports.md: Small numbers)."""

import json
import re

import pytest
from django.urls import reverse

from tests.reports.helpers import small_campaign

pytestmark = pytest.mark.django_db

SMALL = re.compile(r"(?<![\d.,])[1-9](?!\d)")  # "1", or the first digit of "2,7%"


def figures(page: str) -> list[str]:
    cells = re.findall(r'<td class="num">(.*?)</td>', page, re.S)
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in cells]


def test_the_report_screen_shows_no_count_under_10_nor_a_rate_of_one(staff_client, library):
    small_campaign(library)

    page = staff_client.get(reverse("staff:report")).content.decode()

    cells = figures(page)
    assert cells and [cell for cell in cells if SMALL.search(cell)] == []
    table = page[page.index('data-testid="report"') :].split("</table>")[0]
    assert figures(table).count("&lt; 10") == 2  # the unsubscribe and the 👎
    assert 'data-json="metrics.0.unsubscribed">&lt; 10</data>' in table
    assert "niet getoond" in page  # what < 10 and · stand for, in Dutch
    data = json.loads(re.search(r'<script id="chart-data" [^>]*>(.*?)</script>', page)[1])
    drawn = [row["loans"] for row in data["baseline"]]
    drawn += [point["y"] for points in data["over_time"].values() for point in points]
    assert drawn and [value for value in drawn if value is not None and 0 < value < 10] == []


def test_the_dashboard_withholds_the_same_counts(staff_client, library):
    small_campaign(library)

    page = staff_client.get(reverse("staff:dashboard")).content.decode()

    dormant = page[page.index(library.journeys.get(key="dormant").name) :].split("</tr>")[0]
    assert figures(dormant)[-4:] == ["37", "0", "0", "&lt; 10"]  # sent, opened, clicked, unsub.
