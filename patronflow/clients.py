"""The address a web request came from, for the two things that need it: telling mail
providers' image proxies from members (tracking/machines.py) and locking out password guessing
per login and address (django-axes: settings.AXES_CLIENT_IP_CALLABLE).

Behind a reverse proxy (PATRONFLOW_BEHIND_PROXY=1) every request comes from the proxy, and the
client is the last X-Forwarded-For entry: the one the proxy appended. The entries before it are
whatever the client chose to send. Without the setting the header is ignored, so a client
cannot name its own address.
"""

import ipaddress
from collections.abc import Mapping

from django.conf import settings
from django.http import HttpRequest


def client_address(headers: Mapping[str, str], peer: str, *, behind_proxy: bool) -> str:
    """The client's address: the proxy's last X-Forwarded-For entry behind a proxy (`headers`
    looked up by lower-case name), else the connection's `peer`. An entry that is not an
    address (the proxy appended none) counts as no entry."""
    if behind_proxy:
        entry = headers.get("x-forwarded-for", "").rsplit(",", 1)[-1].strip()
        try:
            ipaddress.ip_address(entry)
        except ValueError:
            return peer
        return entry
    return peer


def request_client_address(request: HttpRequest) -> str:
    """The client address of a Django request, as configured for this instance."""
    return client_address(
        request.headers,
        request.META.get("REMOTE_ADDR", ""),
        behind_proxy=settings.TRACKING_BEHIND_PROXY,
    )
