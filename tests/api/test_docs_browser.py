"""The docs page in a real browser: Swagger UI draws every endpoint from the schema, with its
scripts from patronflow itself (the page's Content-Security-Policy allows no other)."""

from playwright.sync_api import expect

from tests.browsers import chromium


def test_the_docs_page_lists_the_endpoints_in_a_browser(live_server, api_library, chromium_path):
    with chromium(chromium_path) as browser:
        page = browser.new_page()
        outside = []
        page.on(
            "request",
            lambda request: (
                outside.append(request.url)
                if not request.url.startswith(live_server.url)
                and not request.url.startswith("data:")
                else None
            ),
        )
        page.goto(f"{live_server.url}/api/v1/docs")

        expect(page.get_by_role("heading", name="patronflow API")).to_be_visible()
        expect(page.get_by_text("/api/v1/events/batch")).to_be_visible()
        expect(page.get_by_text("/api/v1/journeys/{key}/figures")).to_be_visible()
    assert outside == []
