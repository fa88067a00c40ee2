"""Audiences with groups: AND, OR and NOT, nested, with saved segments inside; and the count
a marketer watches (members, of whom mailable, per reading segment) — checked against a
plain Python reading of the same conditions over the same members."""

import datetime as dt
import itertools

import pytest

from patronflow.journeys.audience_counts import audience_count
from patronflow.journeys.audiences import (
    InvalidAudience,
    audience,
    check_conditions,
    saved_segments_named,
)
from patronflow.journeys.definitions import InvalidJourney, save_segment
from patronflow.privacy.models import Suppression
from patronflow.privacy.rules import why_not_mailable
from patronflow.profiles.models import ReadingProfile, Segment
from tests.factories import TODAY, LibraryFactory, LoanFactory, MemberFactory
from tests.journeys.helpers import install


def days_ago(days: int) -> dt.date:
    return TODAY - dt.timedelta(days=days)


@pytest.fixture
def bib(db):
    return LibraryFactory(code="bib")


@pytest.fixture
def members(bib):
    """A varied little library: every combination of reading segment (or none), age, activity
    and address, some with a recent loan, one suppressed, one in another library."""
    ages = [None, 12, 17, 30, 70]
    activity = [None, 5, 400, 900]
    segments = [None, *Segment.values]
    made = []
    for number, (segment, age, active) in enumerate(itertools.product(segments, ages, activity)):
        member = MemberFactory(
            library=bib,
            external_id=f"m{number}",
            birth_date=None if age is None else TODAY.replace(year=TODAY.year - age),
            last_activity_on=None if active is None else days_ago(active),
            registered_on=days_ago(3000 if number % 5 else 20),
            has_online_profile=number % 3 == 0,
            email="" if number % 11 == 0 else f"m{number}@example.org",
            unsubscribed_at=None,
        )
        if segment:
            ReadingProfile.objects.create(member=member, segment=segment)
        if number % 7 == 0:
            LoanFactory(member=member, loaned_on=days_ago(number % 600))
        made.append(member)
    Suppression.objects.create(
        library=bib, email=made[1].email, reason=Suppression.Reason.values[0]
    )
    MemberFactory(library=LibraryFactory(code="ander"), last_activity_on=days_ago(1))
    return made


def last_loan(member) -> dt.date | None:
    dates = [loan.loaned_on for loan in member.loans.all()]
    return max(dates) if dates else None


def age(member) -> int | None:
    if member.birth_date is None:
        return None
    born = member.birth_date
    return TODAY.year - born.year - ((TODAY.month, TODAY.day) < (born.month, born.day))


def segment_of(member) -> str:
    profile = ReadingProfile.objects.filter(member=member).first()
    return profile.segment if profile else Segment.UNKNOWN


def holds(member, conditions: dict, saved: dict) -> bool:
    """The conditions as docs/journeys.md says them, read in Python."""
    for name, value in conditions.items():
        loan = last_loan(member)
        if name == "all":
            ok = all(holds(member, part, saved) for part in value)
        elif name == "any":
            ok = any(holds(member, part, saved) for part in value)
        elif name == "not":
            ok = not holds(member, value, saved)
        elif name == "segment":
            ok = holds(member, saved[value], saved)
        elif name == "active_within_days":
            cutoff = days_ago(value)
            ok = (member.last_activity_on or dt.date.min) >= cutoff or (
                loan is not None and loan >= cutoff
            )
        elif name == "inactive_for_days":
            cutoff = days_ago(value)
            ok = (
                (member.last_activity_on or dt.date.min) < cutoff
                and member.registered_on < cutoff
                and not (loan is not None and loan >= cutoff)
            )
        elif name == "registered_within_days":
            ok = days_ago(value) <= member.registered_on <= TODAY
        elif name == "reading_segments":
            ok = segment_of(member) in value
        elif name == "has_online_profile":
            ok = member.has_online_profile == value
        elif name == "min_age":
            ok = age(member) is not None and age(member) >= value
        elif name == "max_age":
            ok = age(member) is not None and age(member) <= value
        else:
            raise AssertionError(name)
        if not ok:
            return False
    return True


SAVED = {
    "lezers": {"active_within_days": 365},
    "iedereen": {},
    "digitaal": {"reading_segments": ["fiction_digital", "nonfiction_digital"]},
}
TREES = [
    {"any": [{"reading_segments": ["fiction_digital"]}, {"active_within_days": 30}]},
    {"not": {"min_age": 18}},
    {"not": {"reading_segments": ["fiction_physical"]}},
    {"not": {"any": [{"max_age": 16}, {"has_online_profile": True}]}},
    {"not": {"inactive_for_days": 365}},
    {
        "inactive_for_days": 365,
        "any": [{"segment": "digitaal"}, {"min_age": 65, "has_online_profile": False}],
    },
    {"all": [{"any": [{"max_age": 20}, {"min_age": 60}]}, {"not": {"segment": "lezers"}}]},
    {"any": [{"segment": "iedereen"}, {"min_age": 200}]},
    {"not": {"segment": "iedereen"}},
    {"any": [{"not": {"active_within_days": 100}}, {"all": [{"reading_segments": ["unknown"]}]}]},
]


@pytest.mark.parametrize("conditions", TREES)
def test_groups_mean_what_they_say_on_real_members(bib, members, conditions):
    for key, saved in SAVED.items():
        save_segment(bib, key, key, saved)
    expected = {m.external_id for m in members if holds(m, conditions, SAVED)}

    found = set(audience(bib, conditions, TODAY).values_list("external_id", flat=True))

    assert found == expected


@pytest.mark.parametrize("conditions", TREES)
def test_the_count_and_its_breakdown_equal_counting_by_hand(bib, members, conditions):
    for key, saved in SAVED.items():
        save_segment(bib, key, key, saved)
    matching = [m for m in members if holds(m, conditions, SAVED)]
    suppressed = set(Suppression.objects.values_list("email", flat=True))
    mailable = [m for m in matching if why_not_mailable(m, TODAY, m.email in suppressed) is None]

    count = audience_count(bib, conditions, TODAY)

    assert (count.members, count.mailable) == (len(matching), len(mailable))
    assert [row.segment for row in count.by_segment] == Segment.values
    for row in count.by_segment:
        assert row.members == sum(segment_of(m) == row.segment for m in matching)
        assert row.mailable == sum(segment_of(m) == row.segment for m in mailable)


def test_a_plain_mapping_still_means_all_of_its_conditions(bib, members):
    plain = {"active_within_days": 500, "min_age": 18}
    spelled_out = {"all": [{"active_within_days": 500}, {"min_age": 18}]}
    assert set(audience(bib, plain, TODAY)) == set(audience(bib, spelled_out, TODAY))
    assert audience(bib, plain, TODAY).count() == sum(holds(m, plain, {}) for m in members)


@pytest.mark.parametrize(
    ("conditions", "message"),
    [
        ({"any": []}, "any: a list of one or more mappings of conditions"),
        ({"any": {"min_age": 3}}, "any: a list of one or more mappings"),
        ({"all": [{"min_age": 3}, {}]}, "all[2]: a mapping of one or more conditions"),
        ({"not": {}}, "not: a mapping of one or more conditions"),
        ({"not": [{"min_age": 3}]}, "not: a mapping of one or more conditions"),
        (
            {"any": [{"min_age": 3}, {"not": {"max_age": "30"}}]},
            "any[2].not.max_age: a whole number of 0 or more, not '30'",
        ),
        ({"any": [{"leeftijd": 3}]}, "any[1]: unknown condition 'leeftijd'; known: "),
        (
            {"all": [{"any": [{"reading_segments": ["romance"]}]}]},
            "all[1].any[1].reading_segments: a list of reading segments",
        ),
        ({"not": {"segment": ""}}, "not.segment: the key of a saved segment"),
    ],
)
def test_refusals_say_where_in_the_tree_the_problem_is(conditions, message):
    with pytest.raises(InvalidAudience) as refused:
        check_conditions(conditions)

    assert message in str(refused.value)


def test_a_saved_segment_inside_a_group_must_exist(bib):
    with pytest.raises(InvalidAudience, match="segment: bib has no saved segment 'lezers'"):
        audience(bib, {"any": [{"min_age": 3}, {"segment": "lezers"}]}, TODAY).count()


def test_a_saved_segment_cannot_use_a_saved_segment_anywhere_so_none_goes_round(bib):
    save_segment(bib, "lezers", "Lezers", {"active_within_days": 365})
    with pytest.raises(InvalidJourney, match=r"segment rond: any\[1\]: unknown condition 'seg"):
        save_segment(bib, "rond", "Rond", {"any": [{"segment": "lezers"}]})
    with pytest.raises(InvalidJourney, match="segment rond: not: unknown condition 'segment'"):
        save_segment(bib, "rond", "Rond", {"not": {"segment": "rond"}})


def test_the_saved_segments_a_tree_names_are_found_at_any_depth():
    conditions = {
        "segment": "a",
        "any": [{"segment": "b"}, {"all": [{"not": {"segment": "c"}}]}],
        "min_age": 3,
    }
    assert saved_segments_named(conditions) == {"a", "b", "c"}


def test_a_journey_entering_by_an_unknown_segment_inside_a_group_is_refused(library):
    entry = {"any": [{"min_age": 65}, {"not": {"segment": "lezers"}}]}
    with pytest.raises(InvalidJourney, match="entry: gent has no saved segment 'lezers'"):
        install(library, entry=entry)
    save_segment(library, "lezers", "Lezers", {"active_within_days": 365})
    assert install(library, entry=entry).journey.current_version.entry == entry
