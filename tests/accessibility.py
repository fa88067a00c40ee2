"""axe-core for the browser tests: the copy that the axe-playwright-python test dependency
ships, put into the page with Playwright's evaluate (which no Content-Security-Policy of the
page governs), so nothing is fetched and production serves no test tool."""

from axe_playwright_python.sync_playwright import Axe

WCAG_21_AA = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")
_AXE = Axe()


def axe_violations(page, tags: tuple[str, ...] = WCAG_21_AA) -> list[dict]:
    """The rules of `tags` that the page in front of `page` breaks, each with its impact,
    help text and the first few elements that break it."""
    results = _AXE.run(page, options={"runOnly": list(tags), "resultTypes": ["violations"]})
    return [
        {
            "id": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "targets": [node["target"] for node in violation["nodes"]][:3],
        }
        for violation in results.response["violations"]
    ]
