"""The shapes of the API's requests and answers, as the OpenAPI schema publishes them. Rows of
members, items and loans carry the CSV import's column names (docs/import-format.md); their
values are checked by the import itself, so that the API and the file accept the same."""

import datetime as dt
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import (
    AfterValidator,
    AwareDatetime,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    WithJsonSchema,
)

from patronflow.members.models import EVENT_PROPERTY_NAME, MOMENT_YEARS

# At most this many rows (members, items, loans) or events in one request.
MAX_BATCH = 1_000
# An event's properties: at most this many, names like identifiers (usable in a mail as
# {{ event.name }}), text values of at most PROPERTY_TEXT characters.
MAX_PROPERTIES = 30
PROPERTY_NAME = EVENT_PROPERTY_NAME
PROPERTY_TEXT = 1_000
EVENT_TYPE = r"^[a-z0-9_]+(\.[a-z0-9_]+)*$"
# No text may hold a NUL character: no database column can keep one.
NO_NUL = r"^[^\x00]*$"


class Strict(Schema):
    model_config = ConfigDict(extra="forbid")


Text = Annotated[str, StringConstraints(strict=True, max_length=PROPERTY_TEXT, pattern=NO_NUL)]
Number = Annotated[float, Field(strict=True, allow_inf_nan=False)]
PropertyValue = Annotated[int, Field(strict=True)] | Number | StrictBool | Text
PropertyName = Annotated[str, StringConstraints(pattern=PROPERTY_NAME)]
MemberId = Annotated[
    str, StringConstraints(strict=True, min_length=1, max_length=64, pattern=NO_NUL)
]
EventKey = Annotated[
    str, StringConstraints(strict=True, min_length=1, max_length=100, pattern=NO_NUL)
]


def _within_the_years(moment: dt.datetime) -> dt.datetime:
    """An event's moment lies in MOMENT_YEARS, as the journeys read it."""
    if moment.year not in MOMENT_YEARS:
        first, last = MOMENT_YEARS[0], MOMENT_YEARS[-1]
        raise ValueError(f"a moment between the years {first} and {last}")
    return moment


Moment = Annotated[AwareDatetime, AfterValidator(_within_the_years)]


class EventIn(Strict):
    """Something that happened to a member, e.g. a registration for an activity."""

    type: Annotated[str, StringConstraints(strict=True, max_length=100, pattern=EVENT_TYPE)] = (
        Field(description="Lower-case words joined by dots.", examples=["activity.registered"])
    )
    member: MemberId = Field(
        description="The library's own member id (member_id in the import).",
        examples=["100234"],
    )
    occurred_at: Moment = Field(
        description="When it happened: ISO 8601 with a time zone.",
        examples=["2026-12-06T14:30:00+01:00"],
    )
    properties: dict[PropertyName, PropertyValue] = Field(
        default_factory=dict,
        max_length=MAX_PROPERTIES,
        description=(
            "A flat object of strings, numbers and booleans (a date or time as an ISO 8601 "
            f"string); at most {MAX_PROPERTIES} names, text values of at most "
            f"{PROPERTY_TEXT:,} characters."
        ),
        examples=[{"name": "Voorleesuur", "starts_at": "2026-12-12T10:00:00+01:00"}],
    )
    key: EventKey | None = Field(
        default=None,
        description="Your own id for the event: sent again, it is stored once.",
        examples=["registration-88121"],
    )


class EventOut(Schema):
    id: int
    type: str
    member: str
    occurred_at: dt.datetime
    properties: dict[str, Any]
    key: str | None
    received_at: dt.datetime


class EventsIn(Strict):
    # Each event is checked on its own (api/events.py), so that one bad event is rejected
    # alone; the schema shows what each must be.
    events: list[Annotated[dict[str, Any], WithJsonSchema(EventIn.model_json_schema())]] = Field(
        max_length=MAX_BATCH,
        description=f"At most {MAX_BATCH:,} events, each as for POST /events.",
    )


class FieldErrorOut(Schema):
    field: str = Field(description="A JSON pointer into the request body, e.g. /rows/3/email.")
    message: str


class EventResult(Schema):
    index: int = Field(description="The event's place in the request, from 0.")
    status: Literal["created", "duplicate", "rejected"]
    id: int | None = Field(description="The stored event (for a duplicate: the earlier one).")
    errors: list[FieldErrorOut]


class EventsOut(Schema):
    created: int
    duplicate: int
    rejected: int
    results: list[EventResult]


Cell = Annotated[str, StringConstraints(strict=True, pattern=NO_NUL)] | None
YesNo = StrictBool | Cell
Key = Annotated[str, StringConstraints(strict=True, pattern=NO_NUL)]


class MemberRow(Strict):
    member_id: Key
    first_name: Cell = None
    last_name: Cell = None
    email: Cell = None
    birth_date: Cell = None
    registered_on: Cell = None
    last_activity_on: Cell = None
    online_profile: YesNo = None
    membership_ends_on: Cell = None


class ItemRow(Strict):
    item_id: Key
    title: Cell = None
    author: Cell = None
    isbn: Cell = None
    material: Cell = None
    siso: Cell = None
    nur: Cell = None
    genre: Cell = None
    fiction: YesNo = None
    literary_form: Cell = None
    thema: Cell = None


class LoanRow(Strict):
    loan_id: Key
    member_id: Cell = None
    item_id: Cell = None
    loaned_on: Cell = None


class VisitRow(Strict):
    member_id: Key
    visited_on: Cell = None
    channel: Cell = Field(
        default=None,
        description="gate, checkin or desk (the import's words for them too); empty: gate.",
    )


ROWS_DESCRIPTION = (
    f"At most {MAX_BATCH:,} rows, with the CSV import's column names and values "
    "(docs/import-format.md). A field that no row has is left alone on existing records; "
    "a field missing from one row, or null, is an empty cell."
)


class MembersIn(Strict):
    rows: list[MemberRow] = Field(max_length=MAX_BATCH, description=ROWS_DESCRIPTION)


class ItemsIn(Strict):
    rows: list[ItemRow] = Field(max_length=MAX_BATCH, description=ROWS_DESCRIPTION)


class LoansIn(Strict):
    rows: list[LoanRow] = Field(max_length=MAX_BATCH, description=ROWS_DESCRIPTION)


class VisitsIn(Strict):
    rows: list[VisitRow] = Field(max_length=MAX_BATCH, description=ROWS_DESCRIPTION)


class RowRejection(Schema):
    index: int = Field(description="The row's place in the request, from 0.")
    reason: str
    errors: list[FieldErrorOut]


class ImportOut(Schema):
    kind: Literal["members", "items", "loans", "visits"]
    rows: int
    inserted: int
    updated: int
    unchanged: int
    rejected: int
    repeated: int = Field(
        description="Rows whose id (a visit: member, day and channel) an earlier row had; "
        "the last one counts."
    )
    skipped: dict[str, int] = Field(
        description="Rows kept out by the privacy rules, per reason (erased members, old loans)."
    )
    rejections: list[RowRejection]
    profiles_recomputed: int | None


class JourneyOut(Schema):
    key: str
    name: str
    kind: Literal["journey", "broadcast"]
    status: Literal["draft", "active", "paused", "archived"]
    list: str = Field(description="The key of the list (topic) its mails go out on.")


class Figures(Schema):
    """Counts and rates as the reports publish them: a count from 1 to 9, or a figure that
    would give one away, is null and named in `suppressed`."""

    sent: int | None
    delivered: int | None
    bounced: int | None
    opened: int | None
    clicked: int | None
    unsubscribed: int | None
    thumbs_up: int | None
    thumbs_down: int | None
    open_rate: float | None
    click_rate: float | None
    unsubscribe_rate: float | None
    suppressed: list[str]


class StepFigures(Figures):
    step: int
    step_name: str


class Result(Schema):
    """Did it work: mailed against held-out members, as the results page shows it."""

    verdict: str
    enrolments: int | None
    held_out_enrolments: int | None
    measure: str | None
    mailed: float | None
    held_out: float | None
    lift: float | None
    p_value: float | None
    suppressed: list[str]


class JourneyFigures(Schema):
    journey: str
    name: str
    as_of: dt.date
    totals: Figures | None
    steps: list[StepFigures]
    result: Result | None


class ProblemOut(Schema):
    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldErrorOut] | None = None
