"""A network admin picks a library's comparison libraries in the browser, and the library's
results page then answers whether its loans changed more than theirs — at a phone's width,
axe-core finding nothing to fault on either page."""

import datetime as dt

import pytest
from django.utils import timezone

from patronflow.members.models import ActivityDay, ActivityMonth
from patronflow.reports.baseline import add_months
from patronflow.staff.services import add_staff
from tests.factories import LibraryFactory
from tests.reports.helpers import effect_campaign
from tests.staff.conftest import PASSWORD
from tests.staff.phone import fits_and_passes, phone_page

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def monthly(library, months: list[dt.date], *, loans: int, borrowers: int) -> None:
    """The month's loans and borrowers, in place of what the campaign's own loans counted."""
    for month in months:
        ActivityDay.objects.filter(
            library=library, day__gte=month, day__lt=add_months(month, 1)
        ).delete()
        ActivityDay.objects.create(library=library, day=month.replace(day=3), loans=loans)
        ActivityMonth.objects.update_or_create(
            library=library, month=month, defaults={"borrowers": borrowers, "active": borrowers}
        )


def test_the_network_admin_picks_comparison_libraries_and_the_results_page_answers(
    browser, live_server, library
):
    # The dormant mail left 118 days ago: the months since, all but this one complete, are
    # measured against the same months a year earlier.
    effect_campaign(library, "clear", entered=timezone.localdate() - dt.timedelta(days=120))
    launch = timezone.localdate() - dt.timedelta(days=118)
    measured = [add_months(launch.replace(day=1), n) for n in range(4)]
    baseline = [add_months(month, -12) for month in measured]
    # Thousands of loans a month, as a library has: few enough and counting alone could
    # explain a difference.
    monthly(library, baseline, loans=10_000, borrowers=40)
    monthly(library, measured, loans=15_000, borrowers=50)  # +50%
    for code, after in (
        ("hasselt", 10_000), ("ieper", 10_100), ("kortrijk", 9_900), ("lier", 14_000)
    ):  # fmt: skip
        other = LibraryFactory(code=code, name=f"Bibliotheek {code.title()}")
        monthly(other, baseline, loans=10_000, borrowers=30)
        monthly(other, measured, loans=after, borrowers=30)
    add_staff("netwerk", email="netwerk@example.org", password=PASSWORD, role="admin")
    page = phone_page(browser, live_server, "netwerk")  # works on Gent, the first library

    page.goto(f"{live_server.url}/staff/settings/")
    page.get_by_role("link", name="Vergelijkingsbibliotheken kiezen").click()
    page.wait_for_url("**/staff/settings/comparison/")
    fits_and_passes(page)
    for name in ("Hasselt", "Ieper", "Kortrijk"):  # Lier not chosen
        page.get_by_label(f"Bibliotheek {name}").check()
    page.get_by_role("button", name="Vergelijkingsbibliotheken bewaren").click()
    page.wait_for_url("**/staff/settings/comparison/")
    assert "bewaard" in page.inner_text("main")
    page.screenshot(path="var/screenshots/comparison-libraries-375.png", full_page=True)

    page.goto(f"{live_server.url}/staff/reports/")

    section = page.get_by_test_id("against-comparison")
    assert "Bibliotheek Hasselt, Bibliotheek Ieper, Bibliotheek Kortrijk" in section.inner_text()
    loans = section.locator("tr[data-verdict]").first
    # +50% against 0%, +1% and −1%: their changes spread so little that even an interval
    # allowing for monthly reading leaves chance out.
    assert loans.get_attribute("data-verdict") == "more"
    # Loans: 40,000 in the baseline months, 60,000 since the launch.
    assert loans.inner_text().startswith("Ontleningen\t40.000\t60.000\t+50,0%\t0,0%\t+50,0%")
    answer = section.get_by_test_id("comparison-answers").locator("li").first.inner_text()
    assert "Ja: de ontleningen van deze bibliotheek" in answer
    card = page.locator("li.card", has=page.get_by_role("heading", name="We missen je"))
    assert "Ja: meer dan de vergelijkingsbibliotheken." in card.inner_text()
    assert page.locator('canvas[data-chart="comparison"]').count() == 1
    fits_and_passes(page)
    page.screenshot(path="var/screenshots/results-375.png", full_page=True)
