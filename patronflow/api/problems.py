"""Every error under /api/ as `application/problem+json` (RFC 9457): a `type` that names the
kind of problem, its `title`, the HTTP `status`, a `detail` for this occurrence and, where
fields were wrong, `errors` with each field as a JSON pointer into the request body
(`/rows/3/email`). Clients branch on `type` and `status`; people read `detail`."""

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.http import HttpResponse

PROBLEM_TYPE = "application/problem+json"
# The problem types, documented in docs/api.md under Errors.
TYPES = {
    400: ("malformed", "Malformed request"),
    401: ("unauthenticated", "Not authenticated"),
    403: ("forbidden", "Scope missing"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    409: ("in-progress", "Request in progress"),
    413: ("too-large", "Request too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
    422: ("invalid", "Invalid request"),
    429: ("rate-limited", "Too many requests"),
    500: ("server-error", "Server error"),
}
TYPE_BASE = "https://patronflow.org/problems/"


@dataclass(frozen=True)
class FieldError:
    field: str  # a JSON pointer into the request body, "" for the body itself
    message: str


class Problem(Exception):
    """Raised anywhere below a view: answered as problem+json by the API's handler."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        errors: Sequence[FieldError] = (),
        kind: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = list(errors)
        self.kind = kind
        self.headers = headers or {}


def problem_response(problem: Problem) -> HttpResponse:
    name, title = TYPES.get(problem.status, TYPES[500 if problem.status >= 500 else 400])
    body = {
        "type": TYPE_BASE + (problem.kind or name),
        "title": title,
        "status": problem.status,
        "detail": problem.detail,
    }
    if problem.errors:
        body["errors"] = [{"field": e.field, "message": e.message} for e in problem.errors]
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False), status=problem.status, content_type=PROBLEM_TYPE
    )
    for header, value in problem.headers.items():
        response[header] = value
    return response


def pointer(path: Iterable[str | int]) -> str:
    """A JSON pointer (RFC 6901) to a place in the body: ("rows", 3, "email") → /rows/3/email."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in path)


def field_errors(ninja_errors: list[dict]) -> list[FieldError]:
    """Pydantic's errors as django-ninja reports them (loc: source, parameter, then the path
    in it), each as the body field it is about."""
    found = []
    for error in ninja_errors:
        location = list(error.get("loc", ()))
        source = location[:1]
        path = location[2:] if source == ["body"] else location[1:]
        # A union of types reports each member's failure under the member's name: one is
        # enough for a reader, and the name is no field of theirs.
        path = [part for part in path if not _is_type_name(part)]
        found.append(FieldError(pointer(path), _message(error)))
    unique = list(dict.fromkeys(found))
    return unique


def _is_type_name(part: object) -> bool:
    return isinstance(part, str) and (
        part in {"str", "int", "float", "bool", "datetime", "function-after[...]"}
        or part.startswith(("function-", "lax-", "constrained-", "literal["))
    )


def _message(error: dict) -> str:
    if error.get("type") == "missing":
        return "this field is required"
    return str(error.get("msg", "invalid")).removeprefix("Value error, ")
