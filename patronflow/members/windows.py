"""Send windows: the hours, in the library's own time zone, in which its mails may leave.

A window is open from the first moment the library's wall clock shows the opening time until
the first moment it shows the closing time, on the days it names. Wall times become aware
datetimes through zoneinfo for the day in question, so the edges stay right when the clocks
change (a fixed UTC offset would be an hour off for half the year).

Pure functions over aware datetimes; what they return is in UTC, because Python compares two
datetimes of the same zone by their wall-clock reading, which is ambiguous when clocks go back.
"""

import datetime as dt
import re
import zoneinfo
from dataclasses import dataclass
from functools import cache

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # ISO weekday 1..7
# The words for each day a window may be written with, per language: how a window is shown
# first, then the full name. English is the command line's and is read in every language.
DAY_WORDS = {
    "en": (
        ("mon", "monday"), ("tue", "tuesday"), ("wed", "wednesday"), ("thu", "thursday"),
        ("fri", "friday"), ("sat", "saturday"), ("sun", "sunday"),
    ),
    "nl": (
        ("ma", "maandag"), ("di", "dinsdag"), ("wo", "woensdag"), ("do", "donderdag"),
        ("vr", "vrijdag"), ("za", "zaterdag"), ("zo", "zondag"),
    ),
}  # fmt: skip
DEFAULT_TIME_ZONE = "Europe/Brussels"
# Monday to Saturday, as most Flemish libraries open on Saturday and members read mail then;
# never on Sunday, before 09:00 or in the late evening.
DEFAULT_DAYS = "123456"
DEFAULT_OPENS = dt.time(9)
DEFAULT_CLOSES = dt.time(20)
# A window closing at '24:00' stays open until midnight: e.g. 'mon-sun 00:00-24:00', always.
END_OF_DAY = dt.time.max
WEEK = dt.timedelta(days=7)

_WINDOW = re.compile(
    r"(?P<days>[a-z,\-\s]+?)\s+(?P<opens>\d{1,2}:\d{2})\s*-\s*(?P<closes>\d{1,2}:\d{2})"
)


class WindowProblem(ValueError):
    """A send window or time zone that cannot be used; the message says how to write it (in
    English, for the command line). `reason` names the mistake and `part` the text it is in,
    for a screen to say it in its own language: 'unreadable', 'day', 'backwards', 'time'
    (part: the text concerned) or 'order' (part: the hours)."""

    def __init__(self, message: str, reason: str = "", part: str = "") -> None:
        super().__init__(message)
        self.reason = reason
        self.part = part


@cache
def time_zone(name: str) -> zoneinfo.ZoneInfo:
    """The IANA zone of that name, e.g. 'Europe/Brussels'; WindowProblem if there is none."""
    if name not in _known_zones():
        raise WindowProblem(
            f"{name!r} is not a time zone: use an IANA name such as 'Europe/Brussels'"
        )
    return zoneinfo.ZoneInfo(name)


@cache
def _known_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def validate_time_zone(name: str) -> None:
    """Model field validator: the same check as `time_zone`, as a Django ValidationError."""
    from django.core.exceptions import ValidationError

    try:
        time_zone(name)
    except WindowProblem as problem:
        raise ValidationError(str(problem)) from None


@dataclass(frozen=True)
class SendWindow:
    """Days (ISO weekdays, 1 = Monday) and opening hours in one time zone."""

    days: frozenset[int]
    opens: dt.time
    closes: dt.time
    zone: zoneinfo.ZoneInfo

    def __post_init__(self) -> None:
        if not self.days or not self.days <= set(range(1, 8)):
            raise WindowProblem("a send window needs at least one day, e.g. 'mon-fri'")
        if self.opens >= self.closes:
            hours = f"{_clock(self.opens)}-{_clock(self.closes)}"
            raise WindowProblem(
                f"the window opens at {_clock(self.opens)} but closes at {_clock(self.closes)}: "
                "it must close later on the same day",
                reason="order",
                part=hours,
            )

    def opening_and_closing(self, day: dt.date) -> tuple[dt.datetime, dt.datetime] | None:
        """The window on `day` as aware moments, or None when it stays shut that day."""
        if day.isoweekday() not in self.days:
            return None
        opening, closing = (
            wall_clock(day, self.opens, self.zone),
            wall_clock(day, self.closes, self.zone),
        )
        return (opening, closing) if opening < closing else None

    def is_open(self, moment: dt.datetime) -> bool:
        """Whether a mail may leave at `moment`."""
        return self.next_opening(moment) == moment

    def next_opening(self, moment: dt.datetime) -> dt.datetime:
        """`moment` itself when the window is open then, else the next moment it opens."""
        moment = moment.astimezone(dt.UTC)
        today = moment.astimezone(self.zone).date()
        for offset in range(15):  # two weeks: a day lost to a clock change still has a next
            window = self.opening_and_closing(today + dt.timedelta(days=offset))
            if window and moment < window[1]:
                return max(moment, window[0])
        raise AssertionError("a window with days always opens within two weeks")

    def describe(self, language: str = "en") -> str:
        """As `--send-window` takes it, e.g. 'mon-sat 09:00-20:00', or in the words of
        `language` ('ma-za 09:00-20:00' in Dutch)."""
        return describe_window(self.days, self.opens, self.closes, language)


def wall_clock(day: dt.date, time: dt.time, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    """The first moment on `day` at which the clock in `zone` shows `time` or later (in UTC).

    In an hour that happens twice (clocks go back) that is the first time round; in an hour
    that does not exist (clocks go forward) it is the moment the clock jumps.
    """
    naive = dt.datetime.combine(day, time)
    moment = naive.replace(tzinfo=zone).astimezone(dt.UTC)  # fold=0: the first time round
    if moment.astimezone(zone).replace(tzinfo=None) == naive:
        return moment
    # `time` falls in the gap: find the jump, to the second, between the two readings of it.
    before = int(naive.replace(tzinfo=zone, fold=1).timestamp())
    after = int(moment.timestamp())
    while after - before > 1:
        middle = (before + after) // 2
        if dt.datetime.fromtimestamp(middle, zone).replace(tzinfo=None) >= naive:
            after = middle
        else:
            before = middle
    return dt.datetime.fromtimestamp(after, dt.UTC)


def local_day(moment: dt.datetime, zone: zoneinfo.ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """The start of the local day `moment` falls on and the start of the next one."""
    day = moment.astimezone(zone).date()
    return wall_clock(day, dt.time(0), zone), wall_clock(
        day + dt.timedelta(days=1), dt.time(0), zone
    )


def parse_window(text: str, language: str = "en") -> tuple[str, dt.time, dt.time]:
    """'mon-fri 09:00-18:00' → ('12345', 09:00, 18:00); days may also be 'mon,wed,sat'
    or 'mon-fri,sat', in full ('monday-friday'), or in the words of `language` as well
    ('ma-vr', 'maandag-vrijdag'). Raises WindowProblem saying what is wrong."""
    match = _WINDOW.fullmatch(text.strip().lower())
    if not match:
        raise WindowProblem(
            f"{text!r} is not a send window: write the days and hours, "
            "e.g. 'mon-fri 09:00-18:00' or 'mon,wed,sat 10:00-16:00'",
            reason="unreadable",
            part=text.strip(),
        )
    days = parse_days(match["days"], language)
    opens, closes = _parse_time(match["opens"]), _parse_time(match["closes"], closing=True)
    SendWindow(frozenset(int(d) for d in days), opens, closes, zoneinfo.ZoneInfo("UTC"))
    return days, opens, closes


def parse_days(text: str, language: str = "en") -> str:
    """'mon-fri,sun' → '123457' (ISO weekdays in order, as the Library stores them); in
    the words of `language` too ('ma-vr,zo')."""
    weekdays = _weekdays(language)
    days: set[int] = set()
    for part in text.replace(" ", "").split(","):
        first, _, last = part.partition("-")
        try:
            start = weekdays[first]
            end = weekdays[last] if last else start
        except KeyError:
            raise WindowProblem(
                f"{part!r} is not a day or range of days: use {', '.join(DAY_NAMES)}, "
                "e.g. 'mon-fri' or 'mon,wed,fri'",
                reason="day",
                part=part,
            ) from None
        if end < start:
            raise WindowProblem(
                f"{part!r} runs backwards: write the days from Monday on",
                reason="backwards",
                part=part,
            )
        days.update(range(start, end + 1))
    return "".join(str(day) for day in sorted(days))


def _weekdays(language: str) -> dict[str, int]:
    """Every word for a day that a window in `language` may use → its ISO weekday."""
    words = {}
    for names in {DAY_WORDS["en"], day_words(language)}:
        for number, (short, full) in enumerate(names, start=1):
            words[short] = words[full] = number
    return words


def day_words(language: str) -> tuple[tuple[str, str], ...]:
    """The days' words in `language` ('nl', 'nl-be', 'en'), English for one we do not have."""
    return DAY_WORDS.get(language.lower().split("-")[0], DAY_WORDS["en"])


def describe_window(
    days: frozenset[int] | str, opens: dt.time, closes: dt.time, language: str = "en"
) -> str:
    """The window as it is written: 'mon-sat 09:00-20:00', in Dutch 'ma-za 09:00-20:00'."""
    return f"{describe_days(days, language)} {_clock(opens)}-{_clock(closes)}"


def describe_days(days: frozenset[int] | str, language: str = "en") -> str:
    """'123456' or {1, ..., 6} → 'mon-sat' (Dutch: 'ma-za'); runs of days become ranges."""
    names = [short for short, _ in day_words(language)]
    numbers = sorted(int(day) for day in days)
    runs: list[list[int]] = []
    for day in numbers:
        if runs and day == runs[-1][-1] + 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    return ",".join(
        names[run[0] - 1] + (f"-{names[run[-1] - 1]}" if len(run) > 1 else "") for run in runs
    )


def _parse_time(text: str, closing: bool = False) -> dt.time:
    hours, minutes = (int(part) for part in text.split(":"))
    if closing and (hours, minutes) == (24, 0):
        return END_OF_DAY
    if hours > 23 or minutes > 59:
        raise WindowProblem(
            f"{text!r} is not a time of day: use HH:MM, e.g. 09:00", reason="time", part=text
        )
    return dt.time(hours, minutes)


def _clock(time: dt.time) -> str:
    return "24:00" if time == END_OF_DAY else f"{time:%H:%M}"
