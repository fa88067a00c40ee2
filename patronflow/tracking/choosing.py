"""What the preference page writes: a member's choice per list and "no more mails from the
library", each with its consent record (choices/texts.py PREFERENCES: the words the page
shows). The page (tracking/preferences.py) only reads the form and calls save_preferences."""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from patronflow.choices import texts
from patronflow.choices.models import ConsentRecord
from patronflow.choices.queries import member_lists
from patronflow.choices.services import record_all_mail_choice
from patronflow.mail.models import Message
from patronflow.members.models import Member
from patronflow.tracking.services import choose_list, unsubscribe_member

SOURCE = ConsentRecord.Source.PREFERENCES


def resume_all_mail(member: Member, *, at: dt.datetime) -> bool:
    """Take back "no more mails from the library": the member may be mailed again by the
    rules that apply to everyone. Only their own choice is undone: an address suppressed
    after bounces or a complaint stays suppressed, and journeys that ended stay ended (the
    member enters again when a journey's entry rules say so). True when it changed."""
    resumed = bool(
        Member.objects.filter(pk=member.pk, unsubscribed_at__isnull=False).update(
            unsubscribed_at=None, updated_at=timezone.now()
        )
    )
    if resumed:
        record_all_mail_choice(
            member, stopped=False, source=SOURCE, text_version=texts.PREFERENCES, at=at
        )
    member.refresh_from_db(fields=["unsubscribed_at", "updated_at"])
    return resumed


def save_preferences(
    message: Message, *, receiving: set[str], no_mail: bool, at: dt.datetime | None = None
) -> None:
    """Store what the member ticked on the page reached through this message: `receiving`
    the keys of the lists ticked (a service list takes no choice of its own and is left
    out), `no_mail` the choice to get no mail at all. A list that changed leaves (or joins)
    through tracking/services.py choose_list, which withdraws its queued mails before the
    next send; what did not change records nothing."""
    at = at or timezone.now()
    member = message.enrolment.member
    with transaction.atomic():
        for state in member_lists(member):
            mailing_list = state.mailing_list
            wanted = mailing_list.key in receiving
            if mailing_list.service or wanted == state.receives:
                continue
            choose_list(
                member,
                mailing_list,
                receives=wanted,
                source=SOURCE,
                text_version=texts.PREFERENCES,
                at=at,
            )
        if no_mail and member.unsubscribed_at is None:
            if unsubscribe_member(message, at):
                record_all_mail_choice(
                    member, stopped=True, source=SOURCE, text_version=texts.PREFERENCES, at=at
                )
        elif not no_mail and member.unsubscribed_at is not None:
            resume_all_mail(member, at=at)
