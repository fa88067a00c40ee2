"""The staff application in a real browser (Debian's chromium driven by Playwright), against
a live server: what a marketer does in a morning, checked with axe-core on every screen.

Screenshots of the main screens land in var/artefacts/staff/.
"""

import shutil
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from patronflow.journeys.models import Journey
from patronflow.profiles.models import ReadingProfile
from patronflow.staff.services import add_staff
from tests.accessibility import axe_violations
from tests.factories import MemberFactory, MessageFactory
from tests.staff.conftest import PASSWORD, make_marketer

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def artefacts() -> Path:
    folder = Path(django_settings.VAR_DIR) / "artefacts" / "staff"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def check_accessibility(page, live_server) -> None:
    """axe-core: no serious or critical violation of WCAG 2.1 A/AA or of best practice
    (test_every_page.py holds every page to no WCAG violation at all)."""
    tags = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice")
    violations = axe_violations(page, tags)
    serious = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert not serious, f"{page.url}: {serious}"


def log_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/staff/login/")
    page.get_by_label("Gebruikersnaam").fill(username)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Aanmelden").click()
    page.wait_for_url(f"{live_server.url}/staff/")


def reader(library, first_name: str, segment: str):
    member = MemberFactory(library=library, first_name=first_name)
    ReadingProfile.objects.create(member=member, segment=segment)
    return member


def test_a_marketers_morning(browser, live_server, library, smtp_server, artefacts, tmp_path):
    marketer = make_marketer(library, "an")
    reader(library, "Fatima", "fiction_digital")
    reader(library, "Jonas", "nonfiction_physical")
    welcome = Journey.objects.get(library=library, key="welcome")
    step = welcome.current_version.steps.get(position=1)
    for _ in range(12):  # enough for the report to show and draw (docs/reports.md)
        MessageFactory(enrolment__journey=welcome, step=step, variant=step.variants.get())
    page = browser.new_page(locale="nl-BE")
    console_errors = []
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)

    log_in(page, live_server, "an")
    assert page.get_by_role("heading", name="Overzicht").is_visible()
    page.screenshot(path=artefacts / "dashboard.png", full_page=True)
    check_accessibility(page, live_server)

    # Import a members file with one bad row.
    export = tmp_path / "leden.csv"
    export.write_text(
        "member_id;first_name;email;registered_on\n"
        "N1;Noor;noor@example.org;2026-05-01\n"
        "N2;;bart@example.org;2026-05-02\n"
    )
    page.get_by_role("navigation").get_by_role("link", name="Imports").click()
    page.get_by_label("Wat het bestand bevat").select_option("members")
    page.get_by_label("CSV-bestand").set_input_files(export)
    page.get_by_role("button", name="Importeren").click()
    summary = page.get_by_test_id("import-summary")
    assert "Nieuw" in summary.inner_text()
    assert page.get_by_role("heading", name="Geweigerde rijen").is_visible()
    page.screenshot(path=artefacts / "import.png", full_page=True)
    check_accessibility(page, live_server)

    # Edit the second welcome mail and preview it as two members.
    page.get_by_role("link", name="Reeksen").first.click()
    page.get_by_role("link", name="Welkom voor nieuwe leden").click()
    check_accessibility(page, live_server)
    page.screenshot(path=artefacts / "journey.png", full_page=True)
    page.locator("ol.timeline > li").nth(1).get_by_role("link").first.click()
    page.get_by_label("Onderwerp").fill("{{ first_name }}, lees ook thuis")
    page.get_by_role("button", name="Bewaren").click()
    assert page.get_by_role("status").get_by_text("Bewaard").is_visible()
    for member in ("Fatima", "Jonas"):
        option = page.locator("#id_member option", has_text=member)
        page.get_by_label("Voorbeeld als").select_option(option.get_attribute("value"))
        page.get_by_role("button", name="Voorbeeld", exact=True).click()
        subject = page.get_by_test_id("preview-subject")
        subject.filter(has_text=f"{member}, lees ook thuis").wait_for()
        mail = page.frame_locator("iframe.mail-frame")
        mail.get_by_text(f"Dag {member},").wait_for()
        page.screenshot(path=artefacts / f"preview-{member.lower()}.png", full_page=True)
    check_accessibility(page, live_server)

    # Send a test to myself, through the SMTP server.
    page.get_by_role("button", name="Stuur mij een test").click()
    page.get_by_text(f"Er is een test verzonden naar {marketer.email}").wait_for()
    assert smtp_server.to(marketer.email)[0]["Subject"] == "[TEST] Jonas, lees ook thuis"

    # Pause and activate the journey.
    page.get_by_role("link", name="Welkom voor nieuwe leden").click()
    page.get_by_role("button", name="Pauzeren").click()
    assert page.get_by_text("is nu gepauzeerd").is_visible()
    page.get_by_role("button", name="Activeren").click()
    assert page.get_by_text("is nu actief").is_visible()
    welcome.refresh_from_db()
    assert welcome.status == "active"

    # And the report.
    page.get_by_role("link", name="Resultaten", exact=True).click()
    report = page.get_by_test_id("report")
    assert "Welkom voor nieuwe leden" in report.inner_text()  # the journey by its name
    page.wait_for_function(  # the charts are drawn by the static script, under the staff CSP
        "() => window.Chart !== undefined && [...document.querySelectorAll('canvas[data-chart]')]"
        ".every((canvas) => Chart.getChart(canvas) !== undefined)"
    )
    page.screenshot(path=artefacts / "report.png", full_page=True)
    check_accessibility(page, live_server)
    for screen in ("segments", "tips", "members", "settings"):
        page.goto(f"{live_server.url}/staff/{screen}/")
        check_accessibility(page, live_server)
        page.screenshot(path=artefacts / f"{screen}.png", full_page=True)
    assert not [e for e in console_errors if "Content Security Policy" in e], console_errors


def test_a_marketer_of_another_library_reaches_none_of_it(
    browser, live_server, library, other_library
):
    make_marketer(other_library, "dirk")
    gent_welcome = Journey.objects.get(library=library, key="welcome")
    member = MemberFactory(library=library)
    page = browser.new_page(locale="nl-BE")
    log_in(page, live_server, "dirk")
    assert "Bibliotheek Brugge" in page.content()
    for path in (
        f"journeys/{gent_welcome.pk}/",
        f"journeys/{gent_welcome.pk}/steps/2/default/",
        f"members/{member.pk}/",
        "accounts/",
    ):
        response = page.goto(f"{live_server.url}/staff/{path}")
        assert response.status in (403, 404), path


def test_a_third_marketer_for_the_same_library_is_refused(browser, live_server, library):
    add_staff("netwerk", email="netwerk@example.org", password=PASSWORD, role="admin")
    make_marketer(library, "an")
    make_marketer(library, "bart")
    page = browser.new_page(locale="nl-BE")
    log_in(page, live_server, "netwerk")
    page.get_by_role("link", name="Medewerkersaccounts").click()
    page.get_by_label("Gebruikersnaam").fill("carla")
    page.get_by_label("E-mailadres").fill("carla@gent.be")
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_label("Rol").select_option("marketer")
    page.get_by_label("Bibliotheek", exact=True).select_option(label=library.name)
    page.get_by_role("button", name="Toevoegen").click()
    alert = page.get_by_role("alert")
    assert "Bibliotheek Gent heeft al 2 marketeer-accounts" in alert.inner_text()
    check_accessibility(page, live_server)
