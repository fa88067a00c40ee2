"""Scenario (a) of the campaign studio, in chromium, as a marketer with no terminal: build the
saved segment "reads e-books", build a broadcast to it with one variant per e-book reading
segment, preview each, test-send them to the seed list (a real SMTP server), schedule it
after reading who it reaches; then a `tick` at its moment sends it to exactly the members
the count showed, and the report shows them.

Screenshots land in var/artefacts/scenario-broadcast/."""

import datetime as dt
import shutil
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from patronflow.journeys.models import Journey, SavedSegment
from patronflow.journeys.services import is_held_out
from patronflow.members.models import Item
from patronflow.members.windows import wall_clock
from patronflow.operations.tick import tick
from patronflow.profiles.models import ReadingProfile
from tests.accessibility import axe_violations
from tests.browsers import chromium
from tests.factories import ItemFactory, LoanFactory, MemberFactory
from tests.journeys.helpers import only
from tests.staff.conftest import make_marketer
from tests.staff.test_every_page import PHONE, SIDEWAYS, log_in

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SEED = "jan@gent.be"
KEY, HOLDOUT = "e-boekenactie", 10
# The variants of the broadcast's one mail: the fallback, then one per e-book reading segment.
VARIANTS = {
    "": ("Nieuwe e-boeken, {{ first_name }}", "nieuwe e-boeken in de bib"),
    "fiction_digital": ("{{ first_name }}, nieuwe e-romans", "nieuwe e-romans voor jou"),
    "nonfiction_digital": ("{{ first_name }}, digitale non-fictie", "nieuwe digitale non-fictie"),
}
SEGMENT_LABELS = {
    "fiction_digital": "Fictie, digitaal",
    "nonfiction_digital": "Non-fictie, digitaal",
}


@pytest.fixture
def server(live_server, settings):
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    return live_server


@pytest.fixture
def screens() -> Path:
    folder = Path(django_settings.VAR_DIR) / "artefacts" / "scenario-broadcast"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


# What each reading segment's members borrow: (material, fiction).
BORROWS = {
    "fiction_digital": (Item.Material.EBOOK, True),
    "nonfiction_digital": (Item.Material.EBOOK, False),
    "fiction_physical": (Item.Material.BOOK, True),
}


def readers(library, segment: str, count: int, prefix: str, **fields) -> list:
    """Members of a reading segment with the three loans that make it theirs, as the loans
    import leaves them (the profile is counted again when they enter)."""
    material, fiction = BORROWS[segment]
    item = ItemFactory(library=library, material=material, is_fiction=fiction)
    members = []
    for number in range(count):
        member = MemberFactory(
            library=library,
            external_id=f"{prefix}{number:03d}",
            last_activity_on=timezone.localdate() - dt.timedelta(days=5),
            **fields,
        )
        for days in (10, 20, 30):
            LoanFactory(
                member=member, item=item, loaned_on=timezone.localdate() - dt.timedelta(days)
            )
        ReadingProfile.objects.create(member=member, segment=segment)
        members.append(member)
    return members


def a_day_in_the_window(library) -> dt.date:
    """Two days or more from now, on a day the library sends on."""
    day = timezone.localdate() + dt.timedelta(days=2)
    while str(day.isoweekday()) not in library.send_days:
        day += dt.timedelta(days=1)
    return day


def looks_right(page, name: str, screens: Path) -> None:
    assert page.evaluate(SIDEWAYS) <= 0, name
    assert axe_violations(page) == [], name
    page.screenshot(path=screens / f"{name}.png", full_page=True)


def test_a_broadcast_to_e_book_readers_goes_to_exactly_whom_its_count_showed(
    chromium_path, server, library, smtp_server, screens
):
    only(library)  # the standard journeys stay out of this
    ebook_readers = readers(library, "fiction_digital", 15, "FD") + readers(
        library, "nonfiction_digital", 15, "ND"
    )
    mailed = {
        m.email for m in ebook_readers if not is_held_out("gent", KEY, m.external_id, HOLDOUT)
    }
    # Some are held out, and each variant keeps 10 or more: its figures show in the report.
    assert len(mailed) == 26
    readers(library, "fiction_digital", 1, "FX", email="")  # reads e-books, but has no address
    readers(library, "fiction_physical", 5, "FP")
    make_marketer(library, "an")
    day = a_day_in_the_window(library)
    moment = wall_clock(day, dt.time(10), library.send_window.zone)

    with chromium(chromium_path) as browser:
        page = browser.new_page(locale="nl-BE")
        page.set_viewport_size({"width": PHONE, "height": 900})
        log_in(page, server.url, "an")
        page.wait_for_url(f"{server.url}/staff/")

        # The saved segment "reads e-books".
        page.locator(".menu > summary").click()  # the menu folds away on a phone
        page.get_by_role("navigation").get_by_role("link", name="Segmenten").click()
        page.get_by_role("link", name="Nieuw segment").click()
        page.get_by_label("Naam").fill("Leest e-boeken")
        page.get_by_label("Sleutel").fill("leest-e-boeken")
        page.get_by_role("button", name="Voorwaarde toevoegen").click()
        page.get_by_label("Voorwaarde", exact=True).select_option("reading_segments")
        for label in SEGMENT_LABELS.values():
            page.get_by_label(label, exact=True).check()
        expect(page.locator("#audience-count dd").first).to_have_text("31")
        page.get_by_role("button", name="Segment bewaren").click()
        page.wait_for_url(server.url + reverse("staff:segments"))
        assert SavedSegment.objects.filter(library=library, key="leest-e-boeken").exists()

        # The broadcast to it, with a variant per e-book reading segment.
        page.locator(".menu > summary").click()
        page.get_by_role("navigation").get_by_role("link", name="Reeksen").click()
        page.get_by_role("link", name="Nieuwe verzending").click()
        page.get_by_label("Naam", exact=True).fill("E-boekenactie")
        page.get_by_label("Sleutel").fill(KEY)
        page.get_by_role("button", name="Voorwaarde toevoegen").click()
        page.get_by_label("Voorwaarde", exact=True).select_option("segment")
        page.get_by_label("Bewaard segment").select_option("leest-e-boeken")
        page.get_by_label("Vertrekt op").fill(f"{day:%Y-%m-%d}T10:00")
        page.get_by_label("Naam van de mail").fill("E-boeken")
        for segment in SEGMENT_LABELS:
            page.get_by_label("Leesprofiel voor een nieuwe variant van mail 1").select_option(
                segment
            )
            page.get_by_role("button", name="Een variant voor dit leesprofiel toevoegen").click()
        variants = page.locator("fieldset.variant")
        expect(variants).to_have_count(3)
        for segment, (subject, _words) in VARIANTS.items():
            variant = (
                variants.first
                if not segment
                else page.get_by_role("group", name=f"Variant voor: {SEGMENT_LABELS[segment]}")
            )
            variant.get_by_label("Onderwerp").fill(subject)
        page.get_by_label("Controlegroep (nooit gemaild, om te vergelijken)").fill(str(HOLDOUT))
        looks_right(page, "editor", screens)
        page.get_by_role("button", name="Bewaren").first.click()
        page.get_by_text("E-boekenactie is bewaard als ontwerp").wait_for()
        broadcast = Journey.objects.get(library=library, key=KEY)
        assert broadcast.status == Journey.Status.DRAFT
        journey_url = page.url

        # The seed list: a colleague's address.
        page.goto(server.url + reverse("staff:settings"))
        page.get_by_role("link", name="Testlijst", exact=False).click()
        page.get_by_label("E-mailadres").fill(SEED)
        page.get_by_role("button", name="Toevoegen").click()
        page.get_by_text(f"{SEED} staat op de testlijst.").wait_for()

        # Each variant previewed, and sent as a test to the seed list.
        for segment, (_, words) in VARIANTS.items():
            page.goto(journey_url)
            outline = page.locator("section.outline")
            label = SEGMENT_LABELS.get(segment)
            link = outline.get_by_role("link", name=label, exact=True) if label else None
            (link or outline.locator(".timeline li li a").first).click()
            # The new mail's paragraph, in the designer's box for formatted text.
            page.locator("#b-1-html_rich").fill(f"{words}.")
            page.get_by_role("button", name="Voorbeeld", exact=True).click()
            page.frame_locator("iframe.mail-frame").get_by_text(words).wait_for()
            page.screenshot(path=screens / f"preview-{segment or 'default'}.png", full_page=True)
            page.get_by_role("button", name="Stuur een test naar de testlijst").click()
            page.get_by_text(f"Er is een test verzonden naar {SEED}.").wait_for()
        tests = [mail for mail in smtp_server.messages if str(mail["Subject"]).startswith("[TEST]")]
        assert len(tests) == 3
        assert {mail["To"].addresses[0].addr_spec for mail in tests} == {SEED}

        # Scheduled after reading who it reaches and when.
        page.goto(journey_url)
        page.get_by_test_id("reach-mailed").wait_for()
        page.get_by_role("link", name="Inplannen…").click()
        figures = page.get_by_test_id("reach-figures")
        said = " ".join(figures.inner_text().split())
        assert "Horen bij de doelgroep 31" in said and "Van wie mag gemaild worden 30" in said
        shown = int(page.get_by_test_id("reach-mailed").inner_text())
        assert f"{day.day}" in page.get_by_test_id("reach-when").inner_text()
        looks_right(page, "schedule", screens)
        page.get_by_role("button", name="Inplannen", exact=True).click()
        page.get_by_text("E-boekenactie is ingepland.").wait_for()
        broadcast.refresh_from_db()
        assert broadcast.status == Journey.Status.ACTIVE

        # Its moment comes: the scheduler's run sends it.
        tick(moment)
        sent = [m for m in smtp_server.messages if not str(m["Subject"]).startswith("[TEST]")]
        assert len(sent) == shown == len(mailed)
        assert {m["To"].addresses[0].addr_spec for m in sent} == mailed
        subjects = {str(m["Subject"]).split(",")[-1].strip() for m in sent}
        assert subjects == {"nieuwe e-romans", "digitale non-fictie"}

        # And the report shows it.
        page.locator(".menu > summary").click()
        page.get_by_role("navigation").get_by_role("link", name="Resultaten").click()
        rows = page.get_by_test_id("report").locator(
            "tr", has=page.get_by_role("rowheader", name="E-boekenactie")
        )
        counts = [int(row.locator("td.num").first.inner_text()) for row in rows.all()]
        assert sum(counts) == shown
        looks_right(page, "report", screens)
