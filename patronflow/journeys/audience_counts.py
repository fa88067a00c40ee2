"""How many members an audience holds today, how many of them may be mailed, and both per
reading segment: the figures a marketer watches while building an audience.

One grouped query answers all of it: the audience's filter once, grouped by the member's
reading segment (none yet counts as `unknown`, as the entry does), with the mailable rule of
privacy/rules.py as a filtered count beside the plain one. The rule is given the library, so
that its suppression list is read once rather than looked up per member, and the database
can count in parallel; "a loan since …" reads the member's own latest loan day
(members/latest_loans.py).
"""

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Count, QuerySet, Value
from django.db.models.functions import Coalesce

from patronflow.choices.models import MailingList
from patronflow.choices.queries import receives_condition
from patronflow.journeys.audiences import audience
from patronflow.members.models import Library
from patronflow.privacy.rules import mailable_condition
from patronflow.profiles.models import Segment


@dataclass(frozen=True)
class SegmentCount:
    segment: str
    members: int
    mailable: int


@dataclass(frozen=True)
class AudienceCount:
    members: int
    mailable: int
    by_segment: list[SegmentCount]


def counts_per_segment(
    library: Library,
    conditions: dict,
    today: dt.date,
    mailing_list: MailingList | None = None,
) -> QuerySet:
    """The one query: rows of reading segment, members and mailable (segments with none
    left out). With the list a journey goes out on, mailable also means still receiving it:
    who left it is not mailed by the journey."""
    mailable = mailable_condition(today, library=library)
    if mailing_list is not None:
        mailable &= receives_condition(mailing_list)
    return (
        audience(library, conditions, today)
        .annotate(reading=Coalesce("reading_profile__segment", Value(Segment.UNKNOWN)))
        .values("reading")
        .annotate(
            members=Count("pk"),
            mailable=Count("pk", filter=mailable),
        )
        .order_by()
    )


@contextmanager
def _without_jit() -> Iterator[None]:
    """PostgreSQL compiles a query it expects to be costly (JIT), which takes longer than the
    one pass over the library's members that a count is; not for this query, within the
    transaction the caller opened."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        try:
            yield
        finally:
            cursor.execute("SET LOCAL jit TO DEFAULT")


def audience_count(
    library: Library,
    conditions: dict,
    today: dt.date,
    mailing_list: MailingList | None = None,
) -> AudienceCount:
    """Members of the library who meet the conditions today, of whom mailable (on the list,
    when given), and both per reading segment in the segments' own order (every segment
    listed, also with none)."""
    query = counts_per_segment(library, conditions, today, mailing_list)
    with transaction.atomic(), _without_jit():
        found = {row["reading"]: row for row in query}
    by_segment = [
        SegmentCount(
            segment=segment,
            members=found.get(segment, {}).get("members", 0),
            mailable=found.get(segment, {}).get("mailable", 0),
        )
        for segment in Segment.values
    ]
    return AudienceCount(
        members=sum(row.members for row in by_segment),
        mailable=sum(row.mailable for row in by_segment),
        by_segment=by_segment,
    )
