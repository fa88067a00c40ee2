"""Over https the receiver's certificate is verified: one the machine does not trust gets
nothing, and its reason is logged; a private authority the operator trusts (SSL_CERT_FILE,
or the system's store) is accepted."""

import pytest

from patronflow import notices
from patronflow.webhooks.delivery import deliver_due
from patronflow.webhooks.models import Delivery
from tests.factories import LibraryFactory
from tests.mail.test_smtp_tls import Authority
from tests.webhooks.helpers import subscribe
from tests.webhooks.receiver import receiving

pytestmark = pytest.mark.django_db


def unsubscribed(library) -> None:
    notices.announce(library_id=library.pk, kind=notices.ALL_MAIL_STOPPED, data={"member": "M1"})


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
    assert "CERTIFICATE_VERIFY_FAILED" in delivery.last_error


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
