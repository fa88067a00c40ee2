"""Pixel loads and clicks: check the token, classify, record, answer — the hot path.

The Django views (tracking/views.py) use `Hits`: no cache, events written straight away.
The server's front (tracking/asgi.py) uses the same pieces — `FactsCache`, `open_event`,
`click_event` — asynchronously, with message facts cached for a few seconds and events
stored by a group commit. Anything a token does not vouch for is None: 404, nothing written.
"""

import datetime as dt
import time
from collections.abc import Callable

from django.utils import timezone

from patronflow.mail.tokens import TokenData, read_token
from patronflow.tracking import machines, queries, services
from patronflow.tracking.models import Event
from patronflow.tracking.services import EventRow

# A 1×1 transparent GIF (43 bytes).
PIXEL = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff"
    b"!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)
MISSING = object()


class FactsCache:
    """Message facts reused for `seconds`: a sent mail's links never change, and a library's
    open-tracking switch is followed within that time. Zero seconds: no cache."""

    def __init__(self, seconds: float = 0.0, size: int = 100_000) -> None:
        self.seconds = seconds
        self._size = size
        self._entries: dict[int, tuple[float, queries.MessageFacts | None]] = {}

    def get(self, message_id: int):
        """The cached facts (None for a message that does not exist), or MISSING."""
        entry = self._entries.get(message_id)
        if entry is None or entry[0] < time.monotonic():
            return MISSING
        return entry[1]

    def put(self, message_id: int, facts: queries.MessageFacts | None) -> None:
        if not self.seconds:
            return
        if len(self._entries) >= self._size:
            self._entries.clear()
        self._entries[message_id] = (time.monotonic() + self.seconds, facts)


def open_token(token: str) -> TokenData | None:
    data = read_token("open", token)
    return data if data is not None and data.link_index is None else None


def click_token(token: str) -> TokenData | None:
    data = read_token("click", token)
    return data if data is not None and data.link_index is not None else None


def open_event(
    facts: queries.MessageFacts | None,
    *,
    method: str,
    user_agent: str,
    address: str,
    now: dt.datetime,
) -> EventRow | bool | None:
    """The event a pixel load makes; None when the library does not track opens (the pixel is
    still served); False when the message is gone or the link expired."""
    if facts is None or facts.expired(now):
        return False
    if not facts.track_opens:
        return None
    machine = machines.classify_open(
        method=method, user_agent=user_agent, address=address, at=now, sent_at=facts.sent_at
    )
    return EventRow(facts.message_id, Event.Kind.OPEN, None, machine, now)


def click_event(
    facts: queries.MessageFacts | None,
    link_index: int,
    *,
    method: str,
    user_agent: str,
    now: dt.datetime,
) -> tuple[str, EventRow] | None:
    """The destination the mail held at this index and the event the click makes, or None."""
    if facts is None or facts.expired(now):
        return None
    destination = facts.web_link(link_index)
    if destination is None:
        return None
    machine = machines.classify_click(method=method, user_agent=user_agent)
    return destination, EventRow(facts.message_id, Event.Kind.CLICK, link_index, machine, now)


def _write_now(row: EventRow) -> None:
    services.store_events([row])
    services.mark_link_sweeps([row])


class Hits:
    """The synchronous path, for the Django views."""

    def __init__(self, *, record: Callable[[EventRow], None] = _write_now) -> None:
        self._record = record

    def open(self, token: str, *, method: str, user_agent: str, address: str) -> bool:
        """Record a pixel load (when the library tracks opens); False when the token is not ours."""
        data = open_token(token)
        if data is None:
            return False
        row = open_event(
            queries.message_facts(data.message_id),
            method=method,
            user_agent=user_agent,
            address=address,
            now=timezone.now(),
        )
        if row is False:
            return False
        if row is not None:
            self._record(row)
        return True

    def click(self, token: str, *, method: str, user_agent: str) -> str | None:
        """Record a click and return the destination the mail held; None when not ours."""
        data = click_token(token)
        if data is None:
            return None
        found = click_event(
            queries.message_facts(data.message_id),
            data.link_index,
            method=method,
            user_agent=user_agent,
            now=timezone.now(),
        )
        if found is None:
            return None
        destination, row = found
        self._record(row)
        return destination
