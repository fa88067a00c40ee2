"""The results page answers both questions: did mailed members come back more than held-out
ones (the plain and the adjusted estimate, valid however often the page is read), and did the
library's loans change more than its comparison libraries' — each figure the report's JSON."""

import datetime as dt
import json

import pytest
import time_machine
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from patronflow.reports.effect import Comparison, JourneyEffect
from patronflow.reports.exports import Report, build_report, report_data
from patronflow.reports.page import results_context
from patronflow.reports.published import published_effects
from tests.factories import LibraryFactory, VisitFactory, at
from tests.reports.helpers import effect_campaign
from tests.reports.test_comparison import AS_OF, SINCE, active
from tests.staff.test_results import at_path, figures

pytestmark = pytest.mark.django_db

PERIOD = {"period": "custom", "since": SINCE.isoformat()}


def page_of(client, **query) -> str:
    with time_machine.travel(at(AS_OF, 10), tick=False):
        return client.get(reverse("staff:report"), {**PERIOD, **query}).content.decode()


def json_of(library) -> dict:
    return json.loads(json.dumps(report_data(build_report(library, as_of=AS_OF, since=SINCE))))


@pytest.fixture
def compared(library):
    """Gent's loans +20% (200 → 240) against Aalst's and Dendermonde's +10% and Brugge's 0%;
    Eeklo, with 5 borrowers a month, is left out."""
    others = [LibraryFactory(code=code) for code in ("aalst", "brugge", "dendermonde", "eeklo")]
    library.comparison_libraries.set(others)
    active(library, "before", loans=100, borrowers=40, visits=150, visitors=60)
    active(library, "after", loans=120, borrowers=50, visits=150, visitors=60)
    for other, (before, after), borrowers in zip(
        others, [(100, 110), (50, 50), (200, 220), (60, 90)], [30, 20, 80, 5], strict=True
    ):
        active(other, "before", loans=before, borrowers=borrowers, visits=0, visitors=0)
        active(other, "after", loans=after, borrowers=borrowers, visits=0, visitors=0)
    return library


def test_the_page_says_how_the_loans_changed_against_the_comparison_libraries(
    staff_client, compared
):
    page = page_of(staff_client)

    section = page.split('data-testid="against-comparison"')[1].split("</section>")[0]
    assert (
        "Bibliotheek Aalst, Bibliotheek Brugge, Bibliotheek Dendermonde, Bibliotheek Eeklo"
        in section
    )
    assert "maart 2026 tot april 2026" in section and "maart 2025 tot april 2025" in section
    loans = section.split('data-verdict="')[1]
    # +20% against (1.1 × 1 × 1.1)^(1/3) − 1 = +6.6%: +12.6% more, within an interval that
    # allows for monthly reading and spans chance with three libraries.
    assert loans.startswith("no_difference")
    assert ">+20,0%</data>" in loans and ">+6,6%</data>" in loans and ">+12,6%</data>" in loans
    answers = section.split('data-testid="comparison-answers"')[1]
    assert "Weggelaten: 1 vergelijkingsbibliotheken" in answers
    assert "Geen verschil aangetoond: de ontleningen van deze bibliotheek" in answers
    # Visits: none recorded in the comparison libraries, so no verdict.
    assert "minstens 2 vergelijkingsbibliotheken met bezoeken" in answers
    data = json_of(compared)
    for path, value in figures(section):
        assert at_path(data, path) == pytest.approx(value), path
    assert [row["measure"] for row in data["comparison"]] == ["loans", "borrowers", "visits"]


def test_every_card_answers_the_loans_question_too(staff_client, compared):
    effect_campaign(compared, "clear", entered=dt.date(2026, 1, 20))

    page = page_of(staff_client)

    cards = page.split('data-testid="cards"')[1].split("</ul>")[0]
    assert "Ontleningen tegenover de vergelijkingsbibliotheken:" in cards
    assert "Geen verschil aangetoond." in cards.split('data-testid="card-against"')[1]


def test_without_comparison_libraries_the_page_says_the_network_admin_chose_none(
    staff_client, library
):
    active(library, "after", loans=120, borrowers=50, visits=150, visitors=60)

    page = page_of(staff_client)

    section = page.split('data-testid="against-comparison"')[1].split("</section>")[0]
    assert "De netwerkbeheerder heeft geen vergelijkingsbibliotheken gekozen" in section
    assert "<table" not in section


def test_the_adjusted_estimate_stands_beside_the_plain_one_with_how_much_narrower():
    back = Comparison(
        measure="borrowed or visited within 30 days", kind="rate", mailed_n=300, held_out_n=100,
        mailed=0.3, held_out=0.2, lift=0.1, low=0.02, high=0.18, p_value=0.01,
        enough_data=True, mailed_count=90, held_out_count=20, outcome="returned", window=30,
        adjusted_lift=0.09, adjusted_low=0.03, adjusted_high=0.15, narrower=0.25,
    )  # fmt: skip
    effect = JourneyEffect("gent", "dormant", 400, 100, [back], "We missen je", 25)
    report = Report(
        as_of=AS_OF, library="gent", metrics=[], weekly=[], funnel=[],
        effects=published_effects([effect]), baselines=[], benchmark=None,
    )  # fmt: skip

    with translation.override("nl"):
        page = render_to_string("reports/_results.html", results_context(report))

    card = page.split('data-testid="cards"')[1].split("</li>")[0]
    adjusted = card.split('data-testid="adjusted"')[1].split("</div>")[0]
    assert "Aangepast voor wat leden deden voor ze instapten, in procentpunten" in adjusted
    assert 'data-json="results.0.adjusted_lift">+9,0</data>' in adjusted
    assert ">+3,0</data> tot <data" in adjusted and ">+15,0</data>" in adjusted
    assert 'data-json="results.0.narrower">25%</data> smaller' in adjusted
    # The verdict rests on the adjusted difference, and says it holds however often read.
    assert "een verschil van +9,0 procentpunten (95%-interval +3,0 procentpunten" in card
    assert 'data-testid="always-valid"' in card
    data = report_data(report)
    for path, value in figures(card):
        assert at_path(data, path) == pytest.approx(value), path


def test_the_baseline_shows_visits_beside_loans_once_visits_are_imported(staff_client, library):
    effect_campaign(library, "clear", entered=dt.date(2026, 3, 2))
    members = list(library.members.all()[:12])
    for member in members:  # 12 visitors in April 2026, 10 of them in April 2025
        VisitFactory(member=member, visited_on=dt.date(2026, 4, 8))
    for member in members[:10]:
        VisitFactory(member=member, visited_on=dt.date(2025, 4, 8))

    page = page_of(staff_client)

    table = page.split('data-testid="baseline"')[1].split("</table>")[0]
    assert '<th scope="col" class="num">Bezoeken</th>' in table
    april = table.split("2026-04")[1].split("</tr>")[0]
    assert 'data-json="baseline.1.visits">12</data>' in april
    assert 'data-json="baseline.1.baseline_visits">10</data>' in april
    assert 'data-json="baseline.1.visits_change">+20%</data>' in april
    data = json_of(library)
    assert data["baseline"][1]["visits"] == 12
    assert data["baseline"][1]["visits_change"] == pytest.approx(0.2)
