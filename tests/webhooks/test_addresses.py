"""Where deliveries may go: https, or plain http only to this machine; never an address with
a password in it. An address that breaks the rules is not posted to."""

import pytest

from patronflow import notices
from patronflow.webhooks.delivery import deliver_due
from patronflow.webhooks.models import Delivery
from patronflow.webhooks.urls_allowed import check_url
from tests.factories import LibraryFactory
from tests.webhooks.helpers import subscribe


@pytest.mark.parametrize(
    "url",
    [
        "https://bibliotheeksysteem.example/patronflow",
        "https://10.0.0.5:8443/hooks?library=gent",
        "http://127.0.0.1:8080/hooks",
        "http://localhost/hooks",
        "http://[::1]:9000/hooks",
    ],
)
def test_https_anywhere_and_http_to_this_machine_are_allowed(url):
    assert check_url(f" {url} ") == url


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://bibliotheeksysteem.example/hooks", "only https://"),
        ("ftp://bibliotheeksysteem.example/hooks", "only https://"),
        ("https://user:secret@bibliotheeksysteem.example/hooks", "password"),
        ("https:///hooks", "not a web address"),
        ("https://bib.example:port/hooks", "not a web address"),
        ("bibliotheeksysteem.example/hooks", "not a web address"),
    ],
)
def test_other_addresses_are_refused_saying_why(url, why):
    with pytest.raises(ValueError, match=why):
        check_url(url)


@pytest.mark.django_db
def test_a_stored_address_that_breaks_the_rules_is_not_posted_to():
    library = LibraryFactory()
    subscribe(library, "http://bibliotheeksysteem.example/hooks")
    notices.announce(library_id=library.pk, kind=notices.ALL_MAIL_STOPPED, data={"member": "M1"})

    assert deliver_due().retried == 1
    delivery = Delivery.objects.get()
    assert delivery.last_error == "address not allowed: only https://, or http:// to this machine"
    assert delivery.last_status is None
