"""POST /api/v1/events answered on the event loop, in front of Django: a website that tells
patronflow of every activity registration sends one event at a time, many at once.

Behind Django's ASGI handler each request would wait for one thread of the process; here a
request is a coroutine. Its token, rate limit and member are read by a pool of threads that
keep their database connections, and its event joins the next group commit (the tracking
server's GroupCommit): one transaction writes every event that arrived while the previous one
was written, counts the tokens' requests, and writes the audit log's entry. A 201 or 200 means
the event is stored.

Only the plain case is answered here: a valid event of a known member, through a token with the
events scope under its limit, without an Idempotency-Key header. Everything else — a problem to
explain, a retried idempotent request, another path — goes on to Django with the body it sent,
so the API's own views give every answer that is not a stored event, and both ways check the
event with the same schema.
"""

import asyncio
import datetime as dt
import json
import logging
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from pydantic import ValidationError

from patronflow.api import auth, limits
from patronflow.api.api import JSON, MAX_BODY_BYTES, event_answer, operator_of
from patronflow.api.events import TABLE
from patronflow.api.idempotency import HEADER
from patronflow.api.models import ApiToken
from patronflow.api.problems import Problem, problem_response
from patronflow.api.schemas import EventIn
from patronflow.api.tokens import prefix_of, proves
from patronflow.members.models import Library, Member, MemberEvent
from patronflow.privacy.audit import record
from patronflow.privacy.models import AuditEntry
from patronflow.tracking.recorder import EventNotStored, GroupCommit

PATH = "/api/v1/events"
READ_THREADS = 4
# A group commit the database has not done in this time is undone (PostgreSQL).
WRITE_SECONDS = 10
IDEMPOTENCY_HEADER = HEADER.lower().encode()

log = logging.getLogger(__name__)


@dataclass
class Arrival:
    """One event on its way to the table; `stored` is what the group commit made of it."""

    token: ApiToken
    library_code: str
    row: MemberEvent
    member: str
    stored: MemberEvent | None = None
    created: bool = False


def prepare(authorization: str, body: bytes, now: dt.datetime) -> Arrival | None:
    """The event, ready to store, when the request is the plain case; else None (Django
    answers it, also when the database failed this thread: its next request connects
    afresh)."""
    try:
        return _prepare(authorization, body, now)
    except DatabaseError:
        log.exception("the events front could not read; Django answers this request")
        connection.close()
        return None


def _prepare(authorization: str, body: bytes, now: dt.datetime) -> Arrival | None:
    """The token, its library and the member come in one query: this runs for every event a
    website sends. The request is counted towards the token's limit when it is written."""
    presented = authorization.removeprefix("Bearer ").strip()
    prefix = prefix_of(presented) if presented != authorization else None
    if prefix is None:
        return None
    try:
        event = EventIn.model_validate(json.loads(body, parse_constant=_refuse))
    except (ValueError, ValidationError):
        return None
    found = _caller(prefix, event.member, now)
    if found is None:
        return None
    token_id, library_id, code, digest, scopes, revoked, unnoted, member_id = found
    scopes = json.loads(scopes) if isinstance(scopes, str) else scopes
    if (
        revoked
        or not proves(digest, presented)
        or ApiToken.Scope.EVENTS not in scopes
        or member_id is None
    ):
        return None
    token = ApiToken(pk=token_id, library_id=library_id, prefix=prefix, scopes=scopes)
    if unnoted:
        ApiToken.objects.filter(pk=token_id).update(last_used_at=now)
    row = MemberEvent(
        library_id=library_id, member_id=member_id, type=event.type,
        occurred_at=event.occurred_at, properties=event.properties, key=event.key or "",
    )  # fmt: skip
    return Arrival(token, code, row, event.member)


def _refuse(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _caller(prefix: str, member: str, now: dt.datetime) -> tuple | None:
    """The token named by `prefix`: its library's code, whether it is revoked, whether its
    last use is older than auth.LAST_USED_EVERY (to be noted) and the id of its library's
    `member` (None)."""
    quote = connection.ops.quote_name
    token, library = quote(ApiToken._meta.db_table), quote(Library._meta.db_table)
    members = quote(Member._meta.db_table)
    noted_since = connection.ops.adapt_datetimefield_value(now - auth.LAST_USED_EVERY)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT t.id, t.library_id, l.code, t.digest, t.scopes, "
            f"t.revoked_at IS NOT NULL, "
            f"t.last_used_at IS NULL OR t.last_used_at <= %s, m.id FROM {token} t "
            f"JOIN {library} l ON l.id = t.library_id "
            f"LEFT JOIN {members} m ON m.library_id = t.library_id AND m.external_id = %s "
            "WHERE t.prefix = %s",
            [noted_since, member, prefix],
        )
        return cursor.fetchone()


def store(arrivals: list[Arrival]) -> None:
    """Write one group commit's events and log the access, in one transaction; an event whose
    key is stored already is answered with the earlier one. When the group fails, each event
    is tried alone, so one bad row (a member erased meanwhile) fails no other request: an
    event left without `stored` goes on to Django."""
    try:
        _store(arrivals)
    except DatabaseError:
        if len(arrivals) == 1:
            raise
        log.warning("a group of %d events failed; storing them one by one", len(arrivals))
        failed = 0
        for arrival in arrivals:
            arrival.stored, arrival.created = None, False
            try:
                _store([arrival])
            except DatabaseError:
                failed += 1
        if failed == len(arrivals):
            raise


def _store(arrivals: list[Arrival]) -> None:
    if connection.connection is not None and not connection.is_usable():
        connection.close()  # the database dropped it (a restart): write on a new one
    now = timezone.now()
    for arrival in arrivals:
        arrival.row.received_at = now
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # A write the database has not done by then is undone: its requests are answered
            # "not stored", truthfully (the recorder waits for a write it has started).
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL statement_timeout = %s", [f"{WRITE_SECONDS}s"])
        arrivals = _within_the_limits(arrivals, now)
        unkeyed = [a for a in arrivals if not a.row.key]
        keyed = [a for a in arrivals if a.row.key]
        MemberEvent.objects.bulk_create([a.row for a in unkeyed])
        for arrival in unkeyed:
            arrival.stored, arrival.created = arrival.row, True
        if keyed:
            MemberEvent.objects.bulk_create([a.row for a in keyed], ignore_conflicts=True)
            _answer_keyed(keyed, now)
        created = Counter((a.library_code, operator_of(a.token)) for a in arrivals if a.created)
        for (library, operator), count in created.items():
            record(
                AuditEntry.Action.CHANGED, operator=operator, library=library,
                counts={TABLE: count}, at=now,
            )  # fmt: skip


def _within_the_limits(arrivals: list[Arrival], now: dt.datetime) -> list[Arrival]:
    """Count the requests towards their tokens' limits, a token at a time (every process's
    writer waits its turn on the token's count, as the view's requests do), and keep those
    within them; the others are left unstored, and the view answers them 429."""
    limit = limits.rate_limit()
    if not limit:
        return arrivals
    by_token: dict[int, list[Arrival]] = {}
    for arrival in arrivals:
        by_token.setdefault(arrival.token.pk, []).append(arrival)
    admitted = []
    for token_id, theirs in sorted(by_token.items()):
        total = limits.add_requests(token_id, len(theirs), now)
        over = max(0, min(len(theirs), total - limit))
        admitted += theirs[: len(theirs) - over]
    return admitted


def _answer_keyed(keyed: list[Arrival], now: dt.datetime) -> None:
    """The stored event of each key: this commit's (created) or an earlier one. The same key
    twice in one commit: the first is created, the second answered with it."""
    wanted = {(a.row.library_id, a.row.key) for a in keyed}
    stored = {
        (event.library_id, event.key): event
        for event in MemberEvent.objects.filter(
            library_id__in={library for library, _ in wanted}, key__in={key for _, key in wanted}
        )
        if (event.library_id, event.key) in wanted
    }
    answered: set[tuple[int, str]] = set()
    for arrival in keyed:
        found = (arrival.row.library_id, arrival.row.key)
        arrival.stored = stored[found]
        arrival.created = arrival.stored.received_at == now and found not in answered
        answered.add(found)


class EventsFront:
    """The ASGI application in front of `inner` (the tracking server's): POST /api/v1/events
    here, everything else there."""

    def __init__(self, inner, recorder: GroupCommit | None = None) -> None:
        self.inner = inner
        self.recorder = recorder or GroupCommit(
            store, wait_seconds=WRITE_SECONDS + 5, give_up_while_written=False
        )
        self.reads = ThreadPoolExecutor(READ_THREADS, thread_name_prefix="api-reads")

    async def __call__(self, scope: dict, receive, send) -> None:
        if scope["type"] == "lifespan":
            await self.inner(scope, receive, self._stopping_before(send))
            return
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != PATH:
            await self.inner(scope, receive, send)
            return
        headers = dict(scope["headers"])
        chunks, complete = await _body(receive)
        arrival = None
        if complete and _plain(headers):
            authorization = headers.get(b"authorization", b"").decode("latin-1")
            loop = asyncio.get_running_loop()
            arrival = await loop.run_in_executor(
                self.reads, prepare, authorization, b"".join(chunks), timezone.now()
            )
        if arrival is None:
            await self.inner(scope, _replay(chunks, complete, receive), send)
            return
        try:
            await self.recorder.record(arrival)
        except EventNotStored:
            problem = Problem(503, "The event could not be stored just now; send it again.")
            problem.headers["Retry-After"] = "1"
            await _send(send, problem_response(problem))
            return
        if arrival.stored is None:  # over its limit, or failed alone too: the view answers
            await self.inner(scope, _replay(chunks, complete, receive), send)
            return
        await _send(send, event_answer(arrival.stored, arrival.member, created=arrival.created))

    def _stopping_before(self, send):
        """The server's shutdown completes only once the last events are written."""

        async def sending(message: dict) -> None:
            if message["type"] == "lifespan.shutdown.complete":
                await self.recorder.stop()
                await asyncio.get_running_loop().run_in_executor(self.reads, _close)
            await send(message)

        return sending


def _close() -> None:
    connection.close()


def _plain(headers: dict[bytes, bytes]) -> bool:
    """A JSON body, not a retry of an idempotent request."""
    content_type = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
    return content_type == JSON.encode() and IDEMPOTENCY_HEADER not in headers


async def _body(receive) -> tuple[list[bytes], bool]:
    """The body's chunks as far as they go, and whether that is all of it: reading stops at
    the API's limit (Django then refuses the body) or when the client goes away."""
    chunks, size = [], 0
    while size <= MAX_BODY_BYTES:
        message = await receive()
        if message["type"] != "http.request":
            return chunks, False
        chunks.append(message.get("body", b""))
        size += len(chunks[-1])
        if not message.get("more_body"):
            return chunks, size <= MAX_BODY_BYTES
    return chunks, False


def _replay(chunks: list[bytes], complete: bool, receive):
    """A receive that gives Django the chunks already read, then what the client sends next."""
    waiting = list(chunks)

    async def receiving() -> dict:
        if waiting:
            chunk = waiting.pop(0)
            return {
                "type": "http.request",
                "body": chunk,
                "more_body": bool(waiting) or not complete,
            }
        return await receive()

    return receiving


# The headers Django's middleware gives the API's answers that matter to one in JSON; those
# for pages (Content-Security-Policy, Vary and Content-Language) are left out.
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


async def _send(send, response) -> None:
    headers = [(b"content-type", response["Content-Type"].encode()), *SECURITY_HEADERS]
    headers += [(name.lower().encode(), value.encode()) for name, value in response.items()
                if name.lower() != "content-type"]  # fmt: skip
    headers.append((b"content-length", str(len(response.content)).encode()))
    await send({"type": "http.response.start", "status": response.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": response.content})
