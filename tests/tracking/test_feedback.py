"""The 👍/👎 links in a mail: opening one only asks; the member's button press votes."""

import http.client
import re
from urllib.parse import urlsplit

import pytest

from patronflow.reports.metrics import campaign_metrics
from patronflow.tracking.models import Event, Feedback
from tests.factories import MessageFactory
from tests.tracking.links import feedback_link
from tests.tracking.test_serve import serving

BROWSER = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Safari/605.1.15"
SCANNER = "Mozilla/5.0 (compatible; Barracuda Sentinel; +https://www.barracuda.com)"


def _vote(client, message, link: str, agent: str = BROWSER, **form):
    """Press the button on the page the mail's `link` ("up" or "down") opened."""
    return client.post(feedback_link(message.id, link), form, HTTP_USER_AGENT=agent)


def _ticked(page: str) -> list[str]:
    return re.findall(r'<input type="radio" name="vote" value="(\w+)"[^>]*\bchecked>', page)


def _votes() -> list[tuple[int, int, str]]:
    return list(Feedback.objects.values_list("message_id", "vote", "comment"))


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["get", "head"])
def test_opening_a_vote_link_records_nothing(client, method):
    message = MessageFactory()

    response = getattr(client, method)(feedback_link(message.id, "down"), HTTP_USER_AGENT=BROWSER)

    assert response.status_code == 200
    assert not Feedback.objects.exists()
    assert not Event.objects.exists()


@pytest.mark.django_db
def test_a_link_scanner_following_up_then_down_leaves_no_vote(client):
    message = MessageFactory()

    for vote in ("up", "down"):
        client.head(feedback_link(message.id, vote), HTTP_USER_AGENT=SCANNER)
        client.get(feedback_link(message.id, vote), HTTP_USER_AGENT=SCANNER)

    assert not Feedback.objects.exists()
    assert not Event.objects.exists()
    [figures] = campaign_metrics(message.library)
    assert (figures.thumbs_up, figures.thumbs_down) == (0, 0)


@pytest.mark.django_db
@pytest.mark.parametrize("vote", ["up", "down"])
def test_the_page_asks_to_confirm_with_the_chosen_vote_ticked_and_the_other_one_offered(
    client, vote
):
    message = MessageFactory()

    response = client.get(feedback_link(message.id, vote), HTTP_USER_AGENT=BROWSER)

    page = response.content.decode()
    other = "down" if vote == "up" else "up"
    assert "Wat vond je van deze mail?" in page
    assert '<form method="post">' in page
    choices = re.findall(r'<input type="radio" name="vote" value="(\w+)"[^>]*>', page)
    assert (sorted(choices), _ticked(page)) == (sorted([vote, other]), [vote])
    assert page.count("<label for=") == 3  # both choices and the comment
    assert '<textarea name="comment"' in page
    assert "<script" not in page
    assert response["Cache-Control"] == "no-store, private"


@pytest.mark.django_db
def test_pressing_the_button_records_the_vote_and_thanks_the_member(client):
    message = MessageFactory()

    response = _vote(client, message, "up", vote="up", comment="")

    assert response.status_code == 200
    assert "Bedankt voor je 👍!" in response.content.decode()
    assert _votes() == [(message.id, Feedback.Vote.UP, "")]
    assert list(Event.objects.values_list("kind", "machine")) == [("feedback", "")]
    [figures] = campaign_metrics(message.library)
    assert (figures.thumbs_up, figures.thumbs_down) == (1, 0)


@pytest.mark.django_db
def test_the_member_may_choose_the_other_vote_on_the_page_and_add_a_comment(client):
    message = MessageFactory()

    response = _vote(client, message, "up", vote="down", comment="Te veel mails.")

    assert "Je opmerking is goed aangekomen." in response.content.decode()
    assert _votes() == [(message.id, Feedback.Vote.DOWN, "Te veel mails.")]


@pytest.mark.django_db
def test_a_bare_post_to_the_link_votes_as_the_link_says(client):
    message = MessageFactory()

    _vote(client, message, "down")

    assert _votes() == [(message.id, Feedback.Vote.DOWN, "")]


@pytest.mark.django_db
def test_the_latest_vote_counts_and_a_vote_without_a_comment_keeps_the_earlier_one(client):
    message = MessageFactory()
    _vote(client, message, "down", vote="down", comment="Saai onderwerp.")

    _vote(client, message, "up", vote="up", comment="  ")

    assert _votes() == [(message.id, Feedback.Vote.UP, "Saai onderwerp.")]
    assert Event.objects.filter(kind=Event.Kind.FEEDBACK).count() == 2


@pytest.mark.django_db
def test_a_comment_too_long_is_refused_on_the_field_and_the_choice_stays_ticked(client):
    message = MessageFactory()

    response = _vote(client, message, "up", vote="down", comment="x" * 2001)

    page = response.content.decode()
    assert response.status_code == 200
    assert page.index('class="errorlist"') < page.index('<textarea name="comment"')
    assert _ticked(page) == ["down"]
    assert not Feedback.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("agent", [SCANNER, "python-requests/2.32.3", ""])
def test_a_machine_pressing_the_button_is_recorded_as_a_machine_and_no_members_vote(client, agent):
    message = MessageFactory()

    response = _vote(client, message, "down", agent=agent, vote="down")

    assert response.status_code == 200  # the same answer: nothing tells it apart
    assert list(Event.objects.values_list("kind", "machine")) == [("feedback", "scanner")]
    assert not Feedback.objects.exists()
    [figures] = campaign_metrics(message.library)
    assert (figures.thumbs_up, figures.thumbs_down) == (0, 0)


@pytest.mark.django_db
def test_a_machine_pressing_the_other_button_leaves_the_members_vote(client):
    message = MessageFactory()
    _vote(client, message, "up", vote="up", comment="Leuke tips!")

    _vote(client, message, "down", agent=SCANNER, vote="down", comment="spam")

    assert _votes() == [(message.id, Feedback.Vote.UP, "Leuke tips!")]


@pytest.mark.django_db
def test_the_page_names_the_library_and_speaks_the_mails_language(client):
    english = MessageFactory(enrolment__journey__library__name="Bibliotheek Brugge")
    english.step.version.language = "en"
    english.step.version.save()

    page = client.get(
        feedback_link(english.id, "up"), HTTP_ACCEPT_LANGUAGE="nl", HTTP_USER_AGENT=BROWSER
    ).content.decode()

    assert '<html lang="en">' in page
    assert "Bibliotheek Brugge" in page
    assert "What did you think of this mail?" in page
    assert "Send my opinion" in page
    assert "Wat vond je" not in page


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["get", "post"])
def test_any_vote_word_but_up_or_down_is_404_and_records_nothing(client, method):
    message = MessageFactory()

    response = getattr(client, method)(
        feedback_link(message.id, "meh"), {"vote": "up"}, HTTP_USER_AGENT=BROWSER
    )

    assert response.status_code == 404
    assert not Feedback.objects.exists()
    assert not Event.objects.exists()


@pytest.mark.django_db
def test_a_vote_word_the_form_does_not_offer_is_refused_and_records_nothing(client):
    message = MessageFactory()

    response = _vote(client, message, "up", vote="meh", comment="Fijn")

    assert response.status_code == 200
    assert 'class="errorlist"' in response.content.decode()
    assert not Feedback.objects.exists()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_server_passes_vote_links_to_the_page_and_records_only_the_button(tmp_path):
    message = MessageFactory()
    with serving(tmp_path) as base_url:
        connection = http.client.HTTPConnection(urlsplit(base_url).netloc, timeout=10)
        answers = []
        for method, vote, body in [
            ("HEAD", "up", None),
            ("GET", "up", None),
            ("HEAD", "down", None),
            ("GET", "down", None),
            ("POST", "down", b"vote=up"),
        ]:
            headers = {"User-Agent": BROWSER}
            if body:
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            connection.request(method, feedback_link(message.id, vote), body, headers)
            response = connection.getresponse()
            page = response.read().decode()
            answers.append((method, response.status, response.getheader("Cache-Control")))
            if method == "GET":
                assert "Wat vond je van deze mail?" in page
                assert not Feedback.objects.exists()

    assert {answer[1:] for answer in answers} == {(200, "no-store, private")}
    assert _votes() == [(message.id, Feedback.Vote.UP, "")]
    assert list(Event.objects.values_list("kind", "machine")) == [("feedback", "")]
