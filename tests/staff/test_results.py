"""The results page holds the figures of `patronflow report --json` for the same period —
every one of them, in the cards, the tables and the CSV — and shows a marketer their library
against the network, never another library's figures."""

import csv
import datetime as dt
import io
import json
import re

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from patronflow.staff.services import add_staff
from patronflow.tracking.models import Feedback
from tests.factories import EnrolmentFactory, MessageFactory, at
from tests.reports.helpers import effect_campaign, mails
from tests.staff.conftest import PASSWORD

pytestmark = pytest.mark.django_db

DATUM = re.compile(r'<data value="([^"]*)" data-json="([^"]*)">')


def cli_json(capsys, *arguments: str) -> dict:
    capsys.readouterr()
    call_command("report", "--format", "json", *arguments)
    return json.loads(capsys.readouterr().out)


def at_path(data: dict, path: str):
    value = data
    for part in path.split("."):
        value = value[int(part)] if isinstance(value, list) else value[part]
    return value


def figures(page: str) -> list[tuple[str, object]]:
    """Every figure on the page: its place in the report's JSON and its value there."""
    return [(path, json.loads(value.replace("&quot;", '"'))) for value, path in DATUM.findall(page)]


def days_ago(days: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=days)


def dormant_variant(library):
    return (
        library.journeys.get(key="dormant")
        .current_version.steps.get(position=1)
        .variants.get(segment="")
    )


def test_every_figure_on_the_page_equals_the_cli_json_for_the_same_period(
    staff_client, library, capsys
):
    effect_campaign(library, "clear", entered=days_ago(120))
    since = days_ago(150)

    page = staff_client.get(
        reverse("staff:report"), {"period": "custom", "since": since.isoformat()}
    ).content.decode()
    data = cli_json(capsys, "--library", "gent", "--since", since.isoformat())

    shown = figures(page)
    assert len(shown) > 50
    tables = {path.split(".")[0] for path, _ in shown}
    assert tables >= {"results", "effect", "metrics", "weekly", "baseline", "benchmark"}
    for path, value in shown:
        expected = at_path(data, path)
        if isinstance(value, float):
            assert expected == pytest.approx(value), path
        else:
            assert expected == value, path


def test_the_csv_export_holds_the_pages_figures(staff_client, library, capsys):
    effect_campaign(library, "unclear", entered=days_ago(120))
    query = {"period": "launch"}

    page = staff_client.get(reverse("staff:report"), query).content.decode()
    response = staff_client.get(reverse("staff:report_export"), query | {"table": "results"})

    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    on_page = dict(figures(page))
    for index, row in enumerate(rows):
        for name in ("mailed_n", "held_out_n", "lift", "low", "high"):
            path = f"results.{index}.{name}"
            if on_page.get(path) is not None:
                assert float(row[name]) == pytest.approx(on_page[path]), path
    [dormant] = [row for row in rows if row["journey"] == "dormant"]
    assert dormant["verdict"] == "no_effect_shown"


def test_choosing_a_period_changes_the_figures(staff_client, library):
    variant = dormant_variant(library)
    mails(variant, 12, day=days_ago(200))
    mails(variant, 30, day=timezone.localdate().replace(day=1))

    def sent(period: str) -> object:
        page = staff_client.get(reverse("staff:report"), {"period": period}).content.decode()
        return dict(figures(page)).get("metrics.0.sent")

    assert sent("launch") == 42
    assert sent("month") == 30
    assert sent("quarter") == 30


def test_a_custom_period_that_ends_before_it_starts_says_so_on_the_field(staff_client, library):
    page = staff_client.get(
        reverse("staff:report"),
        {"period": "custom", "since": "2026-06-01", "until": "2026-05-01"},
    ).content.decode()

    assert "De laatste dag valt na de eerste." in page
    assert "Sinds de start" in page  # the page falls back on the whole period


def test_a_marketer_sees_the_network_only_as_the_rest_and_never_another_library(
    staff_client, library, other_library
):
    for each, count in ((library, 40), (other_library, 25)):
        mails(dormant_variant(each), count, day=days_ago(20))

    page = staff_client.get(reverse("staff:report")).content.decode()
    export = staff_client.get(reverse("staff:report_export"), {"table": "benchmark"})

    assert "Jouw bibliotheek tegenover het netwerk" in page
    assert "brugge" not in page and "Brugge" not in page
    assert 'data-testid="benchmark"' not in page  # every library side by side: admins only
    names = [row["library"] for row in csv.DictReader(io.StringIO(export.content.decode()))]
    assert names == ["gent", "rest", "total"]
    assert 'data-json="benchmark.1.mailed">25</data>' in page  # the rest: brugge alone here


def test_the_network_admin_sees_every_library_side_by_side(client, library, other_library):
    for each, count in ((library, 40), (other_library, 25)):
        mails(dormant_variant(each), count, day=days_ago(20))
    client.force_login(add_staff("netwerk", email="n@bib.be", password=PASSWORD, role="admin"))

    page = client.get(reverse("staff:report")).content.decode()

    network = page.split('data-testid="benchmark"')[1].split("</table>")[0]
    assert re.findall(r'<th scope="row">(.*?)</th>', network) == ["brugge", "gent", "Netwerk"]


def test_each_mail_links_to_its_comments_with_their_number(staff_client, library):
    sent = mails(dormant_variant(library), 14, day=days_ago(20))
    for message in sent[:12]:
        Feedback.objects.create(message=message, vote=Feedback.Vote.UP, comment="Mooie tips")
    Feedback.objects.create(message=sent[12], vote=Feedback.Vote.DOWN)  # a vote, no comment
    journey = library.journeys.get(key="dormant")

    page = staff_client.get(reverse("staff:report")).content.decode()

    link = reverse("staff:comments", args=[journey.pk, 1, "default"])
    assert f'<a href="{link}">Opmerkingen (12)' in page


def test_the_print_view_is_the_page_without_its_controls(staff_client, library):
    effect_campaign(library, "clear", entered=days_ago(120))

    page = staff_client.get(reverse("staff:report_print"), {"period": "launch"}).content.decode()

    assert "Resultaten van Bibliotheek" in page
    assert 'data-testid="cards"' in page
    assert "<form" not in page.split('<main id="main"')[1]
    assert "/static/reports/print.js" in page


def test_an_unknown_csv_table_is_not_found(staff_client, library):
    response = staff_client.get(reverse("staff:report_export"), {"table": "members"})
    assert response.status_code == 404


def test_a_journey_still_taking_in_members_says_about_how_many_more_weeks(
    staff_client, library, capsys
):
    journey = library.journeys.get(key="dormant")
    journey.versions.update(holdout_percent=50)
    variant = dormant_variant(library)
    for week in range(4):
        entered = days_ago(7 * week + 3)
        for held_out in (False, True):
            # Enough a week for a verdict on 5 points within a year (reports/waiting.py).
            for _ in range(60):
                enrolment = EnrolmentFactory(journey=journey, entered_on=entered, held_out=held_out)
                if not held_out:
                    MessageFactory(
                        enrolment=enrolment, step=variant.step, variant=variant, sent_at=at(entered)
                    )

    page = staff_client.get(reverse("staff:report")).content.decode()
    [dormant] = [
        row
        for row in cli_json(capsys, "--library", "gent")["results"]
        if row["journey"] == "dormant"
    ]

    assert dormant["verdict"] == "not_enough_data" and dormant["wait"] == "weeks"
    assert f"Nog ongeveer {dormant['weeks_more']} weken." in page
    assert 8 < dormant["weeks_more"] <= 52


def test_a_period_with_an_end_shows_the_cli_json_and_leaves_out_members_who_came_in_after_it(
    staff_client, library, capsys
):
    effect_campaign(library, "clear", entered=days_ago(150))
    variant = dormant_variant(library)
    later = days_ago(60)
    for _ in range(12):  # came in after the period's last day: not in its figures
        enrolment = EnrolmentFactory(journey=variant.step.version.journey, entered_on=later)
        MessageFactory(enrolment=enrolment, step=variant.step, variant=variant, sent_at=at(later))
    since, until = days_ago(160), days_ago(100)
    period = {"since": since.isoformat(), "until": until.isoformat()}

    page = staff_client.get(reverse("staff:report"), {"period": "custom"} | period).content.decode()
    data = cli_json(
        capsys, "--library", "gent", "--since", period["since"], "--until", period["until"]
    )

    shown = dict(figures(page))
    for path, value in shown.items():
        expected = at_path(data, path)
        assert expected == (pytest.approx(value) if isinstance(value, float) else value), path
    [dormant] = [row for row in data["results"] if row["journey"] == "dormant"]
    index = data["results"].index(dormant)
    assert shown[f"results.{index}.enrolments"] == 140  # the campaign's 80 mailed, 60 held out
    assert dormant["verdict"] == "worked"
    assert data["baseline"][-1]["month"] == until.replace(day=1).isoformat()


def test_a_period_that_has_ended_gives_no_weeks_to_wait(staff_client, library, capsys):
    journey = library.journeys.get(key="dormant")
    journey.versions.update(holdout_percent=50)
    variant = dormant_variant(library)
    for week in range(4):
        entered = days_ago(7 * week + 3)
        for held_out in (False, True):
            for _ in range(30):
                enrolment = EnrolmentFactory(journey=journey, entered_on=entered, held_out=held_out)
                if not held_out:
                    MessageFactory(
                        enrolment=enrolment, step=variant.step, variant=variant, sent_at=at(entered)
                    )
    period = {"since": days_ago(40).isoformat(), "until": days_ago(5).isoformat()}

    page = staff_client.get(reverse("staff:report"), {"period": "custom"} | period).content.decode()
    [dormant] = [
        row
        for row in cli_json(
            capsys, "--library", "gent", "--since", period["since"], "--until", period["until"]
        )["results"]
        if row["journey"] == "dormant"
    ]

    assert dormant["verdict"] == "not_enough_data"
    assert (dormant["wait"], dormant["weeks_more"]) == ("period_over", None)
    assert "De periode is voorbij" in page
    assert "Nog ongeveer" not in page
