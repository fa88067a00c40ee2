"""`patronflow library add/set`: when a library's mails may leave and how many."""

import datetime as dt
import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from patronflow.members.models import Library
from tests.factories import LibraryFactory

pytestmark = pytest.mark.django_db


def library_command(*args: str) -> str:
    out = StringIO()
    call_command("library", *args, stdout=out)
    return out.getvalue()


def test_a_new_library_sends_monday_to_saturday_from_nine_to_eight_in_brussels():
    library_command("add", "gent", "--name", "Bibliotheek Gent")

    gent = Library.objects.get(code="gent")
    assert gent.send_window.describe() == "mon-sat 09:00-20:00"
    assert gent.time_zone == "Europe/Brussels"
    assert (gent.member_weekly_cap, gent.daily_cap) == (2, None)


def test_library_add_takes_a_send_window_time_zone_and_caps():
    library_command(
        "add", "gent", "--name", "Bibliotheek Gent",
        "--send-window", "mon-fri 09:00-18:00", "--time-zone", "Europe/Amsterdam",
        "--member-weekly-cap", "1", "--daily-cap", "5000",
    )  # fmt: skip

    gent = Library.objects.get(code="gent")
    assert (gent.send_days, gent.send_opens_at, gent.send_closes_at) == (
        "12345",
        dt.time(9),
        dt.time(18),
    )
    assert gent.time_zone == "Europe/Amsterdam"
    assert (gent.member_weekly_cap, gent.daily_cap) == (1, 5000)


def test_library_set_changes_the_window_and_none_or_zero_lifts_a_cap():
    LibraryFactory(code="gent", daily_cap=100)

    out = library_command(
        "set", "gent", "--send-window", "mon,wed,sat 10:00-16:00",
        "--member-weekly-cap", "none", "--daily-cap", "0",
    )  # fmt: skip

    assert "Changed gent: send_window, member_weekly_cap, daily_cap" in out
    gent = Library.objects.get(code="gent")
    assert gent.send_window.describe() == "mon,wed,sat 10:00-16:00"
    assert (gent.member_weekly_cap, gent.daily_cap) == (None, None)


def test_library_list_shows_when_and_how_much_each_library_sends():
    LibraryFactory(code="gent", daily_cap=500)

    out = library_command("list")

    for shown in ("mon-sat 09:00-20:00", "Europe/Brussels", "≤2 per member / 7 days", "≤500 a day"):
        assert shown in out


@pytest.mark.parametrize(
    ("option", "value", "says"),
    [
        ("--send-window", "weekdays 9-18", "--send-window: 'weekdays 9-18' is not a send window"),
        ("--send-window", "sat-mon 09:00-18:00", "--send-window: 'sat-mon' runs backwards"),
        ("--send-window", "mon-fri 18:00-09:00", "--send-window: the window opens at 18:00"),
        ("--send-window", "mon-fri 09:00-24:30", "--send-window: '24:30' is not a time of day"),
        ("--time-zone", "Brussels", "--time-zone: 'Brussels' is not a time zone"),
        ("--time-zone", "CET+1", "--time-zone: 'CET+1' is not a time zone"),
        ("--daily-cap", "lots", "--daily-cap: 'lots' is not a number of mails"),
        ("--member-weekly-cap", "-1", "--member-weekly-cap: '-1' is not a number of mails"),
    ],
)
def test_bad_sending_options_are_refused_naming_the_option(option, value, says):
    LibraryFactory(code="gent")

    with pytest.raises(CommandError, match=re.escape(says)):
        library_command("set", "gent", option, value)

    gent = Library.objects.get(code="gent")
    assert (gent.send_days, gent.time_zone, gent.daily_cap) == ("123456", "Europe/Brussels", None)


def test_a_bad_window_on_add_leaves_no_library_behind():
    with pytest.raises(CommandError, match="--send-window: 'zondag' is not a day"):
        library_command("add", "gent", "--name", "Gent", "--send-window", "zondag 10:00-12:00")

    assert not Library.objects.exists()
