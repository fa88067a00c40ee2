"""Where deliveries may go: https to addresses on the internet, whatever the address is written
as or its name resolves to when the deliverer posts; this machine and private networks (and
plain http to this machine) only where the operator allows them; never an address with a
password in it. An address that breaks the rules is not posted to."""

import pytest

from patronflow import notices
from patronflow.webhooks.delivery import deliver_due
from patronflow.webhooks.models import Delivery
from patronflow.webhooks.urls_allowed import check_url
from tests.factories import LibraryFactory
from tests.webhooks.helpers import subscribe
from tests.webhooks.receiver import receiving

INTERNAL = [
    "https://10.0.0.5:8443/hooks?library=gent",
    "https://127.0.0.1:8080/hooks",
    "https://[::1]:9000/hooks",
    "https://169.254.169.254/latest/meta-data",
    "https://192.168.1.20/hooks",
    "https://172.16.0.1/hooks",
    "https://100.64.0.1/hooks",
    "https://0.0.0.0/hooks",
    "https://224.0.0.1/hooks",
    "https://[fd00::5]/hooks",
    "https://[fe80::1]/hooks",
    "https://[::ffff:10.0.0.5]/hooks",
    "https://[64:ff9b::a00:5]/hooks",  # 10.0.0.5 through a NAT64 gateway
    "https://[2002:a00:5::1]/hooks",  # 10.0.0.5 through 6to4
]


@pytest.mark.parametrize(
    "url",
    [
        "https://bibliotheeksysteem.example/patronflow",
        "https://localhost/hooks",  # a name: judged by what it resolves to when posted to
        "https://93.184.215.14:8443/hooks?library=gent",
        "https://[2a00:1450:4001::200e]/hooks",
    ],
)
def test_https_to_a_name_or_an_address_on_the_internet_may_be_subscribed(url):
    assert check_url(f" {url} ") == url


@pytest.mark.parametrize("url", INTERNAL)
def test_an_address_inside_a_private_or_local_network_is_refused(url):
    with pytest.raises(ValueError, match="a private or local address"):
        check_url(url)


@pytest.mark.parametrize("url", INTERNAL)
def test_the_operator_may_allow_private_addresses(settings, url):
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    assert check_url(url) == url


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("http://127.0.0.1:8080/hooks", True),
        ("http://localhost/hooks", True),
        ("http://[::1]:9000/hooks", True),
        ("http://10.0.0.5/hooks", False),
        ("http://bibliotheeksysteem.example/hooks", False),
    ],
)
def test_plain_http_goes_only_to_this_machine_and_only_where_private_addresses_are_allowed(
    settings, url, allowed
):
    with pytest.raises(ValueError, match="only https://"):
        check_url(url)
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    if allowed:
        assert check_url(url) == url
    else:
        with pytest.raises(ValueError, match="only https://"):
            check_url(url)


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


def unsubscribed(library) -> None:
    notices.announce(library_id=library.pk, kind=notices.ALL_MAIL_STOPPED, data={"member": "M1"})


@pytest.mark.django_db
def test_a_stored_address_that_breaks_the_rules_is_not_posted_to():
    library = LibraryFactory()
    subscribe(library, "http://bibliotheeksysteem.example/hooks")
    unsubscribed(library)

    assert deliver_due().retried == 1
    delivery = Delivery.objects.get()
    assert delivery.last_error == "address not allowed: only https://"
    assert delivery.last_status is None


@pytest.mark.django_db(transaction=True)
def test_a_name_that_resolves_to_this_machine_is_not_posted_to():
    library = LibraryFactory()
    with receiving() as library_system:
        port = library_system.url.split(":")[2].split("/")[0]
        subscribe(library, f"https://localhost:{port}/hooks/patronflow")
        unsubscribed(library)
        assert deliver_due().retried == 1

    assert not library_system.received
    delivery = Delivery.objects.get()
    assert delivery.last_error == "address not allowed: a private or local address"
    assert delivery.last_status is None


@pytest.mark.django_db
def test_an_address_stored_while_private_ones_were_allowed_is_not_posted_to_after():
    library = LibraryFactory()
    subscribe(library, "https://10.0.0.12:8443/admin")
    unsubscribed(library)

    deliver_due()

    assert Delivery.objects.get().last_error == "address not allowed: a private or local address"
