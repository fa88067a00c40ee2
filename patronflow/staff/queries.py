"""Reads of the staff application: what the screens show, always for one library."""

import datetime as dt
import re
from dataclasses import dataclass, replace

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext

from patronflow.journeys.models import Journey, Step, Variant
from patronflow.journeys.queries import JourneyRow, journeys_overview
from patronflow.mail.models import Message
from patronflow.members.models import Library, Member
from patronflow.operations.import_history import (
    LATEST_LOAN_STALE_DAYS,
    LOANS_IMPORT_STALE_DAYS,
    LoansFreshness,
    loans_freshness,
)
from patronflow.profiles.models import Segment
from patronflow.reports.benchmark import cross_library_benchmark
from patronflow.reports.exports import Report, build_report
from patronflow.reports.period import Period
from patronflow.reports.published import published_campaign
from patronflow.reports.suppression import Figure, Withheld, is_small
from patronflow.staff.models import StaffProfile
from patronflow.tracking.models import Feedback

SAMPLES_PER_SEGMENT = 3
LOOKUP_LIMIT = 20


@dataclass(frozen=True)
class JourneyCard:
    """A journey on the dashboard: its overview row, its id and what its mails did — the
    report's own counts as published (reports.published): members' opens and clicks, a count
    under 10 withheld."""

    pk: int
    row: JourneyRow
    sent: Figure
    opened: Figure
    clicked: Figure
    unsubscribed: Figure


def dashboard(library: Library) -> list[JourneyCard]:
    ids = dict(library.journeys.values_list("key", "pk"))
    totals = {total.journey: total for total in published_campaign(library).journeys}
    cards = []
    for row in journeys_overview(library):
        total = totals.get(row.key)
        cards.append(
            JourneyCard(
                pk=ids[row.key],
                row=row,
                sent=total.sent if total else 0,
                opened=total.member_opened if total else 0,
                clicked=total.member_clicked if total else 0,
                unsubscribed=total.unsubscribed if total else 0,
            )
        )
    return cards


def warnings(library: Library) -> list[str]:
    """What a marketer must know before anything else, in their language."""
    found = []
    if library.sending_paused_at:
        found.append(
            gettext("Sending is paused for this library: %(reason)s")
            % {"reason": library.sending_paused_reason or "-"}
        )
    if not library.sender_email:
        found.append(gettext("No sender address is set: no mail can leave."))
    paused = library.journeys.filter(status=Journey.Status.PAUSED)
    for name, reason in paused.values_list("name", "pause_reason"):
        if reason:
            found.append(
                gettext("patronflow paused the journey %(name)s: %(reason)s")
                % {"name": name, "reason": reason}
            )
        else:
            found.append(gettext("The journey %(name)s is paused.") % {"name": name})
    return found + loans_warnings(loans_of(library))


def loans_of(library: Library) -> LoansFreshness:
    """The latest loans import and the newest loan, as the dashboard shows them."""
    return loans_freshness(library, today())


def loans_warnings(loans: LoansFreshness) -> list[str]:
    """Journeys decide on who borrowed: loans that stopped coming are worth a warning."""
    if loans.latest_import is None and loans.latest_loan_on is None:
        return [gettext("No loans are imported yet: the journeys cannot see who borrows.")]
    found = []
    if loans.import_stale:
        found.append(
            gettext(
                "The loans look stale: no loans were imported in the last %(days)s days. "
                "Check the nightly loans import."
            )
            % {"days": LOANS_IMPORT_STALE_DAYS}
        )
    if loans.loans_stale and loans.latest_loan_on is not None:
        found.append(
            gettext(
                "The loans look stale: the newest loan is of %(day)s, more than %(days)s days "
                "ago. Check that the loans export of the library system is complete."
            )
            % {"day": date_format(loans.latest_loan_on), "days": LATEST_LOAN_STALE_DAYS}
        )
    return found


def steps_of(journey: Journey) -> list[Step]:
    return list(journey.current_version.steps.order_by("position").prefetch_related("variants"))


# How the sender records a mail that failed on its template (mail/services.py).
TEMPLATE_FAILURE = "template: "


@dataclass(frozen=True)
class TemplateFailures:
    """A step's mails that could not be made from their template: how many, and the latest
    reason (which names no member: mail/rendering.py)."""

    count: int
    latest: str


def template_failures(journey: Journey) -> dict[int, TemplateFailures]:
    """Per step position, the journey's mails that failed on their template, over all its
    versions (members finish the version they entered)."""
    failed = Message.objects.filter(
        step__version__journey=journey,
        status=Message.Status.FAILED,
        last_error__startswith=TEMPLATE_FAILURE,
    )
    counts = failed.values_list("step__position").annotate(count=Count("id")).order_by()
    found = {}
    for position, count in counts:
        latest = (
            failed.filter(step__position=position)
            .order_by("-claimed_at", "-id")
            .values_list("last_error", flat=True)
            .first()
        )
        found[position] = TemplateFailures(count, latest.removeprefix(TEMPLATE_FAILURE))
    return found


# A comment shown to staff keeps what the member wrote, but not an e-mail address in it.
_ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
COMMENTS_PER_PAGE = 25


@dataclass(frozen=True)
class Comment:
    """A comment a member left with their vote, as staff read it: the vote, the text (with
    any e-mail address in it blanked), the day and the mail's version. Nothing that leads to
    the member or the message."""

    vote: int
    text: str
    on: dt.date
    version: int


def comment_counts(journey: Journey) -> dict[tuple[int, str], Figure]:
    """Per (step position, variant segment), how many members left a comment with their
    vote, a count from 1 to 9 withheld (reports/suppression.py)."""
    counts = (
        Feedback.objects.filter(message__step__version__journey=journey)
        .exclude(comment="")
        .values_list("message__step__position", "message__variant__segment")
        .annotate(count=Count("pk"))
        .order_by()
    )
    return {
        (position, segment): Withheld.SMALL if is_small(count) else count
        for position, segment, count in counts
    }


def mails_sent(journey: Journey, position: int, segment: str) -> int:
    """The mails of one journey mail (position, segment) that went out, over all versions."""
    return Message.objects.filter(
        step__version__journey=journey,
        step__position=position,
        variant__segment=segment,
        status__in=(Message.Status.SENT, Message.Status.UNCERTAIN),
    ).count()


def mail_comments(journey: Journey, position: int, segment: str) -> QuerySet:
    """The comments members left with their vote on one journey mail (step position and
    variant segment, over all versions: members finish the version they entered), newest
    first, as rows of vote, text, time and version (read them with `comment_of`): no id of
    a vote, message or member is selected."""
    return (
        Feedback.objects.filter(
            message__step__version__journey=journey,
            message__step__position=position,
            message__variant__segment=segment,
        )
        .exclude(comment="")
        .order_by("-updated_at", "-pk")
        .values_list("vote", "comment", "updated_at", "message__step__version__number")
    )


def comment_of(row: tuple) -> Comment:
    vote, text, updated_at, version = row
    return Comment(
        vote=vote,
        text=_ADDRESS.sub("[…]", text),
        on=timezone.localdate(updated_at),
        version=version,
    )


def variant_of(journey: Journey, position: int, segment: str) -> Variant | None:
    return (
        Variant.objects.filter(
            step__version=journey.current_version, step__position=position, segment=segment
        )
        .select_related("step")
        .first()
    )


def sample_members(
    library: Library, per_segment: int = SAMPLES_PER_SEGMENT
) -> list[tuple[str, list[Member]]]:
    """A few members of each reading segment to preview a mail as, labelled by segment."""
    samples = []
    for segment, label in Segment.choices:
        condition = Q(reading_profile__segment=segment)
        if segment == Segment.UNKNOWN:
            condition |= Q(reading_profile__isnull=True)
        members = list(
            Member.objects.filter(library=library)
            .filter(condition)
            .order_by("external_id")[:per_segment]
        )
        if members:
            samples.append((str(label), members))
    return samples


def segment_of(member: Member) -> str:
    profile = getattr(member, "reading_profile", None)
    return profile.segment if profile is not None else Segment.UNKNOWN


def report(library: Library, *, network: bool, period: Period) -> Report:
    """The library's results for the period: the same figures as `patronflow report
    --library CODE --since … --until …` and its exports, the library against the rest of
    the network included (a period that runs to today has no end: nothing is sent later).
    Every library side by side is the network admin's (`network`); a marketer's report
    leaves it out."""
    until = period.until if period.until < today() else None
    built = build_report(library, as_of=today(), since=period.since, until=until)
    if not network:
        return built
    return replace(
        built, network=cross_library_benchmark(built.as_of, since=period.since, until=until)
    )


def find_members(library: Library, text: str) -> QuerySet[Member]:
    """Members of the library by their exact library id or e-mail address: no browsing."""
    text = text.strip()
    if not text:
        return Member.objects.none()
    return (
        Member.objects.filter(library=library)
        .filter(Q(external_id=text) | Q(email__iexact=text))
        .order_by("external_id")[:LOOKUP_LIMIT]
    )


def staff_accounts() -> QuerySet[StaffProfile]:
    return StaffProfile.objects.select_related("user", "library").order_by(
        "library__code", "user__username"
    )


def today() -> dt.date:
    return timezone.localdate()
