"""The daily purge: ex-members past their library's retention period, loans older than its
loan history, erasure-register entries the library system no longer lists, audit entries
past their period, and imports' rejected rows after their 30 days (docs/privacy.md). Safe to
run daily, twice, or twice at once. What the removed loans and ex-members added to the
libraries' activity counts stays there, as kept (members/activity.py)."""

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from django.apps import apps
from django.db import transaction
from django.db.models import Exists, F, Max, Min, OuterRef, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from patronflow.choices.signup import prune_attempts
from patronflow.journeys.models import Enrolment
from patronflow.members.activity import keeping
from patronflow.members.models import Library, Loan, Member, MemberEvent, Visit
from patronflow.operations.contacts import expire_contacts
from patronflow.operations.erasure import forget_addresses, remove_members
from patronflow.operations.import_history import REJECTS_TABLE, expire_rejects, rejects_cutoff
from patronflow.operations.personal_data import rows_per_table
from patronflow.privacy import queries
from patronflow.privacy.audit import record
from patronflow.privacy.models import AUDIT_DAYS, AuditEntry, ErasedMember
from patronflow.profiles.queries import loan_history_start
from patronflow.surveys.services import VOLUNTEERS_TABLE, expire_volunteers

LOAN_HISTORY = "members.loan (history)"
VISIT_HISTORY = "members.visit (history)"
CHUNK = 500
# Members' events (e.g. activity registrations) are kept this long after they arrived — a
# year and a season, so the reports can compare an activity with last year's — and longer
# only while a journey still runs on one.
MEMBER_EVENT_DAYS = 400
MEMBER_EVENTS = "members.memberevent"


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
            counts.update(rows_per_table(members.values("pk")))
            counts.update(
                forget_addresses(list(members.values_list("pk", flat=True)), dry_run=True)
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
        counts[VISIT_HISTORY] += remove_visit_history(lib, today, dry_run=dry_run)
        counts[MEMBER_EVENTS] += remove_old_events(lib, today, dry_run=dry_run)
        counts["privacy.erasedmember"] += _expire_erasures(lib, today, dry_run)
        kept_from = _start_of(rejects_cutoff(today))
        counts[REJECTS_TABLE] += expire_rejects(lib, kept_from, dry_run=dry_run)
        cutoff = _start_of(today - dt.timedelta(days=queries.retention_of(lib).audit_days))
        counts["privacy.auditentry"] += _expire_audit(lib.code, cutoff, dry_run)
        counts[VOLUNTEERS_TABLE] += expire_volunteers(library=lib, today=today, dry_run=dry_run)
        # Sign-ups nobody confirmed in time and contacts who left (docs/lists-and-signup.md).
        counts.update(expire_contacts(lib, today, dry_run=dry_run))
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
        prune_attempts(now)
        forget_expired_records(now)
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


def forget_expired_records(now: dt.datetime) -> None:
    """Records that expire by age alone, kept by stages above this one — the API's kept answers
    and request counts, the webhooks' deliveries. The purge cannot import those stages, so
    each names a `forget_expired(now)` on its AppConfig, and the purge calls every one."""
    for config in apps.get_app_configs():
        forget = getattr(config, "forget_expired", None)
        if forget is not None:
            forget(now)


def remove_loan_history(library: Library, today: dt.date, *, dry_run: bool = False) -> int:
    """Delete the library's loans dated before its loan history
    (profiles.queries.loan_history_start); returns how many. Each member keeps only the day
    of their latest removed loan, so that "no loan for N days" reads the same as before.
    Nothing a reading profile counts, or a later refresh would count, is removed. Their days
    stay in the library's activity counts, as kept."""
    start = loan_history_start(library, today)
    old = Loan.objects.filter(library=library, loaned_on__lt=start)
    if dry_run:
        return old.count()
    first = old.aggregate(first=Min("loaned_on"))["first"]
    if first is None:
        return 0
    last = start - dt.timedelta(days=1)
    with transaction.atomic(), keeping(library=library.pk, first=first, last=last):
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


def remove_visit_history(library: Library, today: dt.date, *, dry_run: bool = False) -> int:
    """Delete the library's visits dated before its loan history, as its loans: the same
    span of a member's comings and goings is kept. Their days stay in the library's activity
    counts, as kept; the member's last activity day stays as it was."""
    start = loan_history_start(library, today)
    old = Visit.objects.filter(library=library, visited_on__lt=start)
    if dry_run:
        return old.count()
    first = old.aggregate(first=Min("visited_on"))["first"]
    if first is None:
        return 0
    with keeping(library=library.pk, first=first, last=start - dt.timedelta(days=1)):
        removed, _ = old.delete()
    return removed


def remove_old_events(library: Library, today: dt.date, *, dry_run: bool = False) -> int:
    """Delete the library's members' events that arrived more than MEMBER_EVENT_DAYS ago
    and that no running enrolment is on; returns how many. The finished enrolments stay
    (their mails are history), without their event."""
    running = Enrolment.objects.filter(event=OuterRef("pk"), status=Enrolment.Status.ACTIVE)
    old = MemberEvent.objects.filter(
        library=library, received_at__lt=_start_of(today - dt.timedelta(days=MEMBER_EVENT_DAYS))
    ).exclude(Exists(running))
    if dry_run:
        return old.count()
    removed = 0
    while ids := list(old.order_by("pk").values_list("pk", flat=True)[:CHUNK]):
        with transaction.atomic():
            removed += MemberEvent.objects.filter(pk__in=ids).exclude(Exists(running)).delete()[0]
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
