"""Bounces go with the member; the suppression list keeps stopping mail to a bounced or
complained address after the member is erased or purged, without holding it in clear."""

import datetime as dt
import json

import pytest
from django.core.management import call_command

from patronflow.mail.bounces import suppress
from patronflow.mail.models import Bounce, Message
from patronflow.members.models import Member
from patronflow.operations.erasure import ADDRESS_HASHED, erase_member
from patronflow.operations.imports import import_rows
from patronflow.operations.purge import purge
from patronflow.privacy.models import Suppression
from patronflow.privacy.references import address_reference
from patronflow.privacy.rules import is_suppressed, mailable_condition
from tests.factories import TODAY, MemberFactory, at
from tests.privacy.history import member_with_history

ADDRESS = "ann.peeters@example.org"


@pytest.fixture
def bounced(library) -> Member:
    """Ann's address bounced hard on a mail she was sent, and is suppressed."""
    ann = member_with_history(library, email=ADDRESS, external_id="M1")
    message = Message.objects.filter(enrolment__member=ann, status="sent").get()
    Bounce.objects.create(
        library=library,
        message_id=message.pk,
        email=ADDRESS,
        kind=Bounce.Kind.HARD,
        status_code="5.1.1",
        diagnostic=f"550 5.1.1 <{ADDRESS}>: no such user",
        received_at=at(TODAY),
    )
    suppress(library, ADDRESS, Suppression.Reason.HARD_BOUNCE, message.pk)
    return ann


def test_erasure_removes_the_bounces_and_keeps_the_suppression_as_a_hash(library, bounced):
    removed = erase_member(bounced, "desk")

    assert not Bounce.objects.exists()
    suppression = Suppression.objects.get()
    assert (suppression.email, suppression.source_message_id) == ("", None)
    assert suppression.address_ref == address_reference(ADDRESS)
    assert (removed["mail.bounce"], removed[ADDRESS_HASHED]) == (1, 1)


def test_the_purge_does_the_same_for_an_ex_member(library, bounced):
    Member.objects.filter(pk=bounced.pk).update(membership_ends_on=TODAY - dt.timedelta(days=800))

    purge(TODAY, operator="cron")

    assert not Bounce.objects.exists()
    assert Suppression.objects.get().email == ""


def test_the_dry_run_counts_the_bounces_and_addresses_the_purge_would_touch(library, bounced):
    Member.objects.filter(pk=bounced.pk).update(membership_ends_on=TODAY - dt.timedelta(days=800))

    planned = purge(TODAY, operator="cron", dry_run=True).rows(library.code)

    assert (planned["mail.bounce"], planned[ADDRESS_HASHED]) == (1, 1)
    assert Bounce.objects.count() == 1 and Suppression.objects.get().email == ADDRESS
    done = purge(TODAY, operator="cron").rows(library.code)
    assert (done["mail.bounce"], done[ADDRESS_HASHED]) == (1, 1)


def test_an_erased_address_that_comes_back_is_still_not_mailed(library, bounced):
    erase_member(bounced, "desk", today=TODAY)
    rows = [
        {
            "member_id": "M77",
            "first_name": "Ann",
            "email": ADDRESS.upper(),
            "birth_date": "1980-05-17",
            "registered_on": "2026-06-10",
        }
    ]

    import_rows(library, "members", rows, source="arrivals", today=dt.date(2026, 6, 10))

    back = Member.objects.get(external_id="M77")
    assert is_suppressed(back)
    assert not Member.objects.filter(mailable_condition(TODAY), pk=back.pk).exists()
    assert Suppression.objects.get().email == ADDRESS  # held in clear again: in use again


def test_a_member_made_outside_an_import_is_matched_by_the_hash(library, bounced):
    erase_member(bounced, "desk")

    assert is_suppressed(MemberFactory(library=library, email=ADDRESS))


def test_an_address_another_member_still_has_stays_in_clear(library, bounced):
    MemberFactory(library=library, email=ADDRESS)  # the family's shared address

    erase_member(bounced, "desk")

    assert Suppression.objects.get().email == ADDRESS


def test_the_export_holds_the_members_bounces_and_suppressions(library, bounced, capsys):
    call_command("member", "export", "M1", "--library", "gent")
    export = json.loads(capsys.readouterr().out)

    assert [b["diagnostic"] for b in export["bounces"]] == [f"550 5.1.1 <{ADDRESS}>: no such user"]
    assert [(s["email"], s["reason"]) for s in export["suppressions"]] == [(ADDRESS, "hard_bounce")]
