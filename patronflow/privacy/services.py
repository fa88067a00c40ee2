"""Removing members' data — on request (erase) or when its time is up (purge) — and the audit
log that records both.

One path removes data whatever the reason: `remove_members` first adds the outcomes of the
members' sent mails to MailTally (so reports keep their counts), removes the bounces of their
addresses and keeps only the keyed hash of their suppressed addresses, then deletes every row
of every personal table (privacy/queries.py: personal_tables) in one transaction per chunk.
The purge also removes loans older than the library's loan history, erasure-register entries
the library system no longer lists, and expired audit entries.
"""

import datetime as dt
import getpass
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Exists, F, Max, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Greatest, Lower
from django.utils import timezone

from patronflow.journeys.models import MailTally
from patronflow.mail.models import Bounce, Message
from patronflow.members.models import Library, Loan, Member
from patronflow.privacy import queries
from patronflow.privacy.models import (
    AUDIT_DAYS,
    AuditEntry,
    ErasedMember,
    Suppression,
)
from patronflow.privacy.references import erasure_reference
from patronflow.profiles.queries import loan_history_start
from patronflow.tracking.models import SHOWS_OPENED, Event, Feedback

LOAN_HISTORY = "members.loan (history)"
ADDRESS_HASHED = "mail.suppression (address hashed)"

CHUNK = 500
TALLIED = (
    "sent",
    "uncertain",
    "opened",
    "human_opened",
    "clicked",
    "human_clicked",
    "unsubscribed",
    "thumbs_up",
    "thumbs_down",
)


def default_operator() -> str:
    """Who runs a command: the operating-system user, unless `--by` says otherwise."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


def record(
    action: str,
    *,
    operator: str,
    library: Library | str,
    external_id: str = "",
    counts: dict[str, int] | None = None,
    at: dt.datetime | None = None,
) -> AuditEntry:
    """Write one audit entry. `external_id` is the library's member id; only its keyed hash
    is stored. Staff views call this with "viewed" or "changed" too."""
    code = library if isinstance(library, str) else library.code
    return AuditEntry.objects.create(
        at=at or timezone.now(),
        operator=operator,
        action=action,
        library_code=code,
        member_ref=queries.member_reference(code, external_id) if external_id else "",
        counts=counts or {},
    )


def _week_of(message: Message) -> dt.date:
    day = timezone.localdate(message.sent_at) if message.sent_at else message.due_on
    return day - dt.timedelta(days=day.weekday())


def fold_into_tallies(messages) -> int:
    """Add what these sent (or perhaps sent) messages did to MailTally, the way reports count
    it: each mail once per kind of event, members' opens and clicks apart from machines', the
    latest vote. Returns the number of messages folded."""
    events = Event.objects.filter(message=OuterRef("pk"))
    outcomes = (
        messages.filter(status__in=(Message.Status.SENT, Message.Status.UNCERTAIN))
        .annotate(
            was_opened=Exists(events.filter(kind__in=SHOWS_OPENED)),
            member_opened=Exists(events.filter(kind__in=SHOWS_OPENED, machine="")),
            was_clicked=Exists(events.filter(kind=Event.Kind.CLICK)),
            member_clicked=Exists(events.filter(kind=Event.Kind.CLICK, machine="")),
            was_unsubscribed=Exists(
                Event.objects.filter(message=OuterRef("pk"), kind=Event.Kind.UNSUBSCRIBE)
            ),
            vote=F("feedback__vote"),
        )
        .only("library_id", "step_id", "variant_id", "sent_at", "due_on", "status")
    )
    tallies: dict[tuple, Counter] = {}
    folded = 0
    for message in outcomes.iterator(chunk_size=2000):
        key = (message.library_id, message.step_id, message.variant_id, _week_of(message))
        tally = tallies.setdefault(key, Counter())
        tally["sent"] += 1
        tally["uncertain"] += message.status == Message.Status.UNCERTAIN
        tally["opened"] += message.was_opened
        tally["human_opened"] += message.member_opened
        tally["clicked"] += message.was_clicked
        tally["human_clicked"] += message.member_clicked
        tally["unsubscribed"] += message.was_unsubscribed
        tally["thumbs_up"] += message.vote == Feedback.Vote.UP
        tally["thumbs_down"] += message.vote == Feedback.Vote.DOWN
        folded += 1
    for (library_id, step_id, variant_id, week), tally in tallies.items():
        _add_to_tally(
            {"library_id": library_id, "step_id": step_id, "variant_id": variant_id, "week": week},
            {name: tally[name] for name in TALLIED},
        )
    return folded


def _add_to_tally(key: dict, counts: dict[str, int]) -> None:
    increments = {name: F(name) + n for name, n in counts.items()}
    if MailTally.objects.filter(**key).update(**increments):
        return
    try:
        with transaction.atomic():
            MailTally.objects.create(**key, **counts)
    except IntegrityError:  # another removal created this week's row first
        MailTally.objects.filter(**key).update(**increments)


def _forget_addresses(member_ids: list[int], *, dry_run: bool = False) -> Counter:
    """Remove the bounces of these members' mails and addresses, and blank their addresses on
    the suppression list, which keeps the keyed hash: a bounced or complained address stays
    unmailed without being held in clear. An address another member of the library still
    has is theirs too, and stays. `dry_run`: count what would change, change nothing."""
    sent = Message.objects.filter(enrolment__member__in=member_ids)
    addresses: dict[int, set[str]] = {}
    for library_id, address in [
        *Member.objects.filter(pk__in=member_ids).values_list("library_id", "email"),
        *sent.values_list("library_id", "to_email"),
    ]:
        if address.strip():
            addresses.setdefault(library_id, set()).add(address.strip().lower())
    gone = Q(message_id__in=sent.values("pk"))
    forgotten = 0
    for library_id, used in addresses.items():
        still_used = set(
            Member.objects.filter(library_id=library_id)
            .exclude(pk__in=member_ids)
            .annotate(address=Lower("email"))
            .filter(address__in=used)
            .values_list("address", flat=True)
        )
        unused = used - still_used
        gone |= Q(library_id=library_id, email__in=unused)
        suppressed = Suppression.objects.filter(library_id=library_id, email__in=unused)
        if dry_run:
            forgotten += suppressed.count()
        else:
            forgotten += suppressed.update(email="", source_message_id=None)
    bounced = Bounce.objects.filter(gone)
    bounces = bounced.count() if dry_run else bounced.delete()[0]
    return +Counter({"mail.bounce": bounces, ADDRESS_HASHED: forgotten})


def remove_members(member_ids: Iterable[int]) -> Counter:
    """Fold the members' mail outcomes into the tallies, forget their bounced and suppressed
    addresses, then delete every row about them.

    One transaction: either a member is fully gone and counted once, or nothing happened.
    Members another process removed meanwhile are skipped, so two runs never count twice.
    Returns the rows deleted per table (model label).
    """
    removed: Counter = Counter()
    with transaction.atomic():
        still_here = list(
            Member.objects.select_for_update()
            .filter(pk__in=list(member_ids))
            .values_list("pk", flat=True)
        )
        if not still_here:
            return removed
        fold_into_tallies(Message.objects.filter(enrolment__member__in=still_here))
        removed.update(_forget_addresses(still_here))
        for model, path in queries.removal_order():
            lookup = "pk__in" if path == "pk" else f"{path}__in"
            _, per_model = model._default_manager.filter(**{lookup: still_here}).delete()
            removed.update({label.lower(): n for label, n in per_model.items() if n})
    return removed


def erase_member(member: Member, operator: str, today: dt.date | None = None) -> Counter:
    """The right to erasure: everything about one member goes, and the log says so. The
    erasure register remembers the member (as a keyed hash) so that the library system's
    next export does not bring them back."""
    library, external_id = member.library, member.external_id
    today = today or timezone.localdate()
    with transaction.atomic():
        removed = remove_members([member.pk])
        ErasedMember.objects.update_or_create(
            library=library,
            member_ref=erasure_reference(library.code, external_id),
            defaults={"erased_on": today, "last_listed_on": today},
        )
        record(
            AuditEntry.Action.ERASED,
            operator=operator,
            library=library,
            external_id=external_id,
            counts=dict(removed),
        )
    return removed


def export_member(member: Member, operator: str) -> dict:
    """The right of access: everything held about one member, logged as exported."""
    export = queries.member_export(member)
    record(
        AuditEntry.Action.EXPORTED,
        operator=operator,
        library=member.library,
        external_id=member.external_id,
        counts=queries.export_counts(export),
    )
    return export


@dataclass
class PurgeSummary:
    """What a purge removed (or, in a dry run, would remove), per library and table."""

    dry_run: bool
    libraries: dict[str, Counter] = field(default_factory=dict)

    def rows(self, code: str) -> Counter:
        return self.libraries.setdefault(code, Counter())

    @property
    def total(self) -> Counter:
        total: Counter = Counter()
        for counts in self.libraries.values():
            total.update(counts)
        return total


def purge(
    today: dt.date,
    *,
    operator: str,
    library: Library | None = None,
    dry_run: bool = False,
    now: dt.datetime | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> PurgeSummary:
    """Remove ex-members past their library's retention period, loans older than its loan
    history, erasure-register entries no longer listed, and audit entries past their period.
    Safe to run daily, twice, or twice at once: what is gone is not found again.
    `on_progress(done, total)` follows the members removed."""
    now = now or timezone.now()
    libraries = [library] if library else list(Library.objects.order_by("code"))
    summary = PurgeSummary(dry_run=dry_run)
    due = {lib.code: queries.expired_members(lib, today) for lib in libraries}
    total = sum(members.count() for members in due.values())
    done = 0
    if on_progress:
        on_progress(done, total)
    for lib in libraries:
        counts = summary.rows(lib.code)
        members = due[lib.code]
        if dry_run:
            counts.update(queries.rows_per_table(members.values("pk")))
            counts.update(
                _forget_addresses(list(members.values_list("pk", flat=True)), dry_run=True)
            )
        else:
            ids = list(members.order_by("pk").values_list("pk", flat=True))
            for start in range(0, len(ids), CHUNK):
                chunk = ids[start : start + CHUNK]
                counts.update(remove_members(chunk))
                done += len(chunk)
                if on_progress:
                    on_progress(done, total)
        counts[LOAN_HISTORY] += remove_loan_history(lib, today, dry_run=dry_run)
        counts["privacy.erasedmember"] += _expire_erasures(lib, today, dry_run)
        cutoff = _start_of(today - dt.timedelta(days=queries.retention_of(lib).audit_days))
        counts["privacy.auditentry"] += _expire_audit(lib.code, cutoff, dry_run)
    if library is None:
        # Entries about libraries that no longer exist expire after the default period.
        cutoff = _start_of(today - dt.timedelta(days=AUDIT_DAYS))
        orphans = (
            AuditEntry.objects.filter(at__lt=cutoff)
            .exclude(library_code__in=[lib.code for lib in libraries])
            .order_by()
            .values_list("library_code", flat=True)
            .distinct()
        )
        for code in list(orphans):
            summary.rows(code)["privacy.auditentry"] += _expire_audit(code, cutoff, dry_run)
    if not dry_run:
        for code, counts in summary.libraries.items():
            if +counts:
                record(
                    AuditEntry.Action.PURGED,
                    operator=operator,
                    library=code,
                    counts=dict(+counts),
                    at=now,
                )
    return summary


def remove_loan_history(library: Library, today: dt.date, *, dry_run: bool = False) -> int:
    """Delete the library's loans dated before its loan history
    (profiles.queries.loan_history_start); returns how many. Each member keeps only the day
    of their latest removed loan, so that "no loan for N days" reads the same as before.
    Nothing a reading profile counts, or a later refresh would count, is removed."""
    start = loan_history_start(library, today)
    old = Loan.objects.filter(library=library, loaned_on__lt=start)
    if dry_run:
        return old.count()
    with transaction.atomic():
        latest = Subquery(
            old.filter(member=OuterRef("pk"))
            .order_by()
            .values("member")
            .annotate(latest=Max("loaned_on"))
            .values("latest")
        )
        Member.objects.filter(library=library).filter(
            Exists(old.filter(member=OuterRef("pk")))
        ).update(
            loans_removed_through=Greatest(Coalesce(F("loans_removed_through"), latest), latest)
        )
        removed, _ = old.delete()
    return removed


def _expire_erasures(library: Library, today: dt.date, dry_run: bool) -> int:
    """Register entries of members the library system has not listed for the ex-member
    retention period: their membership has ended there too, so nothing can bring them back."""
    cutoff = today - dt.timedelta(days=queries.retention_of(library).ex_member_days)
    expired = ErasedMember.objects.filter(library=library, last_listed_on__lt=cutoff)
    if dry_run:
        return expired.count()
    removed, _ = expired.delete()
    return removed


def _expire_audit(library_code: str, cutoff: dt.datetime, dry_run: bool) -> int:
    entries = AuditEntry.objects.filter(library_code=library_code)
    if dry_run:
        return entries.filter(at__lt=cutoff).count()
    return entries.expire_before(cutoff)


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))
