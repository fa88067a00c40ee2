"""Sign-up forms with double opt-in, over HTTP, with a real SMTP server: one confirmation mail
and nothing else before the link's button is pressed; the same answer for everybody; limits
per address and per client; a honeypot that stores nothing."""

import datetime as dt
import re

import dkim
import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse

from patronflow.choices import signup
from patronflow.choices.models import ConsentRecord, Contact, MailingList, SignupAttempt
from patronflow.choices.queries import receives
from patronflow.choices.services import list_for
from patronflow.mail.bounces import suppress
from patronflow.operations.tick import tick
from patronflow.privacy.models import Suppression
from tests.conftest import _free_port
from tests.factories import TODAY, MemberFactory, at
from tests.mail.servers import KeepsRawBytes, running
from tests.mail.test_dkim_and_headers import published_dns  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def events(library):
    """An opt-in list: only who joins it receives it."""
    return MailingList.objects.create(
        library=library,
        key="activiteiten",
        name="Activiteiten",
        name_en="Activities",
        description="Wat er te doen is in de bib.",
        position=4,
        members_join_by_default=False,
    )


def form_url(mailing_list) -> str:
    return reverse("tracking:signup", args=[mailing_list.library.code, mailing_list.key])


def sign_up(client, mailing_list, email: str, client_address: str = "192.0.2.1", **extra):
    return client.post(
        form_url(mailing_list), {"email": email, **extra}, REMOTE_ADDR=client_address
    )


def confirm_link(mail) -> str:
    text = mail.get_body(("plain",)).get_content()
    return re.search(r"https://\S+/t/j/confirm/\S+", text).group(0)


def path_of(url: str) -> str:
    return url.removeprefix("https://mail.example-network.be")


def test_the_hosted_form_asks_for_an_address_in_the_library_brand(client, events):
    response = client.get(form_url(events))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Inschrijven: Activiteiten" in page
    assert 'name="email"' in page and 'name="website"' in page
    assert "Bibliotheek Gent" in page
    assert response["Cache-Control"] == "no-store, private"
    assert "form-action 'self'" in response["Content-Security-Policy"]
    english = client.get(form_url(events) + "?lang=en")
    assert "Sign up: Activities" in english.content.decode()
    assert "read the privacy statement" in english.content.decode()


def test_service_lists_and_unknown_lists_have_no_form(client, library):
    membership = list_for(library, "membership")
    assert client.get(form_url(membership)).status_code == 404
    assert client.post(form_url(membership), {"email": "a@example.org"}).status_code == 404
    assert client.get(reverse("tracking:signup", args=["gent", "nope"])).status_code == 404
    assert client.get(reverse("tracking:signup", args=["nope", "newsletter"])).status_code == 404
    assert not Contact.objects.exists()


def test_a_sign_up_sends_one_confirmation_and_nothing_else_until_it_is_confirmed(
    client, events, smtp_server
):
    response = sign_up(client, events, "Lotte@Example.org")

    assert response.status_code == 200
    assert "Kijk in je mailbox" in response.content.decode()
    contact = Contact.objects.get()
    assert (contact.email, contact.confirmed_at, contact.language) == (
        "lotte@example.org",
        None,
        "nl",
    )
    assert [r.choice for r in contact.consents.all()] == [ConsentRecord.Choice.REQUESTED]
    (mail,) = smtp_server.messages
    assert mail["To"].addresses[0].addr_spec == "lotte@example.org"
    assert mail["From"].addresses[0].addr_spec == "nieuws@gent.bibliotheek.be"
    assert "Activiteiten" in mail["Subject"]
    assert mail.get_body(("html",)) is not None
    assert smtp_server.handler.envelopes == [("nieuws@gent.bibliotheek.be", ["lotte@example.org"])]

    link = path_of(confirm_link(mail))
    asked = client.get(link)
    assert asked.status_code == 200
    assert "Bevestig je inschrijving" in asked.content.decode()
    contact.refresh_from_db()
    assert contact.confirmed_at is None  # a mail scanner's GET confirms nothing

    done = client.post(link)
    assert done.status_code == 200
    assert "Je bent ingeschreven" in done.content.decode()
    contact.refresh_from_db()
    assert contact.confirmed_at is not None
    confirmed = contact.consents.get(choice=ConsentRecord.Choice.CONFIRMED)
    assert (confirmed.source, confirmed.text_version) == ("confirmation", "confirmation/1")
    assert len(smtp_server.messages) == 1


def test_a_replayed_confirmation_changes_nothing_more(client, events, smtp_server):
    sign_up(client, events, "lotte@example.org")
    link = path_of(confirm_link(smtp_server.messages[0]))
    client.post(link)
    records = ConsentRecord.objects.count()
    confirmed_at = Contact.objects.get().confirmed_at

    again = client.post(link)

    assert again.status_code == 200
    assert ConsentRecord.objects.count() == records
    assert Contact.objects.get().confirmed_at == confirmed_at
    # Asking again for a list the address confirmed: the same answer, and no mail.
    assert sign_up(client, events, "lotte@example.org").status_code == 200
    assert len(smtp_server.messages) == 1


def test_forged_and_expired_confirmation_links_are_not_found(client, events, smtp_server):
    sign_up(client, events, "lotte@example.org")
    contact = Contact.objects.get()
    token = signup.confirmation_token(contact)
    forged = signing.dumps([contact.pk, events.pk, "0" * 16], salt="other", compress=False)
    for bad in (token[:-2] + "xx", forged):
        assert client.post(reverse("tracking:signup_confirm", args=[bad])).status_code == 404
    wrong_address = signing.dumps(
        [contact.pk, events.pk, "0" * 16], salt="patronflow.signup.confirm", compress=False
    )
    client.post(reverse("tracking:signup_confirm", args=[wrong_address]))
    contact.refresh_from_db()
    assert contact.confirmed_at is None

    old_token = _token_made_at(contact, dt.datetime.now() - signup.CONFIRM_WITHIN - dt.timedelta(1))
    assert client.post(reverse("tracking:signup_confirm", args=[old_token])).status_code == 404
    contact.refresh_from_db()
    assert contact.confirmed_at is None


def _token_made_at(contact, when: dt.datetime) -> str:
    original = signing.TimestampSigner.timestamp
    signing.TimestampSigner.timestamp = lambda self: signing.b62_encode(int(when.timestamp()))
    try:
        return signup.confirmation_token(contact)
    finally:
        signing.TimestampSigner.timestamp = original


def test_a_filled_in_honeypot_is_answered_as_a_success_and_stores_nothing(
    client, events, smtp_server
):
    response = sign_up(client, events, "robot@example.org", website="https://spam.example")

    assert response.status_code == 200
    assert "Kijk in je mailbox" in response.content.decode()
    assert not Contact.objects.exists()
    assert not ConsentRecord.objects.exists()
    assert not SignupAttempt.objects.exists()
    assert not smtp_server.messages


def test_a_member_and_a_stranger_get_the_same_answer(client, library, events, smtp_server):
    member = MemberFactory(library=library, email="Jan.Peeters@example.org")
    as_member = sign_up(client, events, member.email, client_address="192.0.2.10")
    as_stranger = sign_up(client, events, "niemand@example.org", client_address="192.0.2.11")

    def without_address(response) -> str:
        return response.content.decode()

    assert as_member.status_code == as_stranger.status_code == 200
    assert without_address(as_member) == without_address(as_stranger)
    assert len(smtp_server.messages) == 2
    subjects = {mail["Subject"] for mail in smtp_server.messages}
    assert len(subjects) == 1


def test_a_member_who_confirms_an_opt_in_list_receives_it(client, library, events, smtp_server):
    member = MemberFactory(library=library, email="Jan.Peeters@example.org")
    assert not receives(member, events)

    sign_up(client, events, "jan.peeters@EXAMPLE.org")
    assert not receives(member, events)  # not before confirming
    client.post(path_of(confirm_link(smtp_server.messages[0])))

    assert receives(member, events)
    assert not Contact.objects.exists()  # the request became the member's own choice
    assert list(member.consents.order_by("pk").values_list("choice", "source", "text_version")) == [
        ("requested", "signup_form", "signup-form/1"),
        ("joined", "confirmation", "confirmation/1"),
        ("confirmed", "confirmation", "confirmation/1"),
    ]
    # The replayed link says it is done and records nothing more.
    records = ConsentRecord.objects.count()
    replay = client.post(path_of(confirm_link(smtp_server.messages[0])))
    assert replay.status_code == 200
    assert ConsentRecord.objects.count() == records


def test_the_address_limit_answers_429_in_words_and_sends_no_more(client, events, smtp_server):
    for attempt in range(signup.PER_ADDRESS):
        response = sign_up(client, events, "lotte@example.org", client_address=f"192.0.2.{attempt}")
        assert response.status_code == 200
    assert len(smtp_server.messages) == signup.PER_ADDRESS  # asking again resends

    over = sign_up(client, events, "LOTTE@example.org", client_address="198.51.100.7")

    assert over.status_code == 429
    assert "Probeer het later opnieuw" in over.content.decode()
    assert len(smtp_server.messages) == signup.PER_ADDRESS
    assert Contact.objects.count() == 1


def test_the_client_limit_counts_every_address_from_one_client(client, events, smtp_server):
    for number in range(signup.PER_CLIENT):
        assert sign_up(client, events, f"lezer{number}@example.org").status_code == 200

    over = sign_up(client, events, "nog-een@example.org")

    assert over.status_code == 429
    assert not Contact.objects.filter(email="nog-een@example.org").exists()
    assert (
        sign_up(client, events, "nog-een@example.org", client_address="192.0.2.99").status_code
        == 200
    )


def test_attempts_are_kept_as_keyed_hashes_and_pruned_after_a_day(events):
    now = dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC)
    assert signup.attempt_allowed(address="lotte@example.org", client="192.0.2.1", now=now)
    assert not SignupAttempt.objects.filter(key__contains="lotte").exists()
    assert not SignupAttempt.objects.filter(key="192.0.2.1").exists()
    signup.attempt_allowed(
        address="ander@example.org", client="192.0.2.2", now=now + dt.timedelta(days=1, hours=1)
    )
    assert SignupAttempt.objects.count() == 2


def test_an_invalid_address_is_refused_on_the_field_and_stores_nothing(client, events, smtp_server):
    response = sign_up(client, events, "geen adres")
    assert response.status_code == 400
    assert "geen geldig e-mailadres" in response.content.decode()
    assert not Contact.objects.exists() and not smtp_server.messages


def test_a_suppressed_address_gets_the_same_answer_and_no_mail(
    client, library, events, smtp_server
):
    suppress(library, "Bounced@example.org", Suppression.Reason.HARD_BOUNCE)
    response = sign_up(client, events, "bounced@example.org")
    assert response.status_code == 200
    assert not smtp_server.messages


def test_an_english_sign_up_is_confirmed_in_english(client, events, smtp_server):
    sign_up(client, events, "reader@example.org", language="en")
    (mail,) = smtp_server.messages
    assert mail["Subject"] == "Confirm your sign-up for Activities"
    page = client.get(path_of(confirm_link(mail)))
    assert page["Content-Language"] == "en"


def test_a_member_gets_no_mail_of_an_opt_in_list_before_confirming_and_does_after(
    client, library, events, smtp_server
):
    library.journeys.filter(key="welcome").update(mailing_list=events)
    member = MemberFactory(library=library, registered_on=TODAY, email="nieuw@example.org")
    sign_up(client, events, member.email)
    (confirmation,) = smtp_server.messages

    tick(at(TODAY))
    assert smtp_server.to(member.email) == [confirmation]  # nothing but the confirmation

    client.post(path_of(confirm_link(confirmation)))
    tick(at(TODAY + dt.timedelta(days=1)))
    welcome = smtp_server.to(member.email)[1:]
    assert [mail["Subject"] for mail in welcome] == [
        f"Welkom bij {library.name}, {member.first_name}!"
    ]


def test_the_form_on_the_librarys_website_posts_without_cookie_or_csrf_token(events, smtp_server):
    website = Client(enforce_csrf_checks=True)
    response = website.post(
        form_url(events),
        {"email": "lotte@example.org", "language": "nl", "website": ""},
        HTTP_ORIGIN="https://gent.bibliotheek.be",
        HTTP_REFERER="https://gent.bibliotheek.be/nieuwsbrief",
    )
    assert response.status_code == 200
    assert not response.cookies
    assert len(smtp_server.messages) == 1


def test_the_confirmation_is_dkim_signed_so_that_dkimpy_verifies_it(
    client, events, settings, request
):
    published = request.getfixturevalue("published_dns")  # the library's key, as DNS has it
    with running(KeepsRawBytes()) as server:
        settings.SMTP_URL = server.url
        sign_up(client, events, "lotte@example.org")
    (mail,) = server.messages
    assert "s=mei2026" in mail["DKIM-Signature"]
    assert dkim.verify(server.handler.raw[0], dnsfunc=published)


def test_when_the_mail_cannot_go_the_request_stays_and_asking_again_sends_it(
    client, events, smtp_server, settings
):
    working = settings.SMTP_URL
    settings.SMTP_URL = f"smtp://127.0.0.1:{_free_port()}"  # nobody listens there

    down = sign_up(client, events, "lotte@example.org")

    assert down.status_code == 503
    assert "Probeer het later opnieuw" in down.content.decode()
    assert Contact.objects.get().confirmed_at is None
    settings.SMTP_URL = working
    assert sign_up(client, events, "lotte@example.org").status_code == 200
    assert len(smtp_server.messages) == 1
