"""The age gate counts birthdays the way people do, also on 29 February."""

import datetime as dt

from patronflow.privacy.rules import why_not_mailable
from tests.factories import MemberFactory


def test_on_29_february_a_member_whose_birthday_is_tomorrow_is_not_yet_old_enough(db, settings):
    settings.MINIMUM_MAILING_AGE = 18
    leap_day = dt.date(2028, 2, 29)  # 18 years earlier, 2010, has no 29 February
    turned_18 = MemberFactory(birth_date=dt.date(2010, 2, 28))
    turns_18_tomorrow = MemberFactory(birth_date=dt.date(2010, 3, 1))

    assert why_not_mailable(turned_18, leap_day) is None
    assert why_not_mailable(turns_18_tomorrow, leap_day) == "under 18"
