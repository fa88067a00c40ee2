"""Opens and clicks by machines — image proxies, security gateways, link scanners — are kept
apart from what members did, and reports show the two separately."""

import datetime as dt

import pytest
from django.utils import timezone

from patronflow.reports.metrics import campaign_metrics
from patronflow.tracking.models import Event
from tests.factories import MessageFactory
from tests.tracking.links import click_link, open_link

BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
GMAIL_PROXY = (
    "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)"
)


def _sent(minutes_ago: float = 60, **kwargs):
    return MessageFactory(
        enrolment__journey__library__track_opens=True,
        sent_at=timezone.now() - dt.timedelta(minutes=minutes_ago),
        **kwargs,
    )


def _machines(kind: str) -> list[str]:
    return list(Event.objects.filter(kind=kind).order_by("id").values_list("machine", flat=True))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("user_agent", "address", "minutes_ago", "verdict"),
    [
        (BROWSER, "203.0.113.7", 60, ""),
        (GMAIL_PROXY, "66.249.84.1", 60, "mail_proxy"),
        ("Mozilla/5.0", "17.58.100.3", 60, "mail_proxy"),  # Apple Mail Privacy Protection
        ("Mozilla/5.0", "203.0.113.7", 60, ""),  # the same agent elsewhere is not Apple's
        (BROWSER, "203.0.113.7", 0.05, "on_delivery"),  # 3 s after the mail left
        ("python-requests/2.32", "203.0.113.7", 60, "scanner"),
        ("", "203.0.113.7", 60, "scanner"),
    ],
    ids=["member", "gmail", "apple", "not apple", "on delivery", "library", "no agent"],
)
def test_opens_are_classified_by_who_loaded_the_pixel(
    client, user_agent, address, minutes_ago, verdict
):
    message = _sent(minutes_ago)

    response = client.get(open_link(message.id), HTTP_USER_AGENT=user_agent, REMOTE_ADDR=address)

    assert response.status_code == 200
    assert _machines("open") == [verdict]


@pytest.mark.django_db
def test_a_scanners_click_still_leads_to_the_page_but_counts_as_a_machine(client):
    message = _sent()

    response = client.get(click_link(message.id, 0), HTTP_USER_AGENT="Mimecast URL check")

    assert response["Location"] == message.links[0]
    assert _machines("click") == ["scanner"]


@pytest.mark.django_db
def test_a_head_request_is_a_machine_checking_the_link(client):
    message = _sent()

    response = client.head(click_link(message.id, 0), HTTP_USER_AGENT=BROWSER)

    assert response.status_code == 302
    assert _machines("click") == ["head"]


@pytest.mark.django_db
def test_every_link_of_a_mail_clicked_within_seconds_is_a_link_sweep(client):
    message = _sent()

    for index in range(len(message.links)):
        client.get(click_link(message.id, index), HTTP_USER_AGENT=BROWSER)

    assert _machines("click") == ["link_sweep", "link_sweep"]


@pytest.mark.django_db
def test_a_member_clicking_one_link_twice_is_still_a_member(client):
    message = _sent()

    client.get(click_link(message.id, 0), HTTP_USER_AGENT=BROWSER)
    client.get(click_link(message.id, 0), HTTP_USER_AGENT=BROWSER)

    assert _machines("click") == ["", ""]


@pytest.mark.django_db
def test_clicks_on_all_links_minutes_apart_are_a_member_reading(client):
    message = _sent()
    Event.objects.create(
        message=message,
        kind=Event.Kind.CLICK,
        link_index=0,
        created_at=timezone.now() - dt.timedelta(minutes=3),
    )

    client.get(click_link(message.id, 1), HTTP_USER_AGENT=BROWSER)

    assert _machines("click") == ["", ""]


@pytest.mark.django_db
def test_reports_show_members_and_machines_apart(client):
    read_by_member = _sent()
    scanned_only = _sent(
        enrolment__journey=read_by_member.enrolment.journey,
        step=read_by_member.step,
        variant=read_by_member.variant,
    )
    client.get(open_link(read_by_member.id), HTTP_USER_AGENT=GMAIL_PROXY)
    client.get(open_link(read_by_member.id), HTTP_USER_AGENT=BROWSER)
    client.get(click_link(read_by_member.id, 0), HTTP_USER_AGENT=BROWSER)
    client.get(open_link(scanned_only.id), HTTP_USER_AGENT=GMAIL_PROXY)
    client.get(click_link(scanned_only.id, 0), HTTP_USER_AGENT="Barracuda Sentinel")

    [figures] = campaign_metrics(read_by_member.library)

    assert (figures.sent, figures.opened, figures.clicked) == (2, 2, 2)
    assert (figures.member_opened, figures.machine_opened) == (1, 1)
    assert (figures.member_clicked, figures.machine_clicked) == (1, 1)
    assert figures.click_rate == 0.5
