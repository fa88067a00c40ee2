"""TLS to the SMTP server, negotiated for real: STARTTLS and implicit TLS (SMTPS) against
aiosmtpd with a certificate made here, the login only over TLS, the certificate always
verified, and an untrusted one a clear reason for the mail to wait, not to be lost."""

import datetime as dt
import ipaddress
import ssl
from pathlib import Path

import pytest
from aiosmtpd.smtp import AuthResult
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from patronflow.mail.models import Message
from patronflow.mail.smtp import ServerUnavailable, SmtpServer, SmtpSession
from patronflow.operations.tick import tick
from tests.conftest import RecordingHandler
from tests.factories import TODAY, MemberFactory, at
from tests.mail.servers import running

RAW = b"From: nieuws@gent.bibliotheek.be\r\nTo: lezer@example.org\r\nSubject: hi\r\n\r\nhallo\r\n"


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificate(subject, issuer, key, signing_key, extensions) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
    )
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical)
    return builder.sign(signing_key, hashes.SHA256())


def _pem(path: Path, *items) -> Path:
    path.write_bytes(
        b"".join(
            item.public_bytes(serialization.Encoding.PEM)
            if isinstance(item, x509.Certificate)
            else item.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            for item in items
        )
    )
    return path


class Authority:
    """A private CA (a relay's, or a self-made one), and server certificates it signs."""

    def __init__(self, directory: Path, name: str) -> None:
        self.directory = directory
        directory.mkdir(exist_ok=True)
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.certificate = _certificate(
            _name(name),
            _name(name),
            self.key,
            self.key,
            [
                (x509.BasicConstraints(ca=True, path_length=None), True),
                (x509.KeyUsage(False, False, False, False, False, True, True, False, False), True),
            ],
        )
        self.ca_file = _pem(directory / f"{name}.pem", self.certificate)

    def server_context(self) -> ssl.SSLContext:
        """What the SMTP server presents: a certificate for 127.0.0.1 signed by this CA."""
        key = ec.generate_private_key(ec.SECP256R1())
        authority_key = x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key())
        certificate = _certificate(
            _name("relay.test"),
            self.certificate.subject,
            key,
            self.key,
            [
                (x509.BasicConstraints(ca=False, path_length=None), True),
                (
                    x509.SubjectAlternativeName(
                        [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
                    ),
                    False,
                ),
                (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False),
                (authority_key, False),
            ],
        )
        chain = _pem(self.directory / "server.pem", certificate, self.certificate)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(chain, _pem(self.directory / "server.key", key))
        return context


@pytest.fixture
def authority(tmp_path) -> Authority:
    return Authority(tmp_path, "patronflow-test-ca")


class TlsLogins(RecordingHandler):
    """Accepts 'patronflow' / 's3cret' only on a connection that is encrypted."""

    def __init__(self) -> None:
        super().__init__()
        self.logins: list[str] = []

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        encrypted = server.transport.get_extra_info("ssl_object") is not None
        ok = encrypted and (auth_data.login, auth_data.password) == (b"patronflow", b"s3cret")
        if ok:
            self.logins.append(mechanism)
        return AuthResult(success=ok)


def test_starttls_then_login_then_the_mail(authority, settings):
    handler = TlsLogins()
    options = {
        "tls_context": authority.server_context(),
        "require_starttls": True,  # no command but EHLO, STARTTLS and QUIT in clear
        "authenticator": handler.authenticate,
        "auth_required": True,
    }
    with running(handler, **options) as server:
        port = server.controller.port
        plain = SmtpServer.from_url(f"smtp://patronflow:s3cret@127.0.0.1:{port}")
        with pytest.raises(ServerUnavailable):  # the server really insists on TLS
            SmtpSession(plain).connect()

        url = f"smtp+starttls://patronflow:s3cret@127.0.0.1:{port}?ca_file={authority.ca_file}"
        with SmtpSession(SmtpServer.from_url(url)) as session:
            session.send(RAW, "bounces+1@gent.bibliotheek.be", "lezer@example.org")

    assert handler.logins and len(server.messages) == 1


def test_implicit_tls_smtps_then_login_then_the_mail(authority):
    handler = TlsLogins()
    options = {
        "ssl_context": authority.server_context(),
        "authenticator": handler.authenticate,  # refuses any login not over TLS
        "auth_required": True,
        # aiosmtpd counts only STARTTLS as TLS; the authenticator checks the connection.
        "auth_require_tls": False,
    }
    with (
        pytest.warns(UserWarning, match="AUTH while not requiring TLS"),
        running(handler, **options) as server,
    ):
        port = server.controller.port
        url = f"smtps://patronflow:s3cret@127.0.0.1:{port}?ca_file={authority.ca_file}"
        with SmtpSession(SmtpServer.from_url(url)) as session:
            session.send(RAW, "bounces+1@gent.bibliotheek.be", "lezer@example.org")

    assert handler.logins and len(server.messages) == 1


@pytest.mark.parametrize("scheme", ["smtp+starttls", "smtps"])
def test_an_untrusted_certificate_defers_the_mail_with_the_reason(
    library, settings, authority, scheme
):
    """Verification is never switched off: with a certificate the system's CAs do not know,
    nothing is sent, the mails wait (no attempt counted) and the reason says what to set."""
    member = MemberFactory(library=library, registered_on=TODAY)
    tls = "ssl_context" if scheme == "smtps" else "tls_context"
    with running(RecordingHandler(), **{tls: authority.server_context()}) as server:
        settings.SMTP_URL = f"{scheme}://127.0.0.1:{server.controller.port}"
        summary = tick(at(TODAY, hour=10))

        assert summary.sending.retrying == 1 and server.messages == []
        message = Message.objects.get(enrolment__member=member)
        assert (message.status, message.attempts) == (Message.Status.QUEUED, 0)
        assert "TLS certificate is not trusted" in message.last_error
        assert "?ca_file=" in message.last_error

        settings.SMTP_URL += f"?ca_file={authority.ca_file}"  # the operator names the CA
        tick(at(TODAY, hour=11))

    assert [mail["To"].addresses[0].addr_spec for mail in server.messages] == [member.email]


def test_a_certificate_from_another_authority_is_not_trusted(authority, tmp_path):
    other = Authority(tmp_path / "other", "someone-else")
    with running(RecordingHandler(), ssl_context=other.server_context()) as server:
        url = f"smtps://127.0.0.1:{server.controller.port}?ca_file={authority.ca_file}"
        with pytest.raises(ServerUnavailable, match="TLS certificate is not trusted"):
            SmtpSession(SmtpServer.from_url(url)).connect()


def test_a_ca_file_that_is_not_there_is_named_in_the_error(authority, tmp_path):
    with running(RecordingHandler(), ssl_context=authority.server_context()) as server:
        missing = tmp_path / "relay-ca.pem"
        url = f"smtps://127.0.0.1:{server.controller.port}?ca_file={missing}"
        with pytest.raises(ServerUnavailable, match=f"ca_file={missing}, which is not a file"):
            SmtpSession(SmtpServer.from_url(url)).connect()


def test_the_ca_file_is_the_one_parameter_an_smtp_url_takes():
    url = "smtps://u:p@relay.example.org?ca_file=/etc/patronflow/relay-ca.pem"
    assert SmtpServer.from_url(url).ca_file == "/etc/patronflow/relay-ca.pem"
    with pytest.raises(ValueError, match="unknown parameter"):
        SmtpServer.from_url("smtps://relay.example.org?verify=no")
