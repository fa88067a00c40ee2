"""The Lists screen: a marketer adds a list (its key made from its name, unique in the
library), renames it (the key stays), puts lists in order, says who receives a list, and
removes one only while no journey goes out on it; each change is audit-logged; member
counts from 1 to 9 are shown as "< 10"; each list that is not a service list has a sign-up
form to copy that posts to our address and needs nothing of ours.

A list is removed only while nothing keeps it (no journey, not a standard list, nobody's
choice or sign-up), and a list members left does not become a service list: whatever staff
do, a member who left a list is not mailed on it again."""

import pytest
from django.urls import reverse

from patronflow.choices.lists import FIELDS, MembersLeft, list_rows, update_list
from patronflow.choices.models import Contact, ListChoice, MailingList
from patronflow.choices.queries import receives
from patronflow.choices.services import list_for
from patronflow.privacy.models import AuditEntry
from patronflow.tracking.services import choose_list
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db

NEW = {
    "name": "Activiteiten voor kinderen",
    "name_en": "Activities for children",
    "description": "Voorlezen, knutselen en meer.",
    "description_en": "",
    "receivers": "who_joins",
}


def ordered_keys(library) -> list[str]:
    return [row.mailing_list.key for row in list_rows(library)]


def test_the_screen_shows_the_lists_in_order_with_their_journeys(staff_client, library):
    response = staff_client.get(reverse("staff:lists"))

    assert response.status_code == 200
    page = response.content.decode()
    assert page.index("Welkomstmails") < page.index("Nieuwsbrief") < page.index("Berichten over")
    welcome = library.journeys.get(key="welcome")
    assert welcome.name in page


def test_a_new_list_gets_a_key_from_its_name_unique_in_the_library(staff_client, library):
    first = staff_client.post(reverse("staff:lists"), NEW)
    second = staff_client.post(reverse("staff:lists"), NEW)

    made = MailingList.objects.filter(library=library, name=NEW["name"]).order_by("pk")
    assert [m.key for m in made] == ["activiteiten-voor-kinderen", "activiteiten-voor-kinderen-2"]
    assert first.url == reverse("staff:list", args=[made[0].pk])
    assert second.status_code == 302
    assert not made[0].members_join_by_default and not made[0].service
    assert ordered_keys(library)[-2:] == [m.key for m in made]
    entry = AuditEntry.objects.filter(subject="list activiteiten-voor-kinderen").get()
    assert entry.operator == "staff:an" and entry.changes["name"] == [None, NEW["name"]]


def test_a_list_without_a_name_is_refused_on_the_field(staff_client, library):
    before = MailingList.objects.count()
    response = staff_client.post(reverse("staff:lists"), {**NEW, "name": ""})
    assert response.status_code == 200
    assert response.context["form"].errors["name"]
    assert MailingList.objects.count() == before


def test_renaming_keeps_the_key_and_logs_what_changed(staff_client, library):
    newsletter = list_for(library, "newsletter")
    response = staff_client.post(
        reverse("staff:list", args=[newsletter.pk]),
        {
            "name": "Bibnieuws",
            "name_en": "Library news",
            "description": "Elke maand.",
            "description_en": "Every month.",
            "receivers": "everyone",
        },
    )

    assert response.status_code == 302
    newsletter.refresh_from_db()
    assert (newsletter.key, newsletter.name, newsletter.name_en) == (
        "newsletter",
        "Bibnieuws",
        "Library news",
    )
    entry = AuditEntry.objects.get(subject="list newsletter")
    assert entry.changes["name"] == ["Nieuwsbrief", "Bibnieuws"]
    assert "service" not in entry.changes


def test_who_receives_it_sets_service_and_default(staff_client, library):
    newsletter = list_for(library, "newsletter")
    url = reverse("staff:list", args=[newsletter.pk])
    base = {"name": "Nieuwsbrief", "name_en": "", "description": "", "description_en": ""}
    staff_client.post(url, {**base, "receivers": "service"})
    newsletter.refresh_from_db()
    assert newsletter.service
    response = staff_client.get(url)
    assert response.context["form"].initial["receivers"] == "service"
    assert response.context["snippets"] == []  # a service list has no sign-up form
    staff_client.post(url, {**base, "receivers": "who_joins"})
    newsletter.refresh_from_db()
    assert (newsletter.service, newsletter.members_join_by_default) == (False, False)


def test_lists_move_up_and_down(staff_client, library):
    membership = list_for(library, "membership")
    assert ordered_keys(library) == ["welcome", "newsletter", "membership"]

    staff_client.post(reverse("staff:list_move", args=[membership.pk]), {"direction": "up"})
    assert ordered_keys(library) == ["welcome", "membership", "newsletter"]
    staff_client.post(reverse("staff:list_move", args=[membership.pk]), {"direction": "up"})
    staff_client.post(reverse("staff:list_move", args=[membership.pk]), {"direction": "up"})
    assert ordered_keys(library) == ["membership", "welcome", "newsletter"]
    staff_client.post(reverse("staff:list_move", args=[membership.pk]), {"direction": "down"})
    assert ordered_keys(library) == ["welcome", "membership", "newsletter"]
    assert AuditEntry.objects.filter(subject="list membership").count() == 3


def test_a_list_with_journeys_is_not_removed_and_says_which(staff_client, library):
    welcome = list_for(library, "welcome")
    journey = library.journeys.get(key="welcome")

    response = staff_client.post(reverse("staff:list_delete", args=[welcome.pk]), follow=True)

    assert MailingList.objects.filter(pk=welcome.pk).exists()
    assert journey.name in response.content.decode()
    page = staff_client.get(reverse("staff:list", args=[welcome.pk])).content.decode()
    assert "kan niet verwijderd" in page or "cannot be removed" in page


def test_a_list_nothing_keeps_is_removed_and_logged(staff_client, library):
    staff_client.post(reverse("staff:lists"), NEW)
    made = MailingList.objects.get(library=library, key="activiteiten-voor-kinderen")
    page = staff_client.get(reverse("staff:list", args=[made.pk]))
    assert not page.context["keeps"]

    response = staff_client.post(reverse("staff:list_delete", args=[made.pk]))

    assert response.url == reverse("staff:lists")
    assert not MailingList.objects.filter(pk=made.pk).exists()
    entry = (
        AuditEntry.objects.filter(subject="list activiteiten-voor-kinderen").order_by("pk").last()
    )
    assert entry.changes["name"] == [NEW["name"], None]


@pytest.mark.parametrize("held", ["choice", "contact"])
def test_a_list_holding_choices_or_sign_ups_is_not_removed_and_says_why(
    staff_client, library, held
):
    staff_client.post(reverse("staff:lists"), NEW)
    made = MailingList.objects.get(library=library, key="activiteiten-voor-kinderen")
    if held == "choice":
        ListChoice.objects.create(
            member=MemberFactory(library=library), mailing_list=made, receives=False
        )
    else:
        Contact.objects.create(library=library, mailing_list=made, email="x@example.org")
    staff_client.cookies["django_language"] = "en"

    response = staff_client.post(reverse("staff:list_delete", args=[made.pk]), follow=True)

    assert MailingList.objects.filter(pk=made.pk).exists()
    assert ListChoice.objects.count() + Contact.objects.count() == 1
    page = response.content.decode()
    assert "This list cannot be removed" in page
    if held == "choice":
        assert "their choices would be lost" in page
    else:
        assert "their sign-ups would be lost" in page
    assert reverse("staff:list_delete", args=[made.pk]) not in page


def test_why_a_list_stays_is_said_in_dutch_too(staff_client, library):
    newsletter = list_for(library, "newsletter")
    ListChoice.objects.create(
        member=MemberFactory(library=library), mailing_list=newsletter, receives=False
    )
    staff_client.cookies["django_language"] = "nl"

    page = staff_client.get(reverse("staff:list", args=[newsletter.pk])).content.decode()

    assert "Deze lijst kan niet verwijderd worden" in page
    assert "standaardlijsten" in page and "hun keuzes zouden verloren gaan" in page


def test_a_standard_list_is_not_removed_even_when_nothing_else_keeps_it(staff_client, library):
    newsletter = list_for(library, "newsletter")
    newsletter.journeys.all().delete()

    staff_client.post(reverse("staff:list_delete", args=[newsletter.pk]))

    assert MailingList.objects.filter(pk=newsletter.pk).exists()


def test_a_member_who_left_the_newsletter_stays_off_whatever_staff_do(staff_client, library):
    member = MemberFactory(library=library)
    newsletter = list_for(library, "newsletter")
    choose_list(
        member, newsletter, receives=False, source="preferences", text_version="preferences/1"
    )
    url = reverse("staff:list", args=[newsletter.pk])
    base = {"name": "Bibnieuws", "name_en": "", "description": "", "description_en": ""}

    staff_client.post(url, {**base, "receivers": "everyone"})  # renamed
    staff_client.post(url, {**base, "receivers": "service"})  # refused: they would get it
    elsewhere = MailingList.objects.create(library=library, key="elders", name="Elders")
    library.journeys.filter(mailing_list=newsletter).update(mailing_list=elsewhere)
    staff_client.post(reverse("staff:list_delete", args=[newsletter.pk]))  # refused
    again = list_for(library, None)  # what a journey without a list falls back on

    assert again.pk == newsletter.pk
    again.refresh_from_db()
    assert (again.name, again.service) == ("Bibnieuws", False)
    assert not receives(member, again)


def test_a_list_members_left_does_not_become_a_service_list(staff_client, library):
    newsletter = list_for(library, "newsletter")
    for _ in range(12):
        ListChoice.objects.create(
            member=MemberFactory(library=library), mailing_list=newsletter, receives=False
        )
    staff_client.cookies["django_language"] = "en"
    url = reverse("staff:list", args=[newsletter.pk])
    base = {"name": "Nieuwsbrief", "name_en": "", "description": "", "description_en": ""}

    response = staff_client.post(url, {**base, "receivers": "service"})

    assert response.status_code == 200
    assert response.context["form"].errors["receivers"] == [
        "12 members left this list: as service mail it would reach them again. Put the "
        "service mail on a list of its own."
    ]
    newsletter.refresh_from_db()
    assert not newsletter.service
    assert not AuditEntry.objects.filter(subject="list newsletter").exists()


def test_a_few_who_left_are_counted_as_under_ten_in_the_refusal(staff_client, library):
    newsletter = list_for(library, "newsletter")
    ListChoice.objects.create(
        member=MemberFactory(library=library), mailing_list=newsletter, receives=False
    )
    staff_client.cookies["django_language"] = "en"
    url = reverse("staff:list", args=[newsletter.pk])
    base = {"name": "Nieuwsbrief", "name_en": "", "description": "", "description_en": ""}

    response = staff_client.post(url, {**base, "receivers": "service"})

    assert response.context["form"].errors["receivers"][0].startswith("Fewer than 10 members")


def test_the_service_layer_refuses_a_service_list_that_members_left_too(library, marketer):
    newsletter = list_for(library, "newsletter")
    ListChoice.objects.create(
        member=MemberFactory(library=library), mailing_list=newsletter, receives=False
    )
    values = {name: getattr(newsletter, name) for name in FIELDS} | {"service": True}

    with pytest.raises(MembersLeft):
        update_list(newsletter, values=values, actor=marketer)


def test_counts_from_one_to_nine_are_shown_as_under_ten(staff_client, library):
    newsletter = list_for(library, "newsletter")
    for _ in range(3):
        ListChoice.objects.create(
            member=MemberFactory(library=library), mailing_list=newsletter, receives=False
        )
    for _ in range(12):
        ListChoice.objects.create(
            member=MemberFactory(library=library), mailing_list=newsletter, receives=True
        )

    response = staff_client.get(reverse("staff:lists"))

    rows = {item["row"].mailing_list.key: item for item in response.context["rows"]}
    assert (rows["newsletter"]["left"], rows["newsletter"]["joined"]) == ("< 10", 12)
    assert rows["welcome"]["left"] == 0


def test_the_sign_up_form_to_copy_posts_to_our_address_and_needs_nothing_of_ours(
    staff_client, library
):
    newsletter = list_for(library, "newsletter")
    response = staff_client.get(reverse("staff:list", args=[newsletter.pk]))

    snippets = {item["language"]: item for item in response.context["snippets"]}
    dutch = snippets["nl"]["html"]
    assert 'action="https://mail.example-network.be/t/j/gent/newsletter"' in dutch
    assert "<div hidden>" in dutch and 'name="website"' in dutch
    assert 'name="language" value="nl"' in dutch
    assert "<script" not in dutch and "style" not in dutch and "class=" not in dutch
    assert "Ja, ik wil de mails van Nieuwsbrief van Bibliotheek Gent ontvangen" in dutch
    english = snippets["en"]["html"]
    assert "Yes, I want to receive Newsletter from Bibliotheek Gent" in english
    assert snippets["en"]["link"].endswith("/t/j/gent/newsletter?lang=en")
    assert "readonly" in response.content.decode()


def test_another_librarys_list_is_not_found(staff_client, library, other_library):
    theirs = list_for(other_library, "newsletter")
    for name in ("list", "list_move", "list_delete"):
        response = staff_client.post(reverse(f"staff:{name}", args=[theirs.pk]), NEW)
        assert response.status_code == 404, name
    assert MailingList.objects.filter(pk=theirs.pk, name="Nieuwsbrief").exists()
