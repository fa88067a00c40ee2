"""Members' events as the library's systems send them: one at a time, or a batch resolved in
one query and written in one bulk insert. An event's `key` (the sender's own id) makes it
once-only: sent again, the earlier event is the answer and no second row is written.

Events are stored whether or not the member may be mailed: the journeys apply the privacy
rules when a member would enter (journeys/queries.py)."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from pydantic import ValidationError

from patronflow.api.problems import FieldError, Problem, field_errors, pointer
from patronflow.api.schemas import EventIn
from patronflow.members.models import Library, Member, MemberEvent
from patronflow.privacy.audit import record
from patronflow.privacy.models import AuditEntry

TABLE = "members.memberevent"  # as the audit log counts rows
UNKNOWN_MEMBER = "unknown member: no member of this library has this id"


@dataclass(frozen=True)
class Recorded:
    event: MemberEvent
    created: bool  # False: an event with its key was already there


def record_event(*, library: Library, event: EventIn, operator: str) -> Recorded:
    """Store one event; Problem(422) at /member when the library has no such member."""
    member_id = (
        Member.objects.filter(library=library, external_id=event.member)
        .values_list("pk", flat=True)
        .first()
    )
    if member_id is None:
        raise Problem(
            422,
            "The event names a member this library does not have.",
            errors=[FieldError("/member", UNKNOWN_MEMBER)],
        )
    row = MemberEvent(
        library=library, member_id=member_id, type=event.type, occurred_at=event.occurred_at,
        properties=event.properties, key=event.key or "", received_at=timezone.now(),
    )  # fmt: skip
    try:
        with transaction.atomic():
            row.save(force_insert=True)
            record(
                AuditEntry.Action.CHANGED, operator=operator, library=library,
                counts={TABLE: 1}, at=row.received_at,
            )  # fmt: skip
    except IntegrityError:
        earlier = MemberEvent.objects.filter(library=library, key=row.key).first()
        if not row.key or earlier is None:
            raise
        return Recorded(earlier, created=False)
    return Recorded(row, created=True)


@dataclass(frozen=True)
class Outcome:
    """What became of one event of a batch, by its place in the request."""

    index: int
    status: str  # created, duplicate or rejected
    id: int | None = None
    errors: tuple[FieldError, ...] = ()


def record_events(
    *, library: Library, events: Sequence[Mapping[str, Any]], operator: str
) -> list[Outcome]:
    """Store a batch: each event checked on its own (a bad one is rejected with its index,
    the others go in), members resolved in one query, new events written in one bulk insert."""
    now = timezone.now()
    outcomes: dict[int, Outcome] = {}
    valid: dict[int, EventIn] = {}
    for index, raw in enumerate(events):
        try:
            valid[index] = EventIn.model_validate(raw)
        except ValidationError as error:
            errors = field_errors([{**e, "loc": ("body", "x", *e["loc"])} for e in error.errors()])
            outcomes[index] = _rejected(index, errors)
    members = dict(
        Member.objects.filter(
            library=library, external_id__in={event.member for event in valid.values()}
        ).values_list("external_id", "pk")
    )
    keys = {event.key for event in valid.values() if event.key}
    earlier = dict(
        MemberEvent.objects.filter(library=library, key__in=keys).values_list("key", "pk")
    )
    unkeyed: list[tuple[int, MemberEvent]] = []
    keyed: dict[str, tuple[int, MemberEvent]] = {}
    for index, event in valid.items():
        if event.member not in members:
            outcomes[index] = _rejected(index, [FieldError("/member", UNKNOWN_MEMBER)])
            continue
        if event.key and event.key in earlier:
            outcomes[index] = Outcome(index, "duplicate", earlier[event.key])
            continue
        if event.key and event.key in keyed:
            continue  # the same key twice in one batch: the first is stored, see below
        row = MemberEvent(
            library=library, member_id=members[event.member], type=event.type,
            occurred_at=event.occurred_at, properties=event.properties, key=event.key or "",
            received_at=now,
        )  # fmt: skip
        if event.key:
            keyed[event.key] = (index, row)
        else:
            unkeyed.append((index, row))
    with transaction.atomic():
        MemberEvent.objects.bulk_create([row for _, row in unkeyed])
        # A concurrent request may store one of these keys first: its row then stands.
        MemberEvent.objects.bulk_create([row for _, row in keyed.values()], ignore_conflicts=True)
        stored = {
            key: (pk, received_at)
            for key, pk, received_at in MemberEvent.objects.filter(
                library=library, key__in=list(keyed)
            ).values_list("key", "pk", "received_at")
        }
        created = len(unkeyed) + sum(at == now for _, at in stored.values())
        if created:
            record(
                AuditEntry.Action.CHANGED, operator=operator, library=library,
                counts={TABLE: created}, at=now,
            )  # fmt: skip
    for index, row in unkeyed:
        outcomes[index] = Outcome(index, "created", row.pk)
    for key, (index, _) in keyed.items():
        pk, received_at = stored[key]
        outcomes[index] = Outcome(index, "created" if received_at == now else "duplicate", pk)
    for index, event in valid.items():
        if index not in outcomes:  # a repeat of a key earlier in the batch
            outcomes[index] = Outcome(index, "duplicate", stored[event.key][0])
    return [outcomes[index] for index in range(len(events))]


def _rejected(index: int, errors: Sequence[FieldError]) -> Outcome:
    return Outcome(
        index,
        "rejected",
        errors=tuple(FieldError(pointer(["events", index]) + e.field, e.message) for e in errors),
    )
