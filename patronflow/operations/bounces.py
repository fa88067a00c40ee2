"""Bounces across the stages: the mail stage reads what comes back (bounces, complaints,
unsubscribe mails) and suppresses, and tracking acts for the member: a complaint stops all
their mail (the UNSUBSCRIBE event, their journeys ended), an unsubscribe mail leaves the list
the mail went out on, as one-click does (a service list: all mail). `patronflow bounces`
runs these."""

import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import Path

from patronflow.choices import texts
from patronflow.choices.models import ConsentRecord
from patronflow.mail import bounces, inbound
from patronflow.mail.bounces import BounceSummary, Report
from patronflow.mail.models import Message
from patronflow.tracking.services import leave_list_of, unsubscribe_member


def leave_by_mail(message: Message, at: dt.datetime) -> bool:
    """An unsubscribe mail to the List-Unsubscribe mailto address: the mail's list is left,
    recorded as chosen by mail."""
    return leave_list_of(
        message, source=ConsentRecord.Source.MAIL_REPLY, text_version=texts.MAIL_REPLY, at=at
    )


def read_maildir(path: Path, now: dt.datetime | None = None) -> BounceSummary:
    """mail.bounces.process_maildir, unsubscribing through tracking."""
    return bounces.process_maildir(
        path, now, unsubscribe=unsubscribe_member, leave_list=leave_by_mail
    )


def record_mail(raw: bytes, recipients: Sequence[str]) -> BounceSummary:
    """mail.inbound.record_mail, unsubscribing through tracking: what the listener does with
    each mail it takes."""
    return inbound.record_mail(
        raw, recipients, unsubscribe=unsubscribe_member, leave_list=leave_by_mail
    )


def bounce_inbox(feedback_addresses: Iterable[str] = ()) -> inbound.BounceInbox:
    """The listener's inbox, recording each mail with record_mail."""
    return inbound.BounceInbox(feedback_addresses, record=record_mail)


def record_report(report: Report, now: dt.datetime, summary: BounceSummary) -> int | None:
    """mail.bounces.record_report, unsubscribing through tracking."""
    return bounces.record_report(
        report, now, summary, unsubscribe=unsubscribe_member, leave_list=leave_by_mail
    )
