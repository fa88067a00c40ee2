"""What a token with the `read` scope may see: the library's journeys and their figures, as
the reports publish them (reports/published.py): aggregates only, every count from 1 to 9 and
every figure that would give one away withheld (null, and named in `suppressed`)."""

import datetime as dt

from django.utils import timezone

from patronflow.api.problems import Problem
from patronflow.api.schemas import Figures, JourneyFigures, JourneyOut, Result, StepFigures
from patronflow.journeys.models import Journey
from patronflow.members.models import Library
from patronflow.reports.exports import result_rows
from patronflow.reports.outcomes import effect_by_journey
from patronflow.reports.published import (
    PublishedRow,
    json_ready,
    published_campaign,
    published_effects,
)


def journeys(library: Library) -> list[JourneyOut]:
    rows = Journey.objects.filter(library=library).select_related("mailing_list").order_by("key")
    return [
        JourneyOut(
            key=journey.key,
            name=journey.name,
            kind=journey.kind,
            status=journey.status,
            list=journey.mailing_list.key,
        )
        for journey in rows
    ]


def journey_figures(library: Library, key: str, as_of: dt.date | None = None) -> JourneyFigures:
    """One journey's figures; Problem(404) when the library has no journey with this key."""
    journey = Journey.objects.filter(library=library, key=key).first()
    if journey is None:
        raise Problem(404, "This library has no journey with this key.")
    as_of = as_of or timezone.localdate()
    campaign = published_campaign(library)
    totals = [row for row in campaign.journeys if row.journey == key]
    steps = [row for row in campaign.steps if row.journey == key]
    results = [
        row
        for row in result_rows_of(library, as_of)
        if row["journey"] == key and row["kind"] == journey.kind
    ]
    return JourneyFigures(
        journey=key,
        name=journey.name,
        as_of=as_of,
        totals=Figures(**_figures(totals[0])) if totals else None,
        steps=[
            StepFigures(step=row.step, step_name=row.step_name, **_figures(row)) for row in steps
        ],
        result=Result(**_result(results[0])) if results else None,
    )


def result_rows_of(library: Library, as_of: dt.date) -> list[dict]:
    return result_rows(published_effects(effect_by_journey(library, as_of)))


def _figures(row: PublishedRow) -> dict:
    values = json_ready(row.as_row())
    names = [name for name in Figures.model_fields if name != "suppressed"]
    return {name: values.get(name) for name in names} | {
        "suppressed": [name for name in values["suppressed"] if name in names]
    }


def _result(row: dict) -> dict:
    values = json_ready(row)
    names = [name for name in Result.model_fields if name != "suppressed"]
    return {name: values.get(name) for name in names} | {
        "suppressed": [name for name in values["suppressed"] if name in names]
    }
