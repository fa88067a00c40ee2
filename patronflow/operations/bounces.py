"""Bounces across the stages: the mail stage reads what comes back (bounces, complaints,
unsubscribe mails) and suppresses, and tracking unsubscribes the member a complaint or an
unsubscribe mail names (the UNSUBSCRIBE event, their journeys ended). `patronflow bounces`
runs these."""

import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import Path

from patronflow.mail import bounces, inbound
from patronflow.mail.bounces import BounceSummary, Report
from patronflow.tracking.services import unsubscribe_member


def read_maildir(path: Path, now: dt.datetime | None = None) -> BounceSummary:
    """mail.bounces.process_maildir, unsubscribing through tracking."""
    return bounces.process_maildir(path, now, unsubscribe=unsubscribe_member)


def record_mail(raw: bytes, recipients: Sequence[str]) -> BounceSummary:
    """mail.inbound.record_mail, unsubscribing through tracking: what the listener does with
    each mail it takes."""
    return inbound.record_mail(raw, recipients, unsubscribe=unsubscribe_member)


def bounce_inbox(feedback_addresses: Iterable[str] = ()) -> inbound.BounceInbox:
    """The listener's inbox, recording each mail with record_mail."""
    return inbound.BounceInbox(feedback_addresses, record=record_mail)


def record_report(report: Report, now: dt.datetime, summary: BounceSummary) -> int | None:
    """mail.bounces.record_report, unsubscribing through tracking."""
    return bounces.record_report(report, now, summary, unsubscribe=unsubscribe_member)
