"""Who a journey or broadcast is for, written as data a marketer can read.

An audience is a small mapping of conditions, all of which must hold, e.g.
``{"inactive_for_days": 365, "reading_segments": ["fiction_digital"]}``; groups combine them
with OR and NOT: ``{"any": [{...}, {...}]}``, ``{"not": {...}}``. Journeys keep theirs in
`Version.entry`; a `SavedSegment` names one for reuse, and an entry may refer to it by key.
The conditions are documented in docs/journeys.md.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from patronflow.journeys.models import SavedSegment
from patronflow.members.models import Library, Member
from patronflow.privacy.rules import latest_birth_date
from patronflow.profiles.models import Segment


class InvalidAudience(ValueError):
    """Conditions that cannot be applied; the message names the condition and what is wrong."""


def _registered_within(days: int, today: dt.date) -> Q:
    return Q(registered_on__gte=today - dt.timedelta(days=days), registered_on__lte=today)


def _borrowed_since(cutoff: dt.date) -> Q:
    """A loan on or after `cutoff`: one still held (Member.last_loan_on, kept by the loans
    import: members/latest_loans.py), or one the loan-history retention removed
    (Member.loans_removed_through keeps the latest day of those)."""
    return Q(last_loan_on__gte=cutoff) | Q(loans_removed_through__gte=cutoff)


def _inactive_for(days: int, today: dt.date) -> Q:
    cutoff = today - dt.timedelta(days=days)
    return (
        (Q(last_activity_on__isnull=True) | Q(last_activity_on__lt=cutoff))
        & Q(registered_on__lt=cutoff)
        & ~_borrowed_since(cutoff)
    )


def _active_within(days: int, today: dt.date) -> Q:
    cutoff = today - dt.timedelta(days=days)
    return Q(last_activity_on__gte=cutoff) | _borrowed_since(cutoff)


def _reading_segments(segments: list[str], today: dt.date) -> Q:
    if Segment.UNKNOWN in segments:
        return Q(reading_profile__segment__in=segments) | Q(reading_profile__isnull=True)
    return Q(reading_profile__segment__in=segments)


def _has_online_profile(wanted: bool, today: dt.date) -> Q:
    return Q(has_online_profile=wanted)


def _min_age(years: int, today: dt.date) -> Q:
    return Q(birth_date__lte=latest_birth_date(today, years))


def _max_age(years: int, today: dt.date) -> Q:
    # Still `years` old until the day before the next birthday.
    return Q(birth_date__gt=latest_birth_date(today, years + 1))


@dataclass(frozen=True)
class Condition:
    kind: type
    describe: str
    to_q: Callable[[Any, dt.date], Q]


CONDITIONS: dict[str, Condition] = {
    "registered_within_days": Condition(int, "registered at most N days ago", _registered_within),
    "inactive_for_days": Condition(int, "no loan or visit for more than N days", _inactive_for),
    "active_within_days": Condition(int, "a loan or visit in the last N days", _active_within),
    "reading_segments": Condition(list, "reading profile is one of these", _reading_segments),
    "has_online_profile": Condition(
        bool, "has (true) or lacks (false) an online profile", _has_online_profile
    ),
    "min_age": Condition(int, "at least N years old", _min_age),
    "max_age": Condition(int, "at most N years old", _max_age),
}
SAVED_SEGMENT = "segment"

# Groups nest conditions: `all` and `any` hold a list of mappings (all of them hold / at least
# one holds), `not` one mapping (it does not hold). Beside plain conditions in a mapping, a group
# is one more condition that must hold too.
ALL, ANY, NOT = "all", "any", "not"
GROUPS = (ALL, ANY, NOT)
# A saved segment without conditions holds everyone; an empty Q would vanish from an OR.
EVERYONE = Q(pk__isnull=False)


def check_conditions(conditions: Any, allow_saved_segment: bool = True) -> None:
    """Refuse conditions that would fail or mean nothing, before they are stored; the message
    starts with where in the tree the problem is (e.g. ``any[2].min_age``, counting from 1)."""
    if not isinstance(conditions, dict):
        raise InvalidAudience("conditions must be a mapping of name to value")
    _check_mapping(conditions, "", allow_saved_segment)


def _check_mapping(conditions: dict, where: str, allow_saved_segment: bool) -> None:
    known = sorted([*CONDITIONS, *GROUPS, *([SAVED_SEGMENT] if allow_saved_segment else [])])
    for name, value in conditions.items():
        here = f"{where}{name}"
        if name in (ALL, ANY):
            if not isinstance(value, list) or not value:
                raise InvalidAudience(f"{here}: a list of one or more mappings of conditions")
            for number, item in enumerate(value, 1):
                _check_part(item, f"{here}[{number}]", allow_saved_segment)
        elif name == NOT:
            _check_part(value, here, allow_saved_segment)
        elif name == SAVED_SEGMENT and allow_saved_segment:
            if not isinstance(value, str) or not value:
                raise InvalidAudience(f"{here}: the key of a saved segment")
        elif name not in CONDITIONS:
            place = f"{where.removesuffix('.')}: " if where else ""
            raise InvalidAudience(f"{place}unknown condition {name!r}; known: {', '.join(known)}")
        else:
            _check_value(CONDITIONS[name], value, here)


def _check_part(part: Any, where: str, allow_saved_segment: bool) -> None:
    if not isinstance(part, dict) or not part:
        raise InvalidAudience(f"{where}: a mapping of one or more conditions")
    _check_mapping(part, f"{where}.", allow_saved_segment)


def _check_value(condition: Condition, value: Any, where: str) -> None:
    if condition.kind is int and (
        isinstance(value, bool) or not isinstance(value, int) or value < 0
    ):
        raise InvalidAudience(f"{where}: a whole number of 0 or more, not {value!r}")
    if condition.kind is bool and not isinstance(value, bool):
        raise InvalidAudience(f"{where}: true or false, not {value!r}")
    if condition.kind is list:
        unknown = (
            [v for v in value if v not in Segment.values] if isinstance(value, list) else [value]
        )
        if unknown or not value:
            raise InvalidAudience(
                f"{where}: a list of reading segments out of {', '.join(Segment.values)}"
            )


def saved_segments_named(conditions: dict) -> set[str]:
    """The keys of the saved segments the conditions use, at any depth (checked conditions)."""
    keys = set()
    for name, value in conditions.items():
        if name == SAVED_SEGMENT:
            keys.add(value)
        elif name in (ALL, ANY):
            keys.update(*(saved_segments_named(item) for item in value))
        elif name == NOT:
            keys.update(saved_segments_named(value))
    return keys


def audience_condition(library: Library, conditions: dict, today: dt.date) -> Q:
    """The conditions as one filter on Member; a saved segment is looked up in the library.
    A saved segment holds no saved segment itself (save_segment refuses it), so no lookup
    goes round in a circle."""
    check_conditions(conditions)
    saved = {
        segment.key: segment.conditions
        for segment in SavedSegment.objects.filter(
            library=library, key__in=saved_segments_named(conditions)
        )
    }
    return _mapping_q(library, conditions, today, saved)


def _mapping_q(library: Library, conditions: dict, today: dt.date, saved: dict) -> Q:
    combined = Q()
    for name, value in conditions.items():
        if name == SAVED_SEGMENT:
            if value not in saved:
                raise InvalidAudience(f"segment: {library.code} has no saved segment {value!r}")
            check_conditions(saved[value], allow_saved_segment=False)
            combined &= _mapping_q(library, saved[value], today, saved)
        elif name == ALL:
            for item in value:
                combined &= _mapping_q(library, item, today, saved)
        elif name == ANY:
            either = Q()
            for item in value:
                either |= _mapping_q(library, item, today, saved) or EVERYONE
            combined &= either
        elif name == NOT:
            combined &= ~(_mapping_q(library, value, today, saved) or EVERYONE)
        else:
            combined &= CONDITIONS[name].to_q(value, today)
    return combined


def audience(library: Library, conditions: dict, today: dt.date) -> QuerySet[Member]:
    """Members of the library who meet the conditions today (mailable or not)."""
    return Member.objects.filter(library=library).filter(
        audience_condition(library, conditions, today)
    )


def enters_on_registration(conditions: dict) -> bool:
    """A journey for new members starts on the day they registered, so its first mail keeps
    its timing when the import arrives a day or two late."""
    return "registered_within_days" in conditions
