import pytest
from django.core.management import CommandError, call_command

from tests.factories import TODAY, MemberFactory


def test_tick_prints_what_each_journey_did_and_what_was_sent(library, smtp_server, capsys):
    MemberFactory(library=library, registered_on=TODAY)

    call_command("tick", "--now", f"{TODAY.isoformat()}T09:30")

    output = capsys.readouterr().out
    assert "welcome" in output
    assert "dormant" in output
    assert "Sent 1," in output
    assert len(smtp_server.messages) == 1


def test_tick_refuses_a_moment_it_cannot_read(library):
    with pytest.raises(CommandError, match="not an ISO date"):
        call_command("tick", "--now", "yesterday")
