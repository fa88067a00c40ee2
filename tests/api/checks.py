"""What every API error must be: application/problem+json with its status, a type, a title
and a detail."""


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
