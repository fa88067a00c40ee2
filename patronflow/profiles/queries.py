"""Reads over reading profiles: a library's policy and which profiles are stale."""

import calendar
import datetime as dt

from patronflow.members.models import Library, Member
from patronflow.privacy.queries import retention_of
from patronflow.profiles.classification import Classifier
from patronflow.profiles.models import ClassificationPolicy


def policy_for(library: Library) -> ClassificationPolicy:
    """The library's policy, or the defaults (unsaved) when it has none."""
    try:
        return ClassificationPolicy.objects.get(library=library)
    except ClassificationPolicy.DoesNotExist:
        return ClassificationPolicy(library=library)


def classifier_for(library: Library) -> Classifier:
    return policy_for(library).classifier


def window_start(today: dt.date, months: int) -> dt.date:
    """The first day whose loans count: the same day `months` calendar months back (the
    month's last day when it is shorter). Never moves back as `today` moves on."""
    index = today.year * 12 + today.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    return dt.date(year, month, min(today.day, calendar.monthrange(year, month)[1]))


def stale_member_ids(library: Library, today: dt.date) -> set[int]:
    """Members whose stored profile no longer holds as of `today`: a counted loan left the
    window, a loan came into it (dated after the last library-wide refresh, or imported
    since), or the profile was recounted outside a refresh. Never refreshed (or a refresh
    that would rebuild): every member of the library."""
    from patronflow.profiles.services import difference_member_ids

    changing = difference_member_ids(library, today)
    if changing is None:
        return set(Member.objects.filter(library=library).values_list("pk", flat=True))
    return changing


def loan_history_start(library: Library, today: dt.date) -> dt.date:
    """The first day of the loans the library keeps: its loan history back from today, never
    less than the reading profile's window, and back from the profiles' reference date when
    that is earlier. A loan before it counts in no stored profile and in no refresh or
    rebuild as of today or later (profiles/services.py), so removing it changes none."""
    policy = policy_for(library)
    months = max(retention_of(library).loan_history_months, policy.window_months)
    as_of = policy.profiles_as_of
    return window_start(min(today, as_of) if as_of else today, months)
