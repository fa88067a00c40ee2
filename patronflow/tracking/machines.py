"""Telling machines from members: mail providers' image proxies, security gateways that open
every mail on arrival, and link scanners that follow every link before the member sees it (and
some that press the buttons on the pages behind them).

Only the verdict is stored on the Event (`Event.Machine`), never the address or user agent it
came from. The lists below are data: extend them as providers change, with a source.
"""

import datetime as dt
import ipaddress
from functools import lru_cache

from patronflow.tracking.models import Event

# An open this soon after the mail left was made by whatever received it, not by a person.
SECONDS_AFTER_DELIVERY = 10
# A mail whose every link (two or more) was followed within about this many seconds was swept
# by a scanner: no member reads a mail and clicks all of its links that fast
# (tracking/services.py: mark_link_sweeps).
LINK_SWEEP_SECONDS = 10

# Image proxies that fetch a mail's images for the reader. Apple Mail Privacy Protection
# fetches every image of every mail on delivery, whether or not it is read; Gmail, Yahoo and
# Outlook.com cache images behind their own proxies.
MAIL_PROXY_AGENTS = (
    "GoogleImageProxy",  # Gmail: "… (via ggpht.com GoogleImageProxy)"
    "YahooMailProxy",  # Yahoo Mail
    "Outlook-iOS-Android",  # Outlook mobile's prefetch
)
# Apple MPP sends exactly this user agent, from Apple's own network (AS714, 17.0.0.0/8).
APPLE_PROXY_AGENT = "Mozilla/5.0"
MAIL_PROXY_NETWORKS = (
    "17.0.0.0/8",  # Apple (Mail Privacy Protection)
    "66.102.0.0/20",  # Google (Gmail image proxy, ggpht.com)
    "66.249.64.0/19",  # Google
    "64.233.160.0/19",  # Google
    "72.14.192.0/18",  # Google
    "74.125.0.0/16",  # Google
)
# Security gateways and URL checkers that open links to look at the page behind them, and
# generic HTTP libraries that no member's mail program or browser sends.
SCANNER_AGENTS = (
    "barracuda",
    "mimecast",
    "proofpoint",
    "forcepoint",
    "trendmicro",
    "symantec",
    "safelinks",  # Microsoft Defender Safe Links
    "bingpreview",
    "headlesschrome",
    "phantomjs",
    "python-requests",
    "python-urllib",
    "go-http-client",
    "curl/",
    "wget/",
    "libwww-perl",
    "java/",
    "okhttp",
    "apache-httpclient",
    "bot",
    "spider",
    "crawler",
)


@lru_cache(maxsize=1)
def _proxy_networks() -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(network) for network in MAIL_PROXY_NETWORKS)


@lru_cache(maxsize=4096)
def from_proxy_network(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in _proxy_networks())


@lru_cache(maxsize=1024)
def _is_scanner_agent(user_agent: str) -> bool:
    lowered = user_agent.lower()
    return not user_agent.strip() or any(word in lowered for word in SCANNER_AGENTS)


@lru_cache(maxsize=1024)
def _is_proxy_agent(user_agent: str) -> bool:
    return any(word in user_agent for word in MAIL_PROXY_AGENTS)


def classify_open(
    *, method: str, user_agent: str, address: str, at: dt.datetime, sent_at: dt.datetime | None
) -> str:
    """The Event.Machine reason for a pixel load, or "" for what looks like a member."""
    if method == "HEAD":
        return Event.Machine.HEAD
    if _is_proxy_agent(user_agent) or (
        user_agent == APPLE_PROXY_AGENT and from_proxy_network(address)
    ):
        return Event.Machine.MAIL_PROXY
    if sent_at is not None and (at - sent_at).total_seconds() <= SECONDS_AFTER_DELIVERY:
        return Event.Machine.ON_DELIVERY
    if _is_scanner_agent(user_agent):
        return Event.Machine.SCANNER
    return ""


def classify_click(*, method: str, user_agent: str) -> str:
    """The Event.Machine reason a single click shows by itself; link sweeps need the others."""
    if method == "HEAD":
        return Event.Machine.HEAD
    if _is_scanner_agent(user_agent):
        return Event.Machine.SCANNER
    return ""


def classify_vote(*, user_agent: str) -> str:
    """The Event.Machine reason for a press of the vote button, or "" for a member's: a
    gateway that submits the forms it finds names itself (or nothing) in its user agent."""
    if _is_proxy_agent(user_agent):
        return Event.Machine.MAIL_PROXY
    if _is_scanner_agent(user_agent):
        return Event.Machine.SCANNER
    return ""
