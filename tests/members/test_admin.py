"""The admin shows imported data read-only: the next import would overwrite any edit."""

from django.urls import reverse

from tests.factories import ItemFactory, MemberFactory


def test_a_member_can_only_be_unsubscribed_in_the_admin(library, admin_client):
    member = MemberFactory(library=library, first_name="Anna")

    page = admin_client.get(reverse("admin:members_member_change", args=[member.pk]))

    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="unsubscribed_at_0"' in html
    assert 'name="first_name"' not in html and "Anna" in html


def test_items_cannot_be_edited_or_added_in_the_admin(library, admin_client):
    item = ItemFactory(library=library)

    assert admin_client.get(reverse("admin:members_item_add")).status_code == 403
    page = admin_client.get(reverse("admin:members_item_change", args=[item.pk]))
    assert page.status_code == 200 and 'name="title"' not in page.content.decode()
