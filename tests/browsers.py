"""Debian's chromium, driven by Playwright, for every browser test: launched with the flags
this machine needs (no sandbox as root, no background connections to the closed network)."""

import contextlib
import os
from collections.abc import Iterator

from playwright.sync_api import Browser, sync_playwright

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync",
]  # fmt: skip


@contextlib.contextmanager
def chromium(executable: str) -> Iterator[Browser]:
    """A browser for the `with` block. Playwright's sync API keeps an event loop in this
    thread; the test's own ORM calls are ordinary synchronous ones, so Django is told so."""
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
