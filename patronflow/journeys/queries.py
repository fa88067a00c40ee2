"""Reads of the journey engine: who may enter, who should leave."""

import datetime as dt

from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce

from patronflow.journeys.models import Enrolment, Journey
from patronflow.members.models import Loan, Member
from patronflow.privacy.rules import mailable_condition


def entry_candidates(journey: Journey, today: dt.date) -> QuerySet[Member]:
    """Mailable members of the journey's library that meet its entry rule and never entered it."""
    members = Member.objects.filter(library=journey.library).filter(mailable_condition(today))
    members = members.exclude(enrolments__journey=journey)
    if journey.entry_rule == Journey.EntryRule.NEW_MEMBER:
        earliest = today - dt.timedelta(days=journey.entry_days)
        return members.filter(registered_on__gte=earliest, registered_on__lte=today)
    if journey.entry_rule == Journey.EntryRule.DORMANT:
        cutoff = today - dt.timedelta(days=journey.entry_days)
        recent_loan = Loan.objects.filter(member=OuterRef("pk"), loaned_on__gte=cutoff)
        return (
            members.annotate(last_seen=Coalesce("last_activity_on", "registered_on"))
            .filter(last_seen__lt=cutoff, registered_on__lt=cutoff)
            .exclude(Exists(recent_loan))
        )
    raise ValueError(f"unknown entry rule {journey.entry_rule!r}")


def enrolments_to_exit(journey: Journey, today: dt.date) -> dict[str, QuerySet[Enrolment]]:
    """Active enrolments that must end now, by exit reason (first matching reason wins)."""
    active = journey.enrolments.filter(status=Enrolment.Status.ACTIVE)
    reasons = {
        Enrolment.ExitReason.UNSUBSCRIBED: Q(member__unsubscribed_at__isnull=False),
        Enrolment.ExitReason.MEMBERSHIP_ENDED: Q(member__membership_ends_on__lte=today),
        Enrolment.ExitReason.INELIGIBLE: ~mailable_condition(today, prefix="member__"),
    }
    if journey.exit_on_return:
        loan_since_entry = Loan.objects.filter(
            member=OuterRef("member"), loaned_on__gt=OuterRef("entered_on")
        )
        reasons[Enrolment.ExitReason.CAME_BACK] = Q(
            member__last_activity_on__gt=F("entered_on")
        ) | Q(Exists(loan_since_entry))
    return {reason: active.filter(condition) for reason, condition in reasons.items()}
