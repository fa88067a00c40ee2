"""The studio's browser tests at a phone's width: a page logged in on the live server, and
the check each page they reach passes (nothing scrolls sideways, axe-core finds nothing).
The `browser` they drive is tests/staff/conftest.py's."""

from tests.accessibility import axe_violations
from tests.staff.test_browser import log_in
from tests.staff.test_every_page import PHONE, SIDEWAYS


def fits_and_passes(page) -> None:
    assert page.evaluate(SIDEWAYS) <= 0, page.url
    assert not axe_violations(page), page.url


def phone_page(browser, live_server, username: str):
    """A page of its own (its own cookies) at 375 px, logged in as `username`, in Dutch."""
    page = browser.new_context(locale="nl-BE").new_page()
    page.set_viewport_size({"width": PHONE, "height": 800})
    log_in(page, live_server, username)
    return page
