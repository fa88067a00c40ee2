"""`member export` and `member erase` also cover the sign-ups (choices.Contact) made under the
member's address at the library, pending or confirmed, with their consent records: a request
waits up to 30 days, and a contact confirmed before the address became a member's stays one.
Another library's sign-ups, and those under an address another member still has, stay."""

import json

import pytest
from django.core.management import call_command

from patronflow.choices import signup
from patronflow.choices.models import ConsentRecord, Contact, MailingList
from patronflow.privacy.models import AuditEntry
from patronflow.tracking.services import choose_list
from tests.factories import LibraryFactory, MemberFactory

pytestmark = pytest.mark.django_db


def a_list(library, key: str) -> MailingList:
    return MailingList.objects.create(
        library=library, key=key, name=key.title(), members_join_by_default=False
    )


@pytest.fixture
def member_with_sign_ups(library):
    """A member whose address asked for one list (pending) and confirmed another before it
    was a member's address; the same address at another library signed up too."""
    pending = signup.request_signup(
        a_list(library, "kinderen"), email="lotte@example.org", language="nl"
    )
    confirmed = signup.request_signup(
        a_list(library, "lezen"), email="lotte@example.org", language="en"
    )
    signup.confirm(confirmed, choose=choose_list)
    elsewhere = signup.request_signup(
        a_list(LibraryFactory(code="brugge"), "kinderen"), email="lotte@example.org", language="nl"
    )
    member = MemberFactory(library=library, email="Lotte@Example.org")
    return member, pending, confirmed, elsewhere


def test_the_export_holds_the_members_sign_ups_with_their_consent_records(
    library, member_with_sign_ups, capsys
):
    member, *_ = member_with_sign_ups

    call_command("member", "export", member.external_id, "--library", "gent", "--by", "an")

    export = json.loads(capsys.readouterr().out)
    sign_ups = {row["list"]: row for row in export["sign_ups"]}
    assert set(sign_ups) == {"kinderen", "lezen"}
    assert sign_ups["kinderen"]["confirmed_at"] is None
    assert sign_ups["lezen"]["confirmed_at"] is not None
    assert [c["choice"] for c in sign_ups["lezen"]["consent_records"]] == [
        "requested",
        "confirmed",
    ]
    assert sign_ups["lezen"]["consent_records"][0]["wording"]
    entry = AuditEntry.objects.get(action="exported")
    assert entry.counts["choices.contact"] == 2


def test_erasure_takes_the_members_sign_ups_and_their_consent_records(
    library, member_with_sign_ups
):
    member, pending, confirmed, elsewhere = member_with_sign_ups

    call_command("member", "erase", member.external_id, "--library", "gent", "--by", "an")

    assert list(Contact.objects.all()) == [elsewhere]
    assert not ConsentRecord.objects.filter(contact_id__in=[pending.pk, confirmed.pk]).exists()
    assert ConsentRecord.objects.filter(contact=elsewhere).exists()
    entry = AuditEntry.objects.get(action="erased")
    assert entry.counts["choices.contact"] == 2
    assert entry.counts["choices.consentrecord"] == 3


def test_a_sign_up_under_an_address_another_member_still_has_stays(library, member_with_sign_ups):
    member, *_ = member_with_sign_ups
    MemberFactory(library=library, email="lotte@example.org")  # a family's shared address

    call_command("member", "erase", member.external_id, "--library", "gent", "--by", "an")

    assert Contact.objects.filter(library=library).count() == 2
