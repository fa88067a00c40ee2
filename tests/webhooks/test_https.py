"""Over https the receiver's certificate is verified against the name in the subscribed
address, though the post connects to the address the deliverer checked: one the machine does
not trust, or made out for another name, gets nothing, and the log says so in a few fixed
words; a private authority the operator trusts (SSL_CERT_FILE, or the system's store) is
accepted."""

import ssl

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID

from patronflow import notices
from patronflow.webhooks.delivery import deliver_due
from patronflow.webhooks.models import Delivery
from tests.factories import LibraryFactory
from tests.mail.test_smtp_tls import Authority, _certificate, _name, _pem
from tests.webhooks.helpers import subscribe
from tests.webhooks.receiver import receiving

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("receivers_on_this_machine")]


def unsubscribed(library) -> None:
    notices.announce(library_id=library.pk, kind=notices.ALL_MAIL_STOPPED, data={"member": "M1"})


def certified_for(authority: Authority, name: str) -> ssl.SSLContext:
    """A receiver's TLS context: a certificate for the host name `name`, signed by the
    authority."""
    key = ec.generate_private_key(ec.SECP256R1())
    certificate = _certificate(
        _name(name),
        authority.certificate.subject,
        key,
        authority.key,
        [
            (x509.BasicConstraints(ca=False, path_length=None), True),
            (x509.SubjectAlternativeName([x509.DNSName(name)]), False),
            (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False),
        ],
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(
        _pem(authority.directory / f"{name}.pem", certificate, authority.certificate),
        _pem(authority.directory / f"{name}.key", key),
    )
    return context


def test_a_receiver_whose_certificate_is_not_trusted_gets_nothing(tmp_path):
    library = LibraryFactory()
    authority = Authority(tmp_path / "ca", "bibliotheeksysteem-ca")
    with receiving(tls=authority.server_context()) as library_system:
        subscribe(library, library_system.url)
        unsubscribed(library)
        deliver_due()

    assert not library_system.received
    delivery = Delivery.objects.get()
    assert delivery.state == "pending"
    assert (delivery.last_status, delivery.last_error) == (None, "certificate not trusted")


def test_a_receiver_certified_by_an_authority_the_operator_trusts_gets_the_notice(
    tmp_path, monkeypatch
):
    library = LibraryFactory()
    authority = Authority(tmp_path / "ca", "bibliotheeksysteem-ca")
    monkeypatch.setenv("SSL_CERT_FILE", str(authority.ca_file))
    with receiving(tls=authority.server_context()) as library_system:
        subscribe(library, library_system.url)
        unsubscribed(library)
        assert deliver_due().delivered == 1

    assert len(library_system.received) == 1
    assert library_system.url.startswith("https://127.0.0.1:")


def test_the_certificate_is_checked_against_the_name_the_address_gives(tmp_path, monkeypatch):
    library, another = LibraryFactory(), LibraryFactory()
    authority = Authority(tmp_path / "ca", "bibliotheeksysteem-ca")
    monkeypatch.setenv("SSL_CERT_FILE", str(authority.ca_file))
    with (
        receiving(tls=certified_for(authority, "localhost")) as library_system,
        receiving(tls=certified_for(authority, "bibliotheeksysteem.example")) as other_name,
    ):
        by_name = library_system.url.replace("127.0.0.1", "localhost")
        subscribe(library, by_name)
        subscribe(another, other_name.url.replace("127.0.0.1", "localhost"))
        unsubscribed(library)
        unsubscribed(another)
        done = deliver_due()

    assert (done.delivered, done.retried) == (1, 1)
    [received] = library_system.received
    port = by_name.split(":")[2].split("/")[0]
    assert received.headers["Host"] == f"localhost:{port}"
    assert not other_name.received
    refused = Delivery.objects.get(state="pending")
    assert refused.last_error == "certificate not trusted"
