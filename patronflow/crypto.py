"""Keyed hashes and signatures as Django makes them, with the salted key derived once.

django.utils.crypto.salted_hmac derives its key (a SHA-256 of salt and secret) on every
call; a mail carries half a dozen signed tokens and addresses, and an import looks its
members up in the erasure register by keyed hash, so one keyed HMAC is kept per salt and
copied. The results are Django's, byte for byte (tests/test_crypto.py): tokens made here
are read by django.core.signing and back, and stored hashes still match.
"""

import base64
import hashlib
import hmac
from functools import lru_cache

from django.conf import settings


@lru_cache(maxsize=64)
def _keyed(salt: str, secret: str) -> "hmac.HMAC":
    key = hashlib.sha256(salt.encode() + secret.encode()).digest()
    return hmac.new(key, digestmod=hashlib.sha256)


def salted_hmac(salt: str, value: str, secret: str | None = None) -> "hmac.HMAC":
    """django.utils.crypto.salted_hmac(salt, value, secret, algorithm="sha256"): with
    SECRET_KEY unless another secret is given."""
    mac = _keyed(salt, settings.SECRET_KEY if secret is None else secret).copy()
    mac.update(value.encode())
    return mac


def signed(salt: str, value: str) -> str:
    """django.core.signing.Signer(salt=salt).sign(value) with SECRET_KEY."""
    return f"{value}:{_signature(salt, value, settings.SECRET_KEY)}"


def unsigned(salt: str, token: str) -> str | None:
    """What django.core.signing.Signer(salt=salt).unsign(token) returns, or None where it
    raises BadSignature; tokens signed with a key in SECRET_KEY_FALLBACKS still read."""
    value, separator, signature = token.rpartition(":")
    if not separator:
        return None
    for secret in (settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS):
        if hmac.compare_digest(signature.encode(), _signature(salt, value, secret).encode()):
            return value
    return None


def _signature(salt: str, value: str, secret: str) -> str:
    digest = salted_hmac(salt + "signer", value, secret).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
