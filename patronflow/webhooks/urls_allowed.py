"""Which addresses a subscription may deliver to: https anywhere, plain http only to this
machine (a receiver under test or beside patronflow), never with a user name or password in
the address. The deliverer asks again before every post (check_url), so an address stored
under other rules is not posted to."""

import ipaddress
from urllib.parse import urlsplit

LOOPBACK_NAMES = {"localhost"}
# check_url's reasons; the staff screens key their own words on them.
NOT_A_WEB_ADDRESS = "not a web address"
CREDENTIALS_IN_ADDRESS = "a user name or password in the address"
NOT_HTTPS = "only https://, or http:// to this machine"


def is_loopback(host: str) -> bool:
    """The host is this machine: localhost or a loopback address."""
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str) -> str:
    """The address as deliveries use it; ValueError, saying why, when it may not be used."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 — a port that is not a number raises here
    except ValueError:
        raise ValueError(NOT_A_WEB_ADDRESS) from None
    if not parts.hostname:
        raise ValueError(NOT_A_WEB_ADDRESS)
    if parts.username or parts.password:
        raise ValueError(CREDENTIALS_IN_ADDRESS)
    if parts.scheme == "https" or (parts.scheme == "http" and is_loopback(parts.hostname)):
        return url
    raise ValueError(NOT_HTTPS)
