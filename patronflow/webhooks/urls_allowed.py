"""Which addresses a subscription may deliver to, and which machines a post may connect to.

A library's staff choose the address, but the deliverer runs inside the operator's network:
so, unless the operator allows it (PATRONFLOW_WEBHOOKS_ALLOW_PRIVATE, for a receiver beside
patronflow or under test), a delivery goes only over https:// to an address on the internet,
never to a loopback, private, shared, link-local, reserved or multicast one. The rule is asked
twice: when staff subscribe an address (check_url: an address written as numbers is judged
there; a name, such as localhost, is not resolved then) and again before every post
(check_url, then addresses_for, which judges what the name resolves to at that moment; the
post connects to those judged addresses only, so the name cannot point elsewhere between the
check and the connection). Plain http:// only ever goes to this machine, and only where the
operator allows private addresses. Never a user name or password in the address."""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings

LOOPBACK_NAMES = {"localhost"}
# check_url's reasons; the staff screens and the delivery log key their own words on them.
NOT_A_WEB_ADDRESS = "not a web address"
CREDENTIALS_IN_ADDRESS = "a user name or password in the address"
NOT_HTTPS = "only https://"
PRIVATE_ADDRESS = "a private or local address"

Address = tuple[socket.AddressFamily, tuple]


def private_allowed() -> bool:
    """The operator lets deliveries go to this machine and the private network."""
    return settings.WEBHOOKS_ALLOW_PRIVATE


def is_loopback(host: str) -> bool:
    """The host is this machine: localhost or a loopback address."""
    host = host.lower()
    if host in LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_public(address: str) -> bool:
    """The address is on the internet: not this machine's, a private or shared network's,
    link-local, reserved (NAT64's 64:ff9b::/96 among them), multicast, nor one of those
    wrapped in an IPv6 address (mapped, or 6to4)."""
    ip = ipaddress.ip_address(address)
    if ip.version == 6:
        inner = ip.ipv4_mapped or ip.sixtofour
        if inner is not None and not is_public(str(inner)):
            return False
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_link_local)


def _written_as_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def check_url(url: str) -> str:
    """The address as deliveries use it; ValueError, saying why, when it may not be used.
    A name is not resolved here (addresses_for does that before each post)."""
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
    host = parts.hostname
    if parts.scheme == "http" and private_allowed() and is_loopback(host):
        return url
    if parts.scheme != "https":
        raise ValueError(NOT_HTTPS)
    if not private_allowed() and _written_as_address(host) and not is_public(host):
        raise ValueError(PRIVATE_ADDRESS)
    return url


def addresses_for(host: str, port: int, *, plain_http: bool) -> list[Address]:
    """What a post to host may connect to, in the resolver's order: its addresses that the
    rule allows (only loopback ones for plain http). ValueError when none is; OSError when
    the name is not found."""
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    allowed = []
    for family, _type, _protocol, _name, address in found:
        if family not in (socket.AF_INET, socket.AF_INET6):
            continue
        ip = address[0]
        if plain_http:
            fits = ipaddress.ip_address(ip).is_loopback
        else:
            fits = private_allowed() or is_public(ip)
        if fits and (family, address) not in allowed:
            allowed.append((family, address))
    if not allowed:
        raise ValueError(PRIVATE_ADDRESS)
    return allowed
