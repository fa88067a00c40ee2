"""The results page's periods: which days each choice covers."""

import datetime as dt

from patronflow.reports.period import period_of

TODAY = dt.date(2026, 3, 17)


def test_this_month_runs_from_its_first_day_to_today():
    period = period_of("month", today=TODAY)
    assert (period.since, period.until) == (dt.date(2026, 3, 1), TODAY)


def test_the_last_three_months_are_this_month_and_the_two_before_across_the_year():
    period = period_of("quarter", today=dt.date(2026, 1, 9))
    assert (period.since, period.until) == (dt.date(2025, 11, 1), dt.date(2026, 1, 9))


def test_since_launch_has_no_first_day_and_an_unknown_choice_is_since_launch():
    assert period_of("launch", today=TODAY).since is None
    assert period_of("yesterday", today=TODAY).choice == "launch"


def test_a_custom_period_without_a_last_day_runs_to_today():
    period = period_of("custom", today=TODAY, since=dt.date(2026, 2, 1))
    assert (period.since, period.until) == (dt.date(2026, 2, 1), TODAY)
