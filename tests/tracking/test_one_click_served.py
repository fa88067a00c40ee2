"""RFC 8058 one-click through the real tracking server (`patronflow serve`): the mail
program's POST leaves the mail's list, withdraws that list's queued mails and leaves the
other lists' mails in the queue; its retries record nothing more."""

import urllib.request

import pytest

from patronflow.choices.models import ConsentRecord, ListChoice
from patronflow.choices.services import standard_lists
from patronflow.mail.models import Message
from tests.factories import EnrolmentFactory, JourneyFactory, MemberFactory, MessageFactory
from tests.tracking.links import unsubscribe_link
from tests.tracking.test_serve import serving


def _one_click(base_url: str, message: Message) -> int:
    request = urllib.request.Request(
        base_url + unsubscribe_link(message.id),
        data=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert not response.headers.get_all("Set-Cookie")
        return response.status


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_one_click_over_http_withdraws_only_the_left_lists_queued_mails(tmp_path):
    member = MemberFactory()
    welcome = JourneyFactory(library=member.library, key="welcome")
    welcome.mailing_list = standard_lists(member.library)["welcome"]
    welcome.save(update_fields=["mailing_list"])
    newsletter = JourneyFactory(library=member.library, key="nieuws")
    on_welcome = EnrolmentFactory(journey=welcome, member=member)
    mail_1 = MessageFactory(enrolment=on_welcome)
    mail_2 = MessageFactory(enrolment=on_welcome, status=Message.Status.QUEUED)
    news = MessageFactory(
        enrolment=EnrolmentFactory(journey=newsletter, member=member),
        status=Message.Status.QUEUED,
    )

    with serving(tmp_path) as base_url:
        assert [_one_click(base_url, mail_1) for _ in range(3)] == [200, 200, 200]

    mail_2.refresh_from_db()
    news.refresh_from_db()
    assert mail_2.status == Message.Status.SUPPRESSED
    assert news.status == Message.Status.QUEUED
    [choice] = ListChoice.objects.all()
    assert (choice.mailing_list.key, choice.receives) == ("welcome", False)
    [consent] = ConsentRecord.objects.all()
    assert (consent.source, consent.text_version) == ("one_click", "one-click/1")
    member.refresh_from_db()
    assert member.unsubscribed_at is None
