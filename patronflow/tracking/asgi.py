"""The tracking server's application: pixel loads and clicks answered on the event loop,
everything else (pages, forged links, the admin) by Django's own ASGI handler.

A pixel or a click is the same check-classify-record-answer as in tracking/views.py, with the
same headers, but skips middleware, URL resolving and response objects, and waits for its
event's batch as a coroutine rather than a thread: most of a request's cost on a public
endpoint that takes thousands a second. Events go through one group commit per process
(tracking/recorder.py), so a 200 or 302 means the event is stored.
"""

import asyncio
import os
import threading
from concurrent.futures import ThreadPoolExecutor

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "patronflow.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402

# Django answers each request on a thread of its own (asgiref's context per request): a
# connection kept open past its request stays with a thread that is gone, one more for every
# request until the database refuses them all. So each request closes its connection; the
# fronts' own threads keep theirs, which nothing closes.
settings.DATABASES["default"]["CONN_MAX_AGE"] = 0
from django.core.asgi import get_asgi_application  # noqa: E402
from django.utils import timezone  # noqa: E402
from django.utils.encoding import iri_to_uri  # noqa: E402

from patronflow.clients import client_address  # noqa: E402
from patronflow.processes import freeze_long_lived_objects  # noqa: E402
from patronflow.tracking import hits, queries, services  # noqa: E402
from patronflow.tracking.recorder import EventNotStored, EverySecond, GroupCommit  # noqa: E402
from patronflow.tracking.views import CONTENT_SECURITY_POLICY  # noqa: E402

# Threads that read a message's facts from the database (each with its connection).
READ_THREADS = 4
# How long a message's facts (links, sent time, the library's open-tracking switch) are
# reused before being read again.
CACHE_SECONDS = 30.0
COMMON_HEADERS = [
    (b"cache-control", b"no-store, private"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-robots-tag", b"noindex, nofollow"),
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
]
PIXEL_HEADERS = [
    (b"content-type", b"image/gif"),
    (b"content-length", str(len(hits.PIXEL)).encode()),
    *COMMON_HEADERS,
]
NOT_STORED_HEADERS = [(b"retry-after", b"1"), (b"content-length", b"0"), *COMMON_HEADERS]
OPEN_PREFIX, OPEN_SUFFIX, CLICK_PREFIX = "/t/o/", ".gif", "/t/c/"
READ_HEADERS = frozenset({b"user-agent", b"x-forwarded-for"})


class TrackingApplication:
    def __init__(self, django_app, recorder: GroupCommit, cache: hits.FactsCache) -> None:
        self.django_app = django_app
        self.recorder = recorder
        self.cache = cache
        self.reads = ThreadPoolExecutor(READ_THREADS, thread_name_prefix="message-facts")
        self.behind_proxy = settings.TRACKING_BEHIND_PROXY

    async def __call__(self, scope: dict, receive, send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD"):
            path = scope["path"]
            try:
                if path.startswith(OPEN_PREFIX) and path.endswith(OPEN_SUFFIX):
                    if await self._open(scope, path[len(OPEN_PREFIX) : -len(OPEN_SUFFIX)]):
                        body = b"" if scope["method"] == "HEAD" else hits.PIXEL
                        await _answer(send, 200, PIXEL_HEADERS, body)
                        return
                elif path.startswith(CLICK_PREFIX):
                    destination = await self._click(scope, path[len(CLICK_PREFIX) :])
                    if destination is not None:
                        location = iri_to_uri(destination).encode("ascii")
                        headers = [(b"location", location), (b"content-length", b"0")]
                        await _answer(send, 302, [*headers, *COMMON_HEADERS], b"")
                        return
            except EventNotStored:
                await _answer(send, 503, NOT_STORED_HEADERS, b"")
                return
        # Not ours to answer quickly (a page, a POST, a forged or expired link): Django's views
        # give the full answer, e.g. the friendly "this link does not work" page.
        await self.django_app(scope, receive, send)

    async def _facts(self, message_id: int) -> queries.MessageFacts | None:
        facts = self.cache.get(message_id)
        if facts is hits.MISSING:
            loop = asyncio.get_running_loop()
            facts = await loop.run_in_executor(self.reads, queries.message_facts, message_id)
            self.cache.put(message_id, facts)
        return facts

    async def _open(self, scope: dict, token: str) -> bool:
        data = hits.open_token(token) if "/" not in token else None
        if data is None:
            return False
        headers = _headers(scope)
        row = hits.open_event(
            await self._facts(data.message_id),
            method=scope["method"],
            user_agent=headers.get("user-agent", ""),
            address=client_address(
                headers, (scope.get("client") or ("",))[0], behind_proxy=self.behind_proxy
            ),
            now=timezone.now(),
        )
        if row is False:
            return False
        if row is not None:
            await self.recorder.record(row)
        return True

    async def _click(self, scope: dict, token: str) -> str | None:
        data = hits.click_token(token) if "/" not in token else None
        if data is None:
            return None
        found = hits.click_event(
            await self._facts(data.message_id),
            data.link_index,
            method=scope["method"],
            user_agent=_headers(scope).get("user-agent", ""),
            now=timezone.now(),
        )
        if found is None:
            return None
        destination, row = found
        await self.recorder.record(row)
        return destination

    async def _warm_up(self) -> None:
        """Before the first request: every thread that reads message facts opens its
        database connection now, and what the first lookups load joins the frozen objects.
        Otherwise the first tenth of a second after a start or a deploy went on opening
        connections while requests queued behind them."""
        ready = threading.Barrier(READ_THREADS)

        def first_lookup() -> None:
            ready.wait(timeout=10)  # all threads at once: each opens its own connection
            queries.message_facts(0)

        loop = asyncio.get_running_loop()
        lookups = [loop.run_in_executor(self.reads, first_lookup) for _ in range(READ_THREADS)]
        await asyncio.gather(*lookups)
        freeze_long_lived_objects()

    async def _lifespan(self, receive, send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await self._warm_up()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.recorder.stop()
                await send({"type": "lifespan.shutdown.complete"})
                return


def _headers(scope: dict) -> dict[str, str]:
    """The request headers the hot path reads, and no others (a browser sends a dozen)."""
    return {
        name.decode(): value.decode("latin-1")
        for name, value in scope["headers"]
        if name in READ_HEADERS
    }


async def _answer(send, status: int, headers: list, body: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class AtMost:
    """At most `limit` requests at once inside `app`; the others wait their turn. Django's
    ASGI handler runs each request on a thread of its own with a database connection of its
    own: unbounded, a burst of API calls or page loads would take every connection the
    database allows, and the tick and the send workers would find none."""

    def __init__(self, app, limit: int) -> None:
        self.app = app
        self.slots = asyncio.Semaphore(limit)

    async def __call__(self, scope: dict, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        async with self.slots:
            await self.app(scope, receive, send)


application = TrackingApplication(
    AtMost(get_asgi_application(), settings.SERVE_DJANGO_REQUESTS),
    GroupCommit(services.store_events, after_write=EverySecond(services.mark_link_sweeps)),
    hits.FactsCache(CACHE_SECONDS),
)
# Frozen once here, and again after the warm-up: a full collection would pause the event
# loop, and every waiting request, to walk them.
freeze_long_lived_objects()
