"""The report screen tells a marketer what the `report` command tells an operator, in their
language and without misleading them: the effect of every journey in numbers and words, the
journeys by name, bounces and complaints, a baseline that knows where the imported loans end,
no rate of a handful of mails, and a benchmark that a library without members does not blank."""

import datetime as dt
import html
import json
import re
from collections import Counter

import pytest
from django.urls import reverse
from django.utils import timezone

from patronflow.mail.bounces import BounceSummary, Report
from patronflow.operations.bounces import record_report
from patronflow.reports.baseline import add_months
from patronflow.staff.services import add_staff
from patronflow.tracking.models import Event
from tests.factories import (
    LibraryFactory,
    LoanFactory,
    MemberFactory,
    MessageFactory,
    at,
)
from tests.reports.helpers import MONDAY, effect_campaign, mails, small_campaign
from tests.staff.conftest import PASSWORD

pytestmark = pytest.mark.django_db

# The first measure (back within 30 days) as the page shows it: members mailed and held out,
# their shares, the difference and the start of the verdict.
SHOWN = {
    "clear": ("80", "60", "50%", "16,7%", "+33,3 procentpunten", "Gemailde leden deden meer"),
    "unclear": ("60", "60", "30%", "25%", "+5,0 procentpunten", "Geen effect aangetoond"),
    "absent": ("60", "60", "25%", "25%", "0,0 procentpunten", "Geen effect aangetoond"),
}
# The card's answer and its design-system class, per effect.
ANSWERED = {
    "clear": ("verdict-good", "Ja: gemailde leden deden meer."),
    "unclear": ("verdict-unclear", "Geen effect aangetoond."),
    "absent": ("verdict-unclear", "Geen effect aangetoond."),
}


def report_page(client) -> str:
    response = client.get(reverse("staff:report"))
    assert response.status_code == 200
    return response.content.decode()


def table(page: str, name: str) -> str:
    """The first table marked `data-testid=name`, from its header to its end."""
    return page.split(f'data-testid="{name}"', 1)[1].split("</table>")[0]


CELL = re.compile(r"<t[dh][^>]*>(.*?)</t[dh]>", re.S)


def rows(part: str) -> list[list[str]]:
    """Each body row's cells as text."""
    body = part.split("<tbody>", 1)[1]
    return [
        [html.unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in CELL.findall(row)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    ]


def cards(page: str) -> dict[str, tuple[str, str]]:
    """Each results card by its journey's name: its classes and its content."""
    found = re.findall(r'<li class="card ([^"]*)"[^>]*>(.*?)</li>', page, re.S)
    return {re.search(r"<h3>(.*?)</h3>", body)[1]: (css, body) for css, body in found}


def chart_data(page: str) -> dict:
    return json.loads(re.search(r'<script id="chart-data" [^>]*>(.*?)</script>', page, re.S)[1])


def dormant_variant(library):
    step = library.journeys.get(key="dormant").current_version.steps.get(position=1)
    return step.variants.get(segment="")


def days_ago(days: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=days)


@pytest.mark.parametrize("effect", list(SHOWN))
def test_the_effect_is_shown_in_numbers_and_words_whatever_it_is(staff_client, library, effect):
    effect_campaign(library, effect, entered=days_ago(120))

    page = report_page(staff_client)

    css, answer = ANSWERED[effect]
    classes, card = cards(page)["We missen je"]
    assert classes == css and f"<strong>{answer}</strong>" in card
    first = rows(table(page, "effect"))[0]
    assert first[0] == "Leende of kwam langs binnen 30 dagen"
    mailed, held_out, mailed_share, held_out_share, lift, verdict = SHOWN[effect]
    assert first[1:6] == [mailed, held_out, mailed_share, held_out_share, lift]
    assert " – " in first[6] and re.fullmatch(r"(< )?[01],\d{3}", first[7])
    assert first[8].startswith(verdict)
    assert "p = <" not in first[8]  # "p < 0,001"


def test_a_journey_without_a_control_group_says_so_rather_than_vanishing(staff_client, library):
    page = report_page(staff_client)  # the library fixture holds no members out

    classes, welcome = cards(page)["Welkom voor nieuwe leden"]
    assert classes == "verdict-none"
    assert "Niet te zeggen: geen controlegroep." in welcome
    assert "Deze reeks houdt geen leden apart" in welcome


def test_too_few_members_is_not_enough_data_yet_and_small_groups_stay_withheld(
    staff_client, library
):
    small_campaign(library)  # 37 mailed, 3 held out
    library.journeys.get(key="dormant").versions.update(holdout_percent=10)

    page = report_page(staff_client)

    lines = rows(table(page, "effect"))
    assert lines and all(line[2] == "< 10" for line in lines)
    assert all(line[-1] == "Nog niet genoeg gegevens." for line in lines)
    assert ">37</data> leden stapten in" not in page  # 37 + 3 would give the 3 away: ·
    _, dormant = cards(page)["We missen je"]
    assert 'data-json="results.0.enrolments">·</data> leden stapten in' in dormant
    assert "Nog niet genoeg gegevens." in dormant
    assert "Hoe lang nog is niet te zeggen: de laatste tijd is geen lid ingestapt." in dormant


def test_journeys_are_named_not_keyed(staff_client, library):
    small_campaign(library)

    page = report_page(staff_client)

    assert [row[0] for row in rows(table(page, "report"))] == ["We missen je"]
    assert [row[1] for row in rows(table(page, "weekly"))] == ["We missen je"]
    assert ">dormant<" not in page


def test_bounces_and_complaints_are_counted_per_mail(staff_client, library):
    step = library.journeys.get(key="dormant").current_version.steps.get(position=1)
    sent = mails(step.variants.get(segment=""), 40)
    for message, kind in [
        *((m, "hard") for m in sent[:12]),
        *((m, "complaint") for m in sent[12:22]),
    ]:
        record_report(Report(kind, message.pk, "5.1.1"), at(MONDAY), BounceSummary(Counter()))

    page = report_page(staff_client)

    header = table(page, "report").split("</thead>")[0]
    assert "Onbestelbaar" in header and "Als spam gemeld" in header
    [row] = rows(table(page, "report"))
    # sent, bounced, delivered; … complaints
    # sent, delivered, bounced; … complaints
    assert (row[3], row[4], row[5], row[12]) == ("40", "28", "12", "10")


def test_weeks_of_a_few_mails_show_their_counts_greyed_and_draw_no_rate(staff_client, library):
    variant = (
        library.journeys.get(key="dormant")
        .current_version.steps.get(position=1)
        .variants.get(segment="")
    )
    for week, (count, clicked) in enumerate([(3, 1), (20, 10), (7, 3), (5, 2), (25, 11)]):
        sent = mails(variant, count, day=MONDAY + dt.timedelta(weeks=week))
        for message in sent[:clicked]:
            Event.objects.create(message=message, kind=Event.Kind.CLICK, link_index=0)

    page = report_page(staff_client)

    weekly = table(page, "weekly")
    rates = [row[-1] for row in rows(weekly)]
    assert rates == ["·", "50%", "·", "·", "44%"]
    assert weekly.count('<tr class="muted-row">') == 3
    [points] = chart_data(page)["over_time"].values()
    assert [point["y"] for point in points] == [None, 0.5, None, None, 0.44]


def test_a_month_after_the_last_imported_loan_says_so_rather_than_drawing_a_collapse(
    staff_client, library
):
    this_month = timezone.localdate().replace(day=1)
    launch = add_months(this_month, -3)
    last_import = add_months(this_month, -2) + dt.timedelta(days=4)
    mails(dormant_variant(library), 1, day=launch)
    reader = MemberFactory(library=library)
    for day in (add_months(launch, -12), add_months(launch, -11), add_months(launch, -10)):
        for _ in range(12):
            LoanFactory(member=reader, loaned_on=day)
    for day in (launch, last_import):
        for _ in range(12):
            LoanFactory(member=reader, loaned_on=day)

    page = report_page(staff_client)

    months = rows(table(page, "baseline"))
    assert months[1][0] == f"{last_import:%Y-%m} (t/m dag 5: onvolledig)"
    assert months[2][-1] == f"geen ontleningen geïmporteerd na {last_import:%Y-%m-%d}"
    assert months[2][1] == "–" and "-100%" not in page
    drawn = chart_data(page)["baseline"]
    assert [month["loans"] for month in drawn] == [12, 12, None, None]
    assert [month["partial_through"] for month in drawn][:2] == [None, 5]


def test_a_library_without_members_leaves_the_benchmark_shown(client, library, other_library):
    LibraryFactory(code="leeg", name="Bibliotheek Leeg")
    for each, members in ((library, 40), (other_library, 25)):
        journey = each.journeys.get(key="welcome")
        step = journey.current_version.steps.get(position=1)
        for number in range(members):
            message = MessageFactory(
                enrolment__journey=journey, step=step, variant=step.variants.get()
            )
            if number < 10:
                Event.objects.create(message=message, kind=Event.Kind.CLICK, link_index=0)
    client.force_login(
        add_staff("netwerk", email="netwerk@bib.be", password=PASSWORD, role="admin")
    )

    page = report_page(client)

    assert [row[:3] for row in rows(table(page, "benchmark"))] == [
        ["brugge", "25", "40%"],
        ["gent", "40", "25%"],
        ["Netwerk", "65", "30,8%"],
    ]
