"""The sync: upsert the members a library system's connector reports changed (through the
import flow, operations/imports.py) and end the memberships it reports ended. Members are never
deleted: an ended membership keeps the member out of every journey, and the privacy purge
removes the data after the retention period.
"""

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date

from django.db.models import Q
from django.utils import timezone

from patronflow.members.connectors.base import Connector
from patronflow.members.import_summary import ImportSummary
from patronflow.members.imports import SourceRow
from patronflow.members.models import Library, Member
from patronflow.operations.imports import import_and_refresh

BATCH_SIZE = 1000


@dataclass
class EndedMemberships:
    ended: int = 0  # membership_ends_on set to the sync's day
    already_ended: int = 0  # had ended on or before that day: left as it was
    unknown: int = 0  # ids patronflow has no member for (never imported)


@dataclass
class SyncSummary:
    source: str
    since: date
    members: ImportSummary
    ended: EndedMemberships


def sync_members(library: Library, connector: Connector, since: date, today: date) -> SyncSummary:
    """Changed members first, then ended ones, so a member changed and then ended within the
    window ends up ended. Rejected rows are numbered by their position in the feed."""
    rows = (
        SourceRow(row, position)
        for position, row in enumerate(connector.changed_members(since), start=1)
    )
    members = import_and_refresh(
        library,
        "members",
        rows,
        source=connector.source,
        today=today,
        actor=f"connector:{connector.source}",
    ).summary
    ended = end_memberships(library, connector.ended_members(since), today)
    return SyncSummary(connector.source, since, members, ended)


def end_memberships(library: Library, member_ids: Iterable[str], on: date) -> EndedMemberships:
    """End the membership of these members on `on`, unless it already ended earlier. Running it
    again with the same ids changes nothing."""
    result = EndedMemberships()
    fresh = _distinct(member_ids)
    while batch := list(itertools.islice(fresh, BATCH_SIZE)):
        members = Member.objects.filter(library=library, external_id__in=batch)
        known = members.count()
        ended = members.filter(
            Q(membership_ends_on__isnull=True) | Q(membership_ends_on__gt=on)
        ).update(membership_ends_on=on, updated_at=timezone.now())
        result.ended += ended
        result.already_ended += known - ended
        result.unknown += len(batch) - known
    return result


def _distinct(values: Iterable[str]) -> Iterator[str]:
    seen: set[str] = set()
    for value in values:
        if value not in seen:
            seen.add(value)
            yield value
