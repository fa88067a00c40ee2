"""Writes of the journey engine: enrol, exit, advance. The scheduler (`tick`) calls these."""

import datetime as dt

from patronflow.journeys.models import Enrolment
from patronflow.members.models import Member


def exit_enrolments(member: Member, reason: str, on: dt.date) -> int:
    """End every active journey of a member, e.g. when they unsubscribe; returns how many."""
    return Enrolment.objects.filter(member=member, status=Enrolment.Status.ACTIVE).update(
        status=Enrolment.Status.EXITED, exit_reason=reason, ended_on=on
    )
