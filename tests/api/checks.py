"""What every API error must be: application/problem+json with its status, a type, a title
and a detail."""

import time

from patronflow.api.limits import WINDOW_SECONDS


def is_problem(response, status: int) -> dict:
    """The problem's body, after checking its shape."""
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    assert body["type"].startswith("https://") and body["title"] and body["detail"]
    return body


def fields(problem: dict) -> list[str]:
    return [error["field"] for error in problem.get("errors", [])]


def within_one_window(seconds_needed: float = 5) -> None:
    """Wait, when the rate limit's minute is about to turn, for the next one: the requests
    a test counts then fall in one window."""
    into = time.time() % WINDOW_SECONDS
    if into > WINDOW_SECONDS - seconds_needed:
        time.sleep(WINDOW_SECONDS - into + 0.1)
