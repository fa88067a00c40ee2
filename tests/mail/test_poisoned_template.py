"""A mail template that fails at send time, for some members only, in one library: its mails
fail alone with the reason, its journey is paused, and every other library's mail in the same
tick (the same batch) is delivered. The scheduler itself keeps running."""

import pytest

from patronflow.journeys.models import Journey
from patronflow.mail.models import Message
from patronflow.operations.tick import tick
from tests.factories import TODAY, MemberFactory, at
from tests.mail.helpers import new_members_in, run_tick, second_library, write_welcome_body

# Passes a check that renders the template for a member called An; fails for anyone else.
POISON = "<p>Dag {{ first_name }}</p>{% if first_name != 'An' %}{{ [].pop() }}{% endif %}"


def poison_the_welcome_mail(library) -> None:
    write_welcome_body(library, POISON)


@pytest.fixture
def two_libraries(library):
    return library, second_library()


@pytest.mark.django_db(transaction=True)
def test_a_poisoned_template_fails_its_own_mails_and_the_other_librarys_are_delivered(
    two_libraries, smtp_server
):
    gent, brugge = two_libraries
    poison_the_welcome_mail(gent)  # the first library a claim takes: its mails lead the batch
    new_members_in(gent, brugge)

    run = run_tick()

    assert run.returncode == 0, run.stdout + run.stderr
    delivered = {mail["To"].addresses[0].addr_spec for mail in smtp_server.messages}
    assert delivered == set(brugge.members.values_list("email", flat=True)), (
        "the other library's mails were held up"
    )
    failed = Message.objects.filter(library=gent)
    assert {message.status for message in failed} == {Message.Status.FAILED}
    assert all(message.last_error.startswith("template: ") for message in failed)
    welcome = Journey.objects.get(library=gent, key="welcome")
    assert welcome.status == Journey.Status.PAUSED
    assert "5 van de 5 mails van stap 1" in welcome.pause_reason
    assert Journey.objects.get(library=brugge, key="welcome").status == Journey.Status.ACTIVE


def test_a_journey_paused_on_its_template_holds_the_members_still_to_come(library, smtp_server):
    poison_the_welcome_mail(library)
    MemberFactory.create_batch(4, library=library, registered_on=TODAY)
    tick(at(TODAY))
    # Members who register while it is paused get nothing until staff mend it and resume it.
    welcome = Journey.objects.get(library=library, key="welcome")
    assert welcome.status == Journey.Status.PAUSED
    MemberFactory.create_batch(2, library=library, registered_on=TODAY)
    tick(at(TODAY, hour=11))

    assert smtp_server.messages == []
    assert Message.objects.filter(status=Message.Status.FAILED).count() == 4


def test_one_members_failure_does_not_pause_the_journey(library, smtp_server):
    """Most of the step's mails went: the template is fine for most members, so the journey
    goes on; the one mail that failed says why."""
    write_welcome_body(
        library, "<p>Dag {{ first_name }}</p>{% if first_name == 'Zoë' %}{{ 1 // 0 }}{% endif %}"
    )
    MemberFactory(library=library, registered_on=TODAY, first_name="Zoë")
    MemberFactory.create_batch(4, library=library, registered_on=TODAY)

    summary = tick(at(TODAY))

    assert (summary.sending.sent, summary.sending.failed) == (4, 1)
    assert Journey.objects.get(library=library, key="welcome").status == Journey.Status.ACTIVE
    failed = Message.objects.get(status=Message.Status.FAILED)
    assert failed.last_error.startswith("template: ")
