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


def salted_hmac(salt: str, value: str) -> "hmac.HMAC":
    """django.utils.crypto.salted_hmac(salt, value, algorithm="sha256") with SECRET_KEY."""
    mac = _keyed(salt, settings.SECRET_KEY).copy()
    mac.update(value.encode())
    return mac


def signed(salt: str, value: str) -> str:
    """django.core.signing.Signer(salt=salt).sign(value) with SECRET_KEY."""
    digest = salted_hmac(salt + "signer", value).digest()
    return f"{value}:{base64.urlsafe_b64encode(digest).rstrip(b'=').decode()}"
