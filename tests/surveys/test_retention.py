"""The focus group's volunteers are kept until the date they were promised, and the daily
purge (`patronflow purge`) removes them the day after, counted in its output."""

import datetime as dt

import pytest
from django.core.management import call_command

from patronflow.operations.purge import purge
from patronflow.privacy.models import AuditEntry
from patronflow.surveys import services
from patronflow.surveys.models import Response, Volunteer
from tests.surveys.helpers import make_survey

pytestmark = pytest.mark.django_db

SIGNED_UP = dt.datetime(2026, 3, 1, 10, 0, tzinfo=dt.UTC)


def volunteer(survey, name: str = "Sara") -> Volunteer:
    return services.add_volunteer(survey=survey, name=name, email=f"{name}@example.org",
                                  phone="", consent_text="…", now=SIGNED_UP)  # fmt: skip


def test_a_volunteer_is_kept_through_the_promised_day_and_purged_after_it(library):
    survey = make_survey(library)  # 180 days
    kept = volunteer(survey)
    last_day = dt.date(2026, 3, 1) + dt.timedelta(days=180)
    assert kept.retain_until == last_day
    services.submit_response(survey=survey, channel="mail", answers={}, today=last_day)

    on_the_day = purge(last_day, operator="test")
    assert Volunteer.objects.filter(pk=kept.pk).exists()
    assert on_the_day.total["surveys.volunteer"] == 0

    after = purge(last_day + dt.timedelta(days=1), operator="test")
    assert not Volunteer.objects.exists()
    assert after.libraries["gent"]["surveys.volunteer"] == 1
    assert Response.objects.count() == 1  # the anonymous answers stay
    assert AuditEntry.objects.get(action="purged").counts["surveys.volunteer"] == 1


def test_the_purge_command_counts_the_volunteers_and_a_dry_run_keeps_them(library, capsys):
    survey = make_survey(library)
    volunteer(survey, "sara")
    volunteer(survey, "jan")
    later = "2027-01-01"

    call_command("purge", "--dry-run", "--now", later)
    assert Volunteer.objects.count() == 2
    call_command("purge", "--now", later)

    output = capsys.readouterr().out
    assert output.count("surveys.volunteer") == 2 and not Volunteer.objects.exists()
