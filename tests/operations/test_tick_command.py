import pytest
from django.core.management import CommandError, call_command

from patronflow.journeys.models import Step
from tests.factories import TODAY, MemberFactory


def test_tick_prints_what_each_journey_did_and_what_was_sent(library, smtp_server, capsys):
    MemberFactory(library=library, registered_on=TODAY)

    call_command("tick", "--now", f"{TODAY.isoformat()}T09:30")

    output = capsys.readouterr().out
    assert "welcome" in output
    assert "dormant" in output
    assert "Sent 1," in output
    assert len(smtp_server.messages) == 1


def test_tick_names_the_journeys_it_passed_over(library, smtp_server, capsys):
    journey = library.journeys.get(key="welcome")
    # A stored wait no definition may hold (ten years at most): dating mail 2 after it runs
    # past the calendar's end, so advancing the journey raises.
    Step.objects.filter(version__journey=journey, position=2).update(
        wait_from=Step.WaitFrom.PREVIOUS, wait_days=2_000_000_000
    )
    MemberFactory(library=library, registered_on=TODAY)

    call_command("tick", "--now", f"{TODAY.isoformat()}T09:30")

    output = capsys.readouterr().out
    assert "Passed over 1 journey that failed to advance" in output
    assert f"{library.code} welcome." in output


def test_tick_refuses_a_moment_it_cannot_read(library):
    with pytest.raises(CommandError, match="not an ISO date"):
        call_command("tick", "--now", "yesterday")
