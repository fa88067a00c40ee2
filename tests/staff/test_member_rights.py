"""The member's rights from the staff application: the network admin downloads a member's
export and erases a member (after typing the member id), both written to the audit log by
operations.erasure; a marketer may do neither."""

import json

import pytest
from django.urls import reverse

from patronflow.members.models import Member
from patronflow.privacy.models import AuditEntry
from patronflow.staff.access import SESSION_LIBRARY
from patronflow.staff.services import add_staff
from tests.factories import MemberFactory
from tests.staff.conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, library):
    admin = add_staff("netwerk", email="netwerk@bib.be", password=PASSWORD, role="admin")
    client.force_login(admin)
    session = client.session
    session[SESSION_LIBRARY] = library.pk
    session.save()
    return client


def test_the_admin_sees_the_members_rights_on_the_member_page(admin_client, library):
    member = MemberFactory(library=library)
    page = admin_client.get(reverse("staff:member", args=[member.pk])).content.decode()
    assert "Rechten van het lid" in page
    assert reverse("staff:member_export", args=[member.pk]) in page


def test_the_admin_downloads_everything_held_about_the_member_and_it_is_logged(
    admin_client, library
):
    member = MemberFactory(library=library, external_id="M42")

    response = admin_client.post(reverse("staff:member_export", args=[member.pk]))

    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="member-gent-M42.json"'
    )
    export = json.loads(response.content)
    assert export["library"]["code"] == "gent"
    assert AuditEntry.objects.filter(
        operator="staff:netwerk", action="exported", library_code="gent"
    ).exists()


def test_erasing_asks_for_the_member_id_first(admin_client, library):
    member = MemberFactory(library=library, external_id="M42")
    url = reverse("staff:member_erase", args=[member.pk])

    assert "M42" in admin_client.get(url).content.decode()
    page = admin_client.post(url, {"confirm": "M41"}).content.decode()

    assert "nothing is erased" in page or "niets gewist" in page
    assert Member.objects.filter(pk=member.pk).exists()
    assert not AuditEntry.objects.filter(action="erased").exists()


def test_the_admin_erases_a_member_and_it_is_logged(admin_client, library):
    member = MemberFactory(library=library, external_id="M42")

    response = admin_client.post(
        reverse("staff:member_erase", args=[member.pk]), {"confirm": "M42"}, follow=True
    )

    assert "Lid M42 is gewist" in response.content.decode()
    assert not Member.objects.filter(pk=member.pk).exists()
    assert AuditEntry.objects.filter(
        operator="staff:netwerk", action="erased", library_code="gent"
    ).exists()


def test_a_marketer_may_neither_export_nor_erase(staff_client, library):
    member = MemberFactory(library=library)

    page = staff_client.get(reverse("staff:member", args=[member.pk])).content.decode()
    export = staff_client.post(reverse("staff:member_export", args=[member.pk]))
    erase_page = staff_client.get(reverse("staff:member_erase", args=[member.pk]))
    erase = staff_client.post(
        reverse("staff:member_erase", args=[member.pk]), {"confirm": member.external_id}
    )

    assert (
        "member_export" not in page and reverse("staff:member_erase", args=[member.pk]) not in page
    )
    assert (export.status_code, erase_page.status_code, erase.status_code) == (403, 403, 403)
    assert Member.objects.filter(pk=member.pk).exists()
    assert not AuditEntry.objects.filter(action__in=["exported", "erased"]).exists()


def test_the_admin_reaches_only_members_of_the_library_they_work_on(admin_client, other_library):
    stranger = MemberFactory(library=other_library)
    response = admin_client.post(reverse("staff:member_export", args=[stranger.pk]))
    assert response.status_code == 404
