"""DKIM signing (RFC 6376, rsa-sha256, relaxed/relaxed) through OpenSSL.

dkimpy signs in pure Python at about 120 signatures a second per core; the `cryptography`
package (OpenSSL) does some 2,700. We canonicalise and sign here and leave verification to
dkimpy in the tests. Keys live in settings.VAR_DIR/dkim/<domain>.<selector>.pem.
"""

import base64
import hashlib
import re
import time
from functools import lru_cache
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.conf import settings

_WSP_RUN = re.compile(rb"[ \t]+")
_TRAILING_WSP = re.compile(rb"[ \t]+\r\n")
_FOLD = re.compile(rb"\r\n(?=[ \t])")

# What a signature covers: everything a receiver shows or acts on (RFC 8058 asks for both
# List-Unsubscribe headers to be signed).
SIGNED_HEADERS = (
    "From", "To", "Subject", "Date", "Message-ID", "MIME-Version", "Content-Type",
    "List-Id", "List-Unsubscribe", "List-Unsubscribe-Post", "Feedback-ID", "X-Patronflow-Id",
)  # fmt: skip


def key_path(domain: str, selector: str) -> Path:
    return Path(settings.VAR_DIR) / "dkim" / f"{domain}.{selector}.pem"


def create_key(domain: str, selector: str) -> Path:
    """An RSA-2048 key for (domain, selector), made once; an existing key is kept."""
    path = key_path(domain, selector)
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.touch(mode=0o600)
    path.write_bytes(pem)
    return path


def dns_record(domain: str, selector: str) -> tuple[str, str]:
    """(name, TXT value) to publish so that receivers can check the signatures."""
    key = _private_key(str(key_path(domain, selector)))
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return (
        f"{selector}._domainkey.{domain}",
        f"v=DKIM1; k=rsa; p={base64.b64encode(public).decode()}",
    )


@lru_cache(maxsize=64)
def _private_key(path: str) -> rsa.RSAPrivateKey:
    return serialization.load_pem_private_key(Path(path).read_bytes(), password=None)


def relaxed_header(name: str, value: bytes) -> bytes:
    """RFC 6376 3.4.2: lower-case name, unfolded value, whitespace runs as one space."""
    value = _WSP_RUN.sub(b" ", _FOLD.sub(b"", value)).strip(b" ")
    return name.lower().encode() + b":" + value + b"\r\n"


def relaxed_body(body: bytes) -> bytes:
    """RFC 6376 3.4.4: no trailing whitespace, runs as one space, no empty lines at the end.
    A body with no tab, no run of spaces and no space before a line break is relaxed already
    but for its end: three substring searches spare it two regex passes per mail."""
    if b"\t" in body or b"  " in body or b" \r\n" in body:
        body = _WSP_RUN.sub(b" ", _TRAILING_WSP.sub(b"\r\n", body))
    body = body.rstrip(b"\r\n")
    return body + b"\r\n" if body else b""


class Signer:
    """Signs messages for one (domain, selector)."""

    def __init__(self, domain: str, selector: str) -> None:
        self.domain = domain
        self.selector = selector
        self.key = _private_key(str(key_path(domain, selector)))

    def signature_header(self, headers: list[tuple[str, bytes]], body: bytes) -> bytes:
        """The complete `DKIM-Signature: …` line (CRLF ended) to put before `headers`."""
        present = {name.lower(): (name, value) for name, value in headers}
        signed = [present[name.lower()] for name in SIGNED_HEADERS if name.lower() in present]
        body_hash = base64.b64encode(hashlib.sha256(relaxed_body(body)).digest()).decode()
        value = (
            f"v=1; a=rsa-sha256; c=relaxed/relaxed; d={self.domain}; s={self.selector};\r\n"
            f"\tt={int(time.time())}; h={':'.join(name.lower() for name, _ in signed)};\r\n"
            f"\tbh={body_hash};\r\n\tb="
        ).encode()
        data = b"".join(relaxed_header(name, raw) for name, raw in signed)
        data += relaxed_header("DKIM-Signature", value)[:-2]  # without its CRLF
        signature = self.key.sign(data, padding.PKCS1v15(), hashes.SHA256())
        return b"DKIM-Signature: " + value + base64.b64encode(signature) + b"\r\n"


def signer_for(domain: str, selector: str) -> Signer | None:
    """The signer for a library's domain and selector, or None without a selector or key."""
    if not selector or not key_path(domain, selector).exists():
        return None
    return Signer(domain, selector)
