"""The scheduled purge as cron runs it: no date given, the machine's clock decides. The clock
is moved with time-machine across the day an ex-member's two years run out."""

import datetime as dt
from zoneinfo import ZoneInfo

import time_machine
from django.core.management import call_command
from django.utils import timezone

from patronflow.operations.personal_data import rows_per_table
from patronflow.operations.purge import purge
from tests.factories import TODAY
from tests.privacy.history import member_with_history

BRUSSELS = ZoneInfo("Europe/Brussels")
ENDED = TODAY - dt.timedelta(days=400)
LAST_DAY_KEPT = ENDED + dt.timedelta(days=730)


def at_the_libraries_clock(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=BRUSSELS)


def test_the_daily_purge_keeps_an_ex_member_through_the_last_day_and_removes_them_after(
    library,
):
    ex_member = member_with_history(library, membership_ends_on=ENDED)
    # Their loans and visit are older than the loan history by then and go in any case.
    history = {"members.loan": 0, "members.visit": 0}
    kept = rows_per_table([ex_member.pk]) | history

    # Late on the last day in Brussels (already the next day in some time zones): kept.
    with time_machine.travel(at_the_libraries_clock(LAST_DAY_KEPT, 23), tick=False):
        call_command("purge")
    assert rows_per_table([ex_member.pk]) | history == kept

    # Just after midnight: two years and a day; every personal row goes.
    next_day = LAST_DAY_KEPT + dt.timedelta(days=1)
    with time_machine.travel(at_the_libraries_clock(next_day, 0) + dt.timedelta(minutes=5)):
        call_command("purge")
    assert rows_per_table([ex_member.pk]) == {}


def test_running_it_again_the_same_day_changes_nothing(library):
    member_with_history(library, membership_ends_on=ENDED)
    after = at_the_libraries_clock(LAST_DAY_KEPT + dt.timedelta(days=1), 3)

    with time_machine.travel(after, tick=False):
        first = purge(timezone.localdate(), operator="cron")
        second = purge(timezone.localdate(), operator="cron")

    assert first.rows(library.code)["members.member"] == 1
    assert second.rows(library.code)["members.member"] == 0
