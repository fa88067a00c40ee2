"""Reads over reading profiles: a library's policy, its window, and the loans it keeps."""

import calendar
import datetime as dt

from patronflow.members.models import Library
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


def loan_history_start(library: Library, today: dt.date) -> dt.date:
    """The first day of the loans the library keeps: its loan history back from today, never
    less than the reading profile's window, and back from the profiles' reference date when
    that is earlier. A loan before it counts in no stored profile and in no refresh or
    rebuild as of today or later (profiles/services.py), so removing it changes none."""
    policy = policy_for(library)
    months = max(retention_of(library).loan_history_months, policy.window_months)
    as_of = policy.profiles_as_of
    return window_start(min(today, as_of) if as_of else today, months)
