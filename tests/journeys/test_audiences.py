"""Audiences: who a journey, broadcast or saved segment is for, condition by condition."""

import datetime as dt

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from patronflow.journeys.audiences import InvalidAudience, audience
from patronflow.journeys.definitions import InvalidJourney, save_segment
from patronflow.journeys.models import Enrolment
from patronflow.operations.tick import tick
from patronflow.profiles.models import ReadingProfile
from tests.factories import TODAY, LibraryFactory, LoanFactory, MemberFactory, at
from tests.journeys.helpers import addresses, install, only


def days_ago(days: int) -> dt.date:
    return TODAY - dt.timedelta(days=days)


def years_ago(years: int, today: dt.date = TODAY) -> dt.date:
    return today.replace(year=today.year - years)


def who(library, conditions: dict, today: dt.date = TODAY) -> set[str]:
    return set(audience(library, conditions, today).values_list("external_id", flat=True))


@pytest.fixture
def bib(db):
    return LibraryFactory(code="bib")


def test_registered_within_days_counts_today_and_the_last_day(bib):
    MemberFactory(library=bib, external_id="today", registered_on=TODAY)
    MemberFactory(library=bib, external_id="14 days", registered_on=days_ago(14))
    MemberFactory(library=bib, external_id="15 days", registered_on=days_ago(15))
    MemberFactory(library=bib, external_id="tomorrow", registered_on=TODAY + dt.timedelta(1))

    assert who(bib, {"registered_within_days": 14}) == {"today", "14 days"}


def test_inactive_for_days_means_no_loan_or_visit_for_more_than_that(bib):
    long_ago = dict(registered_on=days_ago(2000))
    MemberFactory(library=bib, external_id="366", last_activity_on=days_ago(366), **long_ago)
    MemberFactory(library=bib, external_id="365", last_activity_on=days_ago(365), **long_ago)
    MemberFactory(library=bib, external_id="never seen", last_activity_on=None, **long_ago)
    MemberFactory(
        library=bib, external_id="new, never seen", last_activity_on=None, registered_on=days_ago(9)
    )
    borrower = MemberFactory(
        library=bib, external_id="loan", last_activity_on=days_ago(400), **long_ago
    )
    LoanFactory(member=borrower, loaned_on=days_ago(30))

    assert who(bib, {"inactive_for_days": 365}) == {"366", "never seen"}


def test_active_within_days_counts_visits_and_loans(bib):
    MemberFactory(library=bib, external_id="visit 30", last_activity_on=days_ago(30))
    MemberFactory(library=bib, external_id="visit 31", last_activity_on=days_ago(31))
    MemberFactory(library=bib, external_id="never", last_activity_on=None)
    borrower = MemberFactory(library=bib, external_id="loan 5", last_activity_on=days_ago(90))
    LoanFactory(member=borrower, loaned_on=days_ago(5))

    assert who(bib, {"active_within_days": 30}) == {"visit 30", "loan 5"}


def test_reading_segments_unknown_includes_members_without_a_profile(bib):
    for external_id, segment in [
        ("fd", "fiction_digital"),
        ("np", "nonfiction_physical"),
        ("unknown", "unknown"),
    ]:
        member = MemberFactory(library=bib, external_id=external_id)
        ReadingProfile.objects.create(member=member, segment=segment)
    MemberFactory(library=bib, external_id="no profile")

    assert who(bib, {"reading_segments": ["fiction_digital"]}) == {"fd"}
    assert who(bib, {"reading_segments": ["unknown"]}) == {"unknown", "no profile"}
    assert who(bib, {"reading_segments": ["nonfiction_physical", "unknown"]}) == {
        "np",
        "unknown",
        "no profile",
    }


def test_has_online_profile_true_or_false(bib):
    MemberFactory(library=bib, external_id="with", has_online_profile=True)
    MemberFactory(library=bib, external_id="without", has_online_profile=False)

    assert who(bib, {"has_online_profile": True}) == {"with"}
    assert who(bib, {"has_online_profile": False}) == {"without"}


def test_min_and_max_age_turn_on_the_birthday(bib):
    MemberFactory(library=bib, external_id="18 today", birth_date=years_ago(18))
    MemberFactory(
        library=bib, external_id="18 tomorrow", birth_date=years_ago(18) + dt.timedelta(1)
    )
    MemberFactory(library=bib, external_id="26 today", birth_date=years_ago(26))
    MemberFactory(
        library=bib, external_id="26 tomorrow", birth_date=years_ago(26) + dt.timedelta(1)
    )
    MemberFactory(library=bib, external_id="age unknown", birth_date=None)

    assert who(bib, {"min_age": 18}) == {"18 today", "26 today", "26 tomorrow"}
    assert who(bib, {"max_age": 25}) == {"18 today", "18 tomorrow", "26 tomorrow"}
    assert who(bib, {"min_age": 18, "max_age": 25}) == {"18 today", "26 tomorrow"}


def test_a_leap_day_birthday_counts_on_the_first_of_march(bib):
    MemberFactory(library=bib, external_id="leapling", birth_date=dt.date(2008, 2, 29))

    assert who(bib, {"min_age": 18}, dt.date(2026, 2, 28)) == set()
    assert who(bib, {"min_age": 18}, dt.date(2026, 3, 1)) == {"leapling"}
    assert who(bib, {"max_age": 17}, dt.date(2026, 2, 28)) == {"leapling"}
    assert who(bib, {"max_age": 17}, dt.date(2026, 3, 1)) == set()


def test_on_a_leap_day_someone_born_on_the_first_of_march_is_not_a_year_older_yet(bib):
    leap_day = dt.date(2028, 2, 29)  # 18 years earlier, 2010, has no 29 February
    MemberFactory(library=bib, external_id="28 feb", birth_date=dt.date(2010, 2, 28))
    MemberFactory(library=bib, external_id="1 march", birth_date=dt.date(2010, 3, 1))

    assert who(bib, {"min_age": 18}, leap_day) == {"28 feb"}
    assert who(bib, {"max_age": 17}, leap_day) == {"1 march"}


def test_an_entry_may_name_a_saved_segment_and_follows_its_changes(library, smtp_server):
    only(library)
    save_segment(library, "lezers", "Actieve lezers", {"active_within_days": 30})
    install(library, entry={"segment": "lezers", "has_online_profile": False})
    reader = MemberFactory(library=library, last_activity_on=days_ago(3))
    MemberFactory(library=library, last_activity_on=days_ago(3), has_online_profile=True)
    MemberFactory(library=library, last_activity_on=days_ago(60))
    lapsed = MemberFactory(library=library, last_activity_on=days_ago(100))

    tick(at(TODAY))
    save_segment(library, "lezers", "Lezers van dit jaar", {"active_within_days": 365})
    tick(at(TODAY + dt.timedelta(days=1)))

    assert addresses(smtp_server)[0] == reader.email
    assert lapsed.email in addresses(smtp_server)
    assert Enrolment.objects.count() == 3


@pytest.mark.parametrize(
    ("conditions", "message"),
    [
        ({"registerd_within_days": 3}, "unknown condition 'registerd_within_days'; known: "),
        ({"min_age": "16"}, "min_age: a whole number of 0 or more, not '16'"),
        ({"max_age": True}, "max_age: a whole number of 0 or more, not True"),
        ({"inactive_for_days": -1}, "inactive_for_days: a whole number of 0 or more, not -1"),
        ({"has_online_profile": "yes"}, "has_online_profile: true or false, not 'yes'"),
        ({"reading_segments": "fiction_digital"}, "reading_segments: a list of reading segments"),
        ({"reading_segments": ["romance"]}, "reading_segments: a list of reading segments"),
        ({"reading_segments": []}, "reading_segments: a list of reading segments"),
        ({"segment": 3}, "segment: the key of a saved segment"),
        ({"segment": "nope"}, "segment: bib has no saved segment 'nope'"),
        (["min_age"], "conditions must be a mapping"),
    ],
)
def test_conditions_that_mean_nothing_are_refused_naming_the_condition(bib, conditions, message):
    with pytest.raises(InvalidAudience) as refused:
        audience(bib, conditions, TODAY).count()

    assert message in str(refused.value)


def test_a_saved_segment_cannot_refer_to_another_or_hold_a_bad_condition(bib):
    with pytest.raises(InvalidJourney, match="segment kinderen: unknown condition 'segment'"):
        save_segment(bib, "kinderen", "Kinderen", {"segment": "lezers"})
    with pytest.raises(InvalidJourney, match="segment jong: max_age: a whole number"):
        save_segment(bib, "jong", "Jong", {"max_age": "25"})
    with pytest.raises(InvalidJourney, match="key: lowercase letters"):
        save_segment(bib, "Jonge Lezers", "Jong", {"max_age": 25})


def test_a_journey_entering_by_an_unknown_segment_is_refused(library):
    with pytest.raises(InvalidJourney, match="entry: gent has no saved segment 'lezers'"):
        install(library, entry={"segment": "lezers"})
    with pytest.raises(InvalidJourney, match="entry: unknown condition 'age'"):
        install(library, entry={"age": 16})


def test_the_segment_commands_save_and_count(library, tmp_path, capsys):
    recently = timezone.localdate() - dt.timedelta(days=3)  # the command counts as of today
    MemberFactory(library=library, last_activity_on=recently)
    MemberFactory(library=library, last_activity_on=recently, birth_date=dt.date(2015, 1, 1))
    path = tmp_path / "lezers.yaml"
    path.write_text("key: lezers\nname: Lezers\nconditions:\n  active_within_days: 30\n")

    call_command("segment", "save", str(path), "--library", "gent")
    call_command("segment", "list", "--library", "gent")

    output = capsys.readouterr().out
    assert "Saved segment gent/lezers." in output
    [row] = [line for line in output.splitlines() if "lezers" in line and "│" in line]
    assert [cell.strip() for cell in row.strip("│").split("│")][2:] == ["2", "1"]
    path.write_text("key: lezers\nname: Lezers\nconditions:\n  active_within: 30\n")
    with pytest.raises(CommandError, match="unknown condition 'active_within'"):
        call_command("segment", "save", str(path), "--library", "gent")
