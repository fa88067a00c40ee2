"""The history of imports in chromium: an upload with a rejected row shows in the history at a
phone's width without scrolling the page sideways, axe-clean, and its rejected rows download
as a CSV file. Screenshot in var/artefacts/imports/."""

import shutil
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from tests.accessibility import axe_violations
from tests.browsers import chromium
from tests.staff.conftest import make_marketer
from tests.staff.test_every_page import PHONE, SIDEWAYS, log_in

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

MEMBERS = (
    "member_id;first_name;email;registered_on\n"
    "M1;Fatima;fatima@example.org;2026-05-01\n"
    "M2;;bart@example.org;2026-05-02\n"
)


@pytest.fixture
def server(live_server, settings):
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    return live_server


def test_an_upload_is_in_the_history_and_its_rejected_rows_download(
    chromium_path, server, library, tmp_path
):
    make_marketer(library, "an")
    export = tmp_path / "leden-juni.csv"
    export.write_text(MEMBERS)
    screens = Path(django_settings.VAR_DIR) / "artefacts" / "imports"
    shutil.rmtree(screens, ignore_errors=True)
    screens.mkdir(parents=True)

    with chromium(chromium_path) as browser:
        page = browser.new_page(locale="nl-BE", accept_downloads=True)
        page.set_viewport_size({"width": PHONE, "height": 800})
        log_in(page, server.url, "an")
        page.wait_for_url(f"{server.url}/staff/")
        page.goto(server.url + reverse("staff:imports"))
        page.get_by_label("CSV-bestand").set_input_files(export)
        page.get_by_role("button", name="Importeren").click()
        row = page.get_by_test_id("import-history").locator("tbody tr").first
        row.get_by_text("leden-juni.csv").wait_for()
        assert page.evaluate(SIDEWAYS) <= 0
        assert axe_violations(page) == []
        page.screenshot(path=screens / "imports.png", full_page=True)

        with page.expect_download() as download:
            row.get_by_role("button", name="1 rij downloaden").click()
        rows = Path(download.value.path()).read_text().splitlines()

    assert rows[0] == "line,reason,row"
    assert "bart@example.org" in rows[1]
