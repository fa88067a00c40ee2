"""Per-message return paths (VERP) and the id header: which message a bounce is about.

The token is the message id and a short HMAC, in lower case only, because some mail servers
change the case of the local part on the way back. It carries no personal data.
"""

import re

from django.utils.crypto import constant_time_compare

from patronflow.crypto import salted_hmac

_SALT = "patronflow.mail.verp"
_TOKEN = re.compile(r"([0-9a-z]+)-([0-9a-f]{16})")
_WHOLE_ADDRESS = re.compile(
    r"(?:bounces|unsubscribe)\+([0-9a-z]+-[0-9a-f]{16})@[^@\s]+", re.IGNORECASE
)
ID_HEADER = "X-Patronflow-Id"


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text = ""
    while True:
        number, rest = divmod(number, 36)
        text = digits[rest] + text
        if not number:
            return text


def _mac(value: str) -> str:
    return salted_hmac(_SALT, value).hexdigest()[:16]


def message_token(message_id: int) -> str:
    value = _base36(message_id)
    return f"{value}-{_mac(value)}"


def read_message_token(token: str) -> int | None:
    """The message id a token names, or None when it is forged or malformed."""
    match = _TOKEN.fullmatch(token.strip().lower())
    if not match or not constant_time_compare(_mac(match[1]), match[2]):
        return None
    return int(match[1], 36)


def return_path(message_id: int, domain: str) -> str:
    """The envelope sender for one message: its bounces come back to this address."""
    return f"bounces+{message_token(message_id)}@{domain}"


def unsubscribe_address(message_id: int, domain: str) -> str:
    return f"unsubscribe+{message_token(message_id)}@{domain}"


def is_return_address(address: str) -> bool:
    """Whether `address` as a whole is a bounces+ or unsubscribe+ address with a genuine
    token: what the inbound listener takes mail for (it relays nothing)."""
    match = _WHOLE_ADDRESS.fullmatch(address.strip())
    return match is not None and read_message_token(match[1]) is not None
