"""Send windows on the library's own clock: edges, weekends and the two clock changes."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from patronflow.members.windows import (
    END_OF_DAY,
    SendWindow,
    WindowProblem,
    describe_days,
    local_day,
    parse_days,
    parse_window,
    time_zone,
    wall_clock,
)

BRUSSELS = ZoneInfo("Europe/Brussels")


def brussels(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=BRUSSELS)


def window(text: str = "mon-sat 09:00-20:00", zone: str = "Europe/Brussels") -> SendWindow:
    days, opens, closes = parse_window(text)
    return SendWindow(frozenset(int(d) for d in days), opens, closes, time_zone(zone))


def utc(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC)


# -- reading what staff type -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "days", "opens", "closes"),
    [
        ("mon-fri 09:00-18:00", "12345", "09:00", "18:00"),
        ("Mon-Sat 9:00 - 20:00", "123456", "09:00", "20:00"),
        ("mon,wed,sat 10:00-16:00", "136", "10:00", "16:00"),
        ("mon-wed,fri-sun 08:30-12:15", "123567", "08:30", "12:15"),
        ("mon-sun 00:00-24:00", "1234567", "00:00", "23:59:59.999999"),
    ],
)
def test_a_window_is_days_then_hours(text, days, opens, closes):
    assert parse_window(text) == (
        days,
        dt.time.fromisoformat(opens),
        dt.time.fromisoformat(closes),
    )


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("weekdays 09:00-18:00", "'weekdays' is not a day or range of days"),
        ("fri-mon 09:00-18:00", "'fri-mon' runs backwards"),
        ("mon-fri 18:00-09:00", "opens at 18:00 but closes at 09:00"),
        ("mon-fri 09:00-09:00", "it must close later on the same day"),
        ("mon-fri 09:00-25:00", "'25:00' is not a time of day"),
        ("mon-fri", "is not a send window: write the days and hours"),
        ("09:00-18:00", "is not a send window"),
    ],
)
def test_a_window_that_cannot_be_read_says_why(text, says):
    with pytest.raises(WindowProblem, match=says):
        parse_window(text)


def test_a_time_zone_must_be_an_iana_name():
    assert time_zone("Europe/Brussels") == BRUSSELS
    with pytest.raises(WindowProblem, match="'Europe/Brussel' is not a time zone"):
        time_zone("Europe/Brussel")
    with pytest.raises(WindowProblem, match="is not a time zone"):
        time_zone("../../etc/passwd")


@given(st.sets(st.integers(1, 7), min_size=1))
def test_days_read_back_as_they_are_described(days):
    assert parse_days(describe_days(frozenset(days))) == "".join(map(str, sorted(days)))


def test_days_are_described_as_ranges():
    assert describe_days("123456") == "mon-sat"
    assert describe_days("1357") == "mon,wed,fri,sun"
    assert describe_days("12367") == "mon-wed,sat-sun"


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("ma-vr 09:00-18:00", "12345"),
        ("ma,wo,za 10:00-16:00", "136"),
        ("Maandag-Vrijdag,zondag 09:00-18:00", "123457"),
        ("di-do,za-zo 09:00-18:00", "23467"),
        ("mon-fri 09:00-18:00", "12345"),  # the command line's words, in Dutch too
    ],
)
def test_a_dutch_window_takes_dutch_days_short_or_in_full(text, days):
    assert parse_window(text, "nl")[0] == days
    assert parse_window(text, "nl-be")[0] == days


def test_the_command_line_reads_english_days_short_or_in_full_and_not_dutch():
    assert parse_window("monday-friday 09:00-18:00")[0] == "12345"
    with pytest.raises(WindowProblem, match="'ma-vr' is not a day or range of days") as refused:
        parse_window("ma-vr 09:00-18:00")
    assert (refused.value.reason, refused.value.part) == ("day", "ma-vr")


@given(st.sets(st.integers(1, 7), min_size=1))
def test_dutch_days_read_back_as_they_are_described(days):
    described = describe_days(frozenset(days), "nl")
    assert parse_days(described, "nl") == "".join(map(str, sorted(days)))


def test_a_window_is_described_in_dutch_for_a_dutch_reader():
    assert describe_days("123456", "nl") == "ma-za"
    assert describe_days("1357", "nl") == "ma,wo,vr,zo"
    assert window("mon-sat 09:00-20:00").describe("nl") == "ma-za 09:00-20:00"
    assert window("mon-sat 09:00-20:00").describe() == "mon-sat 09:00-20:00"


# -- edges of a day and of a week --------------------------------------------------------------


def test_the_window_is_open_from_its_opening_minute_until_just_before_closing():
    office_hours = window("mon-fri 09:00-18:00")
    monday = (2026, 6, 1)

    assert not office_hours.is_open(brussels(*monday, 8, 59, 59))
    assert office_hours.is_open(brussels(*monday, 9, 0))
    assert office_hours.is_open(brussels(*monday, 17, 59, 59))
    assert not office_hours.is_open(brussels(*monday, 18, 0))


def test_before_opening_a_mail_waits_for_the_same_days_opening():
    assert window().next_opening(brussels(2026, 6, 1, 7, 15)) == brussels(2026, 6, 1, 9, 0)


def test_after_closing_a_mail_waits_for_the_next_days_opening():
    assert window().next_opening(brussels(2026, 6, 2, 20, 0)) == brussels(2026, 6, 3, 9, 0)


def test_on_a_closed_weekend_a_mail_waits_for_monday():
    office_hours = window("mon-fri 09:00-18:00")
    friday_evening = brussels(2026, 6, 5, 18, 0)
    sunday_noon = brussels(2026, 6, 7, 12, 0)
    monday_morning = brussels(2026, 6, 8, 9, 0)

    assert office_hours.next_opening(friday_evening) == monday_morning
    assert office_hours.next_opening(sunday_noon) == monday_morning


def test_a_window_until_24_00_is_open_until_midnight():
    always = window("mon-sun 00:00-24:00")

    assert always.describe() == "mon-sun 00:00-24:00"
    assert always.is_open(brussels(2026, 6, 7, 23, 59, 59))
    assert always.is_open(brussels(2026, 6, 8, 0, 0))


def test_the_default_week_sends_on_saturday_but_not_on_sunday():
    saturday, sunday = brussels(2026, 6, 6, 10, 0), brussels(2026, 6, 7, 10, 0)
    assert window().is_open(saturday)
    assert window().next_opening(sunday) == brussels(2026, 6, 8, 9, 0)


def test_the_window_is_read_on_the_librarys_own_clock():
    lisbon = window("mon-fri 09:00-18:00", zone="Europe/Lisbon")  # an hour behind Brussels

    assert not lisbon.is_open(brussels(2026, 6, 1, 9, 30))
    assert lisbon.next_opening(brussels(2026, 6, 1, 9, 30)) == brussels(2026, 6, 1, 10, 0)


# -- the clock changes (Europe/Brussels: 29 March and 25 October 2026) ------------------------


def test_after_the_clocks_go_forward_the_window_opens_an_hour_earlier_in_utc():
    saturday_evening = brussels(2026, 3, 28, 20, 0)  # CET, UTC+1

    opening = window().next_opening(saturday_evening)

    assert opening == brussels(2026, 3, 30, 9, 0)  # Monday, CEST
    assert utc(opening) == dt.datetime(2026, 3, 30, 7, 0, tzinfo=dt.UTC)
    assert utc(window().next_opening(brussels(2026, 3, 28, 8, 0))).hour == 8  # still CET


def test_after_the_clocks_go_back_the_window_opens_an_hour_later_in_utc():
    saturday_evening = brussels(2026, 10, 24, 20, 0)  # CEST, UTC+2

    opening = window().next_opening(saturday_evening)

    assert opening == brussels(2026, 10, 26, 9, 0)  # Monday, CET
    assert utc(opening) == dt.datetime(2026, 10, 26, 8, 0, tzinfo=dt.UTC)
    assert not window().is_open(brussels(2026, 10, 26, 8, 30))


def test_on_the_sunday_of_each_change_a_seven_day_window_keeps_its_wall_clock_hours():
    every_day = window("mon-sun 09:00-20:00")
    for sunday in (dt.date(2026, 3, 29), dt.date(2026, 10, 25)):
        night = dt.datetime.combine(sunday, dt.time(1, 0), tzinfo=BRUSSELS)
        opening = every_day.next_opening(night)
        assert opening.astimezone(BRUSSELS).time() == dt.time(9, 0)
        assert not every_day.is_open(dt.datetime.combine(sunday, dt.time(20, 0), tzinfo=BRUSSELS))


def test_an_opening_time_the_clock_skips_opens_when_the_clock_jumps():
    early = window("mon-sun 02:30-06:00")

    opening = early.next_opening(brussels(2026, 3, 29, 0, 0))

    assert utc(opening) == dt.datetime(2026, 3, 29, 1, 0, tzinfo=dt.UTC)  # 03:00 CEST


def test_an_hour_the_clock_shows_twice_opens_the_first_time_round():
    early = window("mon-sun 02:30-02:45")

    opening = early.next_opening(brussels(2026, 10, 25, 0, 0))

    assert utc(opening) == dt.datetime(2026, 10, 25, 0, 30, tzinfo=dt.UTC)  # 02:30 CEST
    second_time_round = dt.datetime(2026, 10, 25, 1, 30, tzinfo=dt.UTC)  # 02:30 CET
    assert not early.is_open(second_time_round)


def test_a_local_day_is_23_or_25_hours_long_on_the_days_the_clocks_change():
    starts, ends = local_day(brussels(2026, 3, 29, 12, 0), BRUSSELS)
    assert ends - starts == dt.timedelta(hours=23)
    starts, ends = local_day(brussels(2026, 10, 25, 12, 0), BRUSSELS)
    assert ends - starts == dt.timedelta(hours=25)


def test_midnight_that_the_clock_skips_starts_the_day_when_the_clock_jumps():
    santiago = ZoneInfo("America/Santiago")  # clocks go forward at midnight
    start = wall_clock(dt.date(2026, 9, 6), dt.time(0), santiago)
    assert start.astimezone(santiago).time() == dt.time(1, 0)


# -- properties, over zones with odd clock changes ---------------------------------------------

ZONES = [
    "Europe/Brussels",
    "America/New_York",
    "Australia/Lord_Howe",  # half-hour change
    "America/Santiago",  # change at midnight
    "Asia/Kolkata",  # no change, half-hour offset
    "Pacific/Chatham",  # +12:45 / +13:45
]


@st.composite
def windows(draw) -> SendWindow:
    days = draw(st.sets(st.integers(1, 7), min_size=1))
    opens = draw(st.integers(0, 24 * 60 - 2))
    closes = draw(st.integers(opens + 1, 24 * 60))  # 24:00: until midnight
    return SendWindow(
        frozenset(days),
        dt.time(*divmod(opens, 60)),
        END_OF_DAY if closes == 24 * 60 else dt.time(*divmod(closes, 60)),
        time_zone(draw(st.sampled_from(ZONES))),
    )


moments = st.datetimes(
    min_value=dt.datetime(2024, 1, 1),
    max_value=dt.datetime(2030, 12, 31),
    timezones=st.just(dt.UTC),
)


@given(windows(), moments)
def test_the_next_opening_is_open_and_never_earlier_than_asked(send_window, moment):
    opening = send_window.next_opening(moment)

    assert opening >= moment
    assert send_window.is_open(opening)
    local = opening.astimezone(send_window.zone)
    assert local.isoweekday() in send_window.days
    assert send_window.opens <= local.time().replace(fold=0) < send_window.closes


@given(windows(), moments, st.floats(0, 1, exclude_max=True))
def test_nothing_before_the_next_opening_is_open(send_window, moment, fraction):
    opening = send_window.next_opening(moment)

    between = moment + (opening - moment) * fraction
    if between < opening:
        assert not send_window.is_open(between)
    if opening > moment:
        assert not send_window.is_open(opening - dt.timedelta(microseconds=1))
