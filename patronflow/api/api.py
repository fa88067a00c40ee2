"""/api/v1/: the REST API for the library's systems (docs/api.md). The views are thin: they
check the token's scope (auth.py), hand the request to the functions that do the work
(upserts.py, events.py, figures.py) and answer in JSON; every error is problem+json
(problems.py), with the schema at /api/v1/openapi.json and its docs page at /api/v1/docs."""

import json
import logging
from datetime import UTC
from functools import wraps

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, re_path
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser
from pydantic import BaseModel

from patronflow.api import auth, events, figures, upserts
from patronflow.api.idempotency import HEADER, idempotently
from patronflow.api.models import ApiToken
from patronflow.api.problems import PROBLEM_TYPE, Problem, field_errors, problem_response
from patronflow.api.schemas import (
    MAX_BATCH,
    EventIn,
    EventOut,
    EventsIn,
    EventsOut,
    ImportOut,
    ItemsIn,
    JourneyFigures,
    JourneyOut,
    LoansIn,
    MembersIn,
    ProblemOut,
    VisitsIn,
)

logger = logging.getLogger(__name__)

# A request body longer than this is refused (413) before it is read.
MAX_BODY_BYTES = 2 * 1024 * 1024
JSON = "application/json"

DESCRIPTION = f"""\
The library's systems push members, items, loans, visits and events into patronflow, and read
their journeys' figures. Every request carries a token (`Authorization: Bearer pf_…`) that
staff make in the staff application under Integrations; the token's scopes say what it may
do: `members` (members, items, loans, visits), `events`, `read` (journeys and their figures).
A token sees only its own library.

Errors are `application/problem+json` (RFC 9457) with `errors[].field` as a JSON pointer into
the body. A POST may carry an `{HEADER}`: a retry with the same key is answered as the first
and changes nothing (24 hours). At most {MAX_BATCH:,} rows or events per request and
{MAX_BODY_BYTES // 1024 // 1024} MiB per body; requests per token per minute are limited
(429 with Retry-After). Full guide: docs/api.md."""


class StrictJson(Parser):
    """JSON as RFC 8259 has it: NaN and Infinity are not numbers a body may hold."""

    def parse_body(self, request: HttpRequest) -> dict:
        return json.loads(request.body, parse_constant=_refuse_constant)


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


class Api(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        """Error answers are documented as what they are: application/problem+json."""
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                for status, response in operation.get("responses", {}).items():
                    content = response.get("content", {})
                    if int(status) >= 400 and JSON in content:
                        content[PROBLEM_TYPE] = content.pop(JSON)
        return schema


api = Api(
    title="patronflow API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api-v1",
    parser=StrictJson(),
)

ERRORS = {401: ProblemOut, 403: ProblemOut, 413: ProblemOut, 422: ProblemOut, 429: ProblemOut}
POST_ERRORS = {**ERRORS, 400: ProblemOut, 409: ProblemOut}


def _json(data: BaseModel | list[BaseModel], status: int = 200) -> HttpResponse:
    if isinstance(data, list):
        text = "[" + ",".join(item.model_dump_json() for item in data) + "]"
    else:
        text = data.model_dump_json()
    return HttpResponse(text, status=status, content_type=JSON)


def operator_of(token: ApiToken) -> str:
    """How the audit log names a request's token."""
    return f"api token {token.prefix}"


def _operator(request: HttpRequest) -> str:
    return operator_of(auth.token_of(request))


def _upsert(request: HttpRequest, kind: str, payload) -> HttpResponse:
    token = auth.token_of(request)
    return idempotently(
        request,
        token,
        lambda: _json(
            upserts.upsert(
                library=token.library, kind=kind, rows=payload.rows, operator=_operator(request)
            )
        ),
    )


UPSERT_DOC = (
    "Scope: `members`. Inserts or updates up to {max} {kind} by `{key}` through the CSV "
    "import's validation and privacy rules: a row the import would reject is rejected here, "
    "with its index; the others are written. Counts as the import reports them."
)


@api.post(
    "/members",
    auth=auth.MEMBERS,
    response={200: ImportOut, **POST_ERRORS},
    summary="Upsert members",
    description=UPSERT_DOC.format(max=f"{MAX_BATCH:,}", kind="members", key="member_id")
    + " A new member enters the welcome journey at the next tick.",
    tags=["members"],
)
def post_members(request: HttpRequest, payload: MembersIn):
    return _upsert(request, "members", payload)


@api.post(
    "/items",
    auth=auth.MEMBERS,
    response={200: ImportOut, **POST_ERRORS},
    summary="Upsert items",
    description=UPSERT_DOC.format(max=f"{MAX_BATCH:,}", kind="catalogue items", key="item_id"),
    tags=["members"],
)
def post_items(request: HttpRequest, payload: ItemsIn):
    return _upsert(request, "items", payload)


@api.post(
    "/loans",
    auth=auth.MEMBERS,
    response={200: ImportOut, **POST_ERRORS},
    summary="Upsert loans",
    description=UPSERT_DOC.format(max=f"{MAX_BATCH:,}", kind="loans", key="loan_id")
    + " Send the members and items first: a loan of an unknown one is rejected.",
    tags=["members"],
)
def post_loans(request: HttpRequest, payload: LoansIn):
    return _upsert(request, "loans", payload)


@api.post(
    "/visits",
    auth=auth.MEMBERS,
    response={200: ImportOut, **POST_ERRORS},
    summary="Add visits",
    description=(
        f"Scope: `members`. Adds up to {MAX_BATCH:,} visits (a member on a day, through the "
        "gate, a check-in or the desk) through the CSV import's validation and privacy rules: "
        "a row the import would reject is rejected here, with its index; the others are "
        "written. A visit already stored (the same member, day and channel) is counted as "
        "unchanged and stored once. A visit later than the member's last activity moves it. "
        "Send the members first: a visit of an unknown one is rejected."
    ),
    tags=["members"],
)
def post_visits(request: HttpRequest, payload: VisitsIn):
    return _upsert(request, "visits", payload)


def event_answer(event, member: str, *, created: bool) -> HttpResponse:
    """An event as POST /events answers it: 201 when this request stored it, 200 when its key
    was stored before (also the answer of the fast path, api/front.py)."""
    return _json(_event_out(event, member), 201 if created else 200)


def _event_out(event, member: str) -> EventOut:
    return EventOut(
        id=event.pk, type=event.type, member=member, occurred_at=event.occurred_at.astimezone(UTC),
        properties=event.properties, key=event.key or None, received_at=event.received_at,
    )  # fmt: skip


@api.post(
    "/events",
    auth=auth.EVENTS,
    response={201: EventOut, 200: EventOut, **POST_ERRORS},
    summary="Send an event",
    description=(
        "Scope: `events`. Stores one event of a member (201). With a `key` it is stored "
        "once: the same key again answers 200 with the earlier event. A member the library "
        "does not have is 422 with the field `/member`. Journeys that start on the event's "
        "type enrol the member at the next tick."
    ),
    tags=["events"],
)
def post_event(request: HttpRequest, payload: EventIn):
    token = auth.token_of(request)

    def answer() -> HttpResponse:
        recorded = events.record_event(
            library=token.library, event=payload, operator=_operator(request)
        )
        return event_answer(recorded.event, payload.member, created=recorded.created)

    return idempotently(request, token, answer)


@api.post(
    "/events/batch",
    auth=auth.EVENTS,
    response={200: EventsOut, **POST_ERRORS},
    summary="Send events in a batch",
    description=(
        f"Scope: `events`. Up to {MAX_BATCH:,} events, each as for POST /events, checked on "
        "its own: the answer lists each event by its index as created, duplicate (its key "
        "was stored before; the earlier event's id) or rejected (with its errors). The "
        "others are stored whatever becomes of one."
    ),
    tags=["events"],
)
def post_events(request: HttpRequest, payload: EventsIn):
    token = auth.token_of(request)

    def answer() -> HttpResponse:
        outcomes = events.record_events(
            library=token.library, events=payload.events, operator=_operator(request)
        )
        counts = {status: 0 for status in ("created", "duplicate", "rejected")}
        for outcome in outcomes:
            counts[outcome.status] += 1
        return _json(
            EventsOut(
                **counts,
                results=[
                    {
                        "index": o.index,
                        "status": o.status,
                        "id": o.id,
                        "errors": [{"field": e.field, "message": e.message} for e in o.errors],
                    }
                    for o in outcomes
                ],
            )
        )

    return idempotently(request, token, answer)


@api.get(
    "/journeys",
    auth=auth.READ,
    response={200: list[JourneyOut], **ERRORS},
    summary="List journeys",
    description="Scope: `read`. The library's journeys and broadcasts, by key.",
    tags=["figures"],
)
def get_journeys(request: HttpRequest):
    return _json(figures.journeys(auth.token_of(request).library))


@api.get(
    "/journeys/{key}/figures",
    auth=auth.READ,
    response={200: JourneyFigures, 404: ProblemOut, **ERRORS},
    summary="A journey's figures",
    description=(
        "Scope: `read`. Mails sent, delivered, opened, clicked, unsubscribes and feedback, "
        "in total and per step, and the result against the held-out members, as the "
        "reports publish them: aggregates only, every count from 1 to 9 (and every figure "
        "that would give one away) null and named in `suppressed`."
    ),
    tags=["figures"],
)
def get_journey_figures(request: HttpRequest, key: str):
    return _json(figures.journey_figures(auth.token_of(request).library, key))


# Errors: every one as problem+json.


@api.exception_handler(Problem)
def _problem(request: HttpRequest, error: Problem) -> HttpResponse:
    return problem_response(error)


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, error: ValidationError) -> HttpResponse:
    errors = field_errors(error.errors)
    too_many = [
        e
        for e in error.errors
        if e.get("type") == "too_long" and tuple(e["loc"][2:]) in {("rows",), ("events",)}
    ]
    if too_many:
        return problem_response(
            Problem(
                413,
                f"A request holds at most {MAX_BATCH:,} rows or events: send the rest in "
                "another request.",
                errors=errors,
            )
        )
    return problem_response(
        Problem(422, "The request does not match the schema: see errors.", errors=errors)
    )


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, error: AuthenticationError) -> HttpResponse:
    return problem_response(
        Problem(
            401,
            "Send an active token as `Authorization: Bearer pf_…`; this request has none, or "
            "one that is unknown or revoked.",
            headers={"WWW-Authenticate": 'Bearer realm="patronflow"'},
        )
    )


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, error: HttpError) -> HttpResponse:
    if error.status_code == 400:
        return problem_response(Problem(400, "The body is not valid JSON."))
    return problem_response(Problem(error.status_code, str(error)))


@api.exception_handler(Http404)
def _not_found_error(request: HttpRequest, error: Http404) -> HttpResponse:
    return problem_response(Problem(404, "Not found."))


@api.exception_handler(Exception)
def _server_error(request: HttpRequest, error: Exception) -> HttpResponse:
    logger.exception("API request %s %s failed", request.method, request.path)
    return problem_response(Problem(500, "Something went wrong on our side; it was logged."))


def _too_long(request: HttpRequest) -> bool:
    """The body is over MAX_BODY_BYTES: by its Content-Length, or, sent in chunks without one,
    by reading at most one byte more (what was read is then the request's body)."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return True
    if length or request.method in ("GET", "HEAD"):
        return length > MAX_BODY_BYTES
    body = request.read(MAX_BODY_BYTES + 1)
    request._body = body  # Django's own cache of the body, which request.body then returns
    return len(body) > MAX_BODY_BYTES


def _problems_around(view):
    """Refuse a body over MAX_BODY_BYTES before it is read; say 404 and 405 as problems. No
    CSRF check: the API knows no cookies, only tokens."""

    @csrf_exempt
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if _too_long(request):
            return problem_response(
                Problem(413, f"A request body may be at most {MAX_BODY_BYTES:,} bytes.")
            )
        try:
            response = view(request, *args, **kwargs)
        except Http404:  # the API's root, which django-ninja leaves to Django
            return not_found(request)
        if response.status_code == 405 and response.get("Content-Type") != PROBLEM_TYPE:
            problem = problem_response(
                Problem(405, f"{request.method} is not allowed here; allowed: {response['Allow']}.")
            )
            problem["Allow"] = response["Allow"]
            return problem
        return response

    return wrapped


@csrf_exempt
def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    return problem_response(Problem(404, f"There is no {request.path} in the API."))


def urlpatterns() -> list:
    patterns, _, _ = api.urls
    for pattern in patterns:
        if isinstance(pattern, URLPattern):
            pattern.callback = _problems_around(pattern.callback)
    return [*patterns, re_path(r"^(?P<rest>.*)$", not_found, name="not-found")]
