"""The comments members leave with their 👍/👎, shown to their library's staff per mail:
newest first, with the vote and the day, never who wrote them; withheld while fewer than
10 of the mail's messages went out; linked from the journey page with a count under 10
withheld."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from patronflow.journeys.models import Journey
from patronflow.tracking.models import Feedback
from tests.factories import MessageFactory, at

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 11, 2)


def welcome(library) -> Journey:
    return Journey.objects.get(library=library, key="welcome")


def sent_mails(journey: Journey, position: int, count: int, segment: str = ""):
    step = journey.current_version.steps.get(position=position)
    return [
        MessageFactory(
            enrolment__journey=journey,
            step=step,
            variant=step.variants.get(segment=segment),
            sent_at=at(DAY),
            enrolment__member__first_name="Ysaline",
            enrolment__member__last_name="Vercruysse",
        )
        for _ in range(count)
    ]


def vote(message, comment: str = "", up: bool = True, days_later: int = 0) -> Feedback:
    feedback = Feedback.objects.create(
        message=message, vote=Feedback.Vote.UP if up else Feedback.Vote.DOWN, comment=comment
    )
    moment = timezone.make_aware(
        dt.datetime.combine(DAY + dt.timedelta(days=days_later), dt.time(14))
    )
    Feedback.objects.filter(pk=feedback.pk).update(updated_at=moment)
    return feedback


def comments_url(journey: Journey, position: int = 1, segment: str = "default") -> str:
    return reverse("staff:comments", args=[journey.pk, position, segment])


def rows(page: str) -> list[str]:
    """The comments shown, as text."""
    listed = re.search(r'<ol class="comments"[^>]*>(.*?)</ol>', page, re.S)
    if not listed:
        return []
    found = re.findall(r"<li>(.*?)</li>", listed[1], re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in found]


def test_a_mails_comments_show_newest_first_with_vote_and_day_and_no_member(staff_client, library):
    journey = welcome(library)
    mails = sent_mails(journey, 1, 12)
    vote(mails[0], "Fijn dat jullie aan me denken", up=True, days_later=1)
    vote(mails[1], "Te lang.\nEn te laat.", up=False, days_later=3)
    vote(mails[2], "", up=True)  # a vote without a comment
    other_step = sent_mails(journey, 2, 10)
    vote(other_step[0], "Over de tweede mail")

    response = staff_client.get(comments_url(journey))
    page = response.content.decode()

    assert response.status_code == 200
    assert rows(page) == [
        "👎 Vond het niet goed · 5 november 2026 · versie 1 Te lang. En te laat.",
        "👍 Vond het goed · 3 november 2026 · versie 1 Fijn dat jullie aan me denken",
    ]
    for message in mails[:2]:
        member = message.enrolment.member
        for detail in (member.first_name, member.last_name, member.email, member.external_id):
            assert detail not in page


def test_an_address_written_in_a_comment_is_left_out(staff_client, library):
    journey = welcome(library)
    mails = sent_mails(journey, 1, 10)
    vote(mails[0], "Mail me op jan.peeters+bib@voorbeeld.be aub")

    page = staff_client.get(comments_url(journey)).content.decode()

    assert "voorbeeld.be" not in page
    assert "Mail me op […] aub" in " ".join(rows(page))


def test_comments_come_in_pages_of_25(staff_client, library):
    journey = welcome(library)
    for number, message in enumerate(sent_mails(journey, 1, 30)):
        vote(message, f"Opmerking {number:02d}", days_later=number)

    first = staff_client.get(comments_url(journey)).content.decode()
    second = staff_client.get(comments_url(journey) + "?page=2").content.decode()

    assert len(rows(first)) == 25 and "Opmerking 29" in rows(first)[0]
    assert [re.search(r"Opmerking (\d+)", row)[1] for row in rows(second)] == [
        "04", "03", "02", "01", "00",
    ]  # fmt: skip
    assert "Pagina 1 van 2" in first


def test_while_fewer_than_10_mails_went_out_the_comments_are_withheld(staff_client, library):
    journey = welcome(library)
    mails = sent_mails(journey, 1, 9)
    vote(mails[0], "Alleen ik kreeg deze mail")

    page = staff_client.get(comments_url(journey)).content.decode()

    assert "Alleen ik kreeg deze mail" not in page
    assert "Minder dan 10 van deze mails zijn verzonden" in page


def test_another_librarys_mail_comments_are_not_found(staff_client, other_library):
    journey = welcome(other_library)
    vote(sent_mails(journey, 1, 10)[0], "Van Brugge")

    assert staff_client.get(comments_url(journey)).status_code == 404


def test_the_journey_page_links_each_variants_comments_with_a_small_count_withheld(
    staff_client, library
):
    journey = welcome(library)
    for message in sent_mails(journey, 1, 12):
        vote(message, "Goed")
    for message in sent_mails(journey, 2, 10)[:3]:
        vote(message, "Ook goed")

    page = staff_client.get(reverse("staff:journey", args=[journey.pk])).content.decode()

    def link(position: int) -> str:
        found = re.search(
            rf'<a href="{re.escape(comments_url(journey, position))}">(.*?)</a>', page
        )
        assert found, f"no comments link for mail {position}"
        return found[1]

    assert link(1) == "Opmerkingen (12)"
    assert link(2) == "Opmerkingen (&lt; 10)"
    assert link(3) == "Opmerkingen (0)"
