"""Idempotent retries: a POST with an `Idempotency-Key` header is answered once; a retry with
the same key and the same request gets the first answer again (`Idempotent-Replayed: true`)
and changes nothing. The same key with another request is refused (422), and a retry while the
first is still being answered is told to wait (409). Keys are kept for IDEMPOTENCY_HOURS."""

import datetime as dt
import hashlib
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from patronflow.api.models import ApiRequest, ApiToken
from patronflow.api.problems import Problem

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
IDEMPOTENCY_HOURS = 24
MAX_KEY_LENGTH = ApiRequest._meta.get_field("key").max_length
# A first request not answered within this long is taken to have died with its server
# process: a retry then runs it again (the upserts and keyed events are safe to repeat).
ABANDONED_AFTER = dt.timedelta(minutes=5)


def fingerprint(request: HttpRequest) -> str:
    digest = hashlib.sha256()
    for part in (request.method.encode(), request.path.encode(), request.body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def idempotently(
    request: HttpRequest, token: ApiToken, answer: Callable[[], HttpResponse]
) -> HttpResponse:
    """`answer()`, once per key when the request has one; its response kept unless it is a
    server error (so that the retry runs it again)."""
    key = request.headers.get(HEADER)
    if key is None:
        return answer()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise Problem(400, f"{HEADER} must be 1 to {MAX_KEY_LENGTH} characters.")
    now = timezone.now()
    print_ = fingerprint(request)
    kept = _claim(token, key, print_, now)
    if kept is not None:
        return _replay(kept, print_, now)
    try:
        response = answer()
    except BaseException:
        ApiRequest.objects.filter(library_id=token.library_id, key=key).delete()
        raise
    if response.status_code >= 500:
        ApiRequest.objects.filter(library_id=token.library_id, key=key).delete()
    else:
        ApiRequest.objects.filter(library_id=token.library_id, key=key).update(
            status=response.status_code,
            body=response.content,
            content_type=response.get("Content-Type", ""),
        )
    return response


def _claim(token: ApiToken, key: str, print_: str, now: dt.datetime) -> ApiRequest | None:
    """Claim the key for this request (None), or the request that already has it."""
    try:
        with transaction.atomic():
            ApiRequest.objects.create(
                library_id=token.library_id, key=key, fingerprint=print_, created_at=now
            )
        return None
    except IntegrityError:
        pass
    kept = ApiRequest.objects.filter(library_id=token.library_id, key=key).first()
    if kept is None:  # forgotten in between: claim it afresh
        return _claim(token, key, print_, now)
    if now - kept.created_at > dt.timedelta(hours=IDEMPOTENCY_HOURS):  # expired, not purged
        ApiRequest.objects.filter(pk=kept.pk, created_at=kept.created_at).delete()
        return _claim(token, key, print_, now)
    if (
        kept.status is None
        and kept.fingerprint == print_
        and now - kept.created_at > ABANDONED_AFTER
    ):
        taken = ApiRequest.objects.filter(
            pk=kept.pk, status__isnull=True, created_at=kept.created_at
        ).update(created_at=now)
        if taken:
            return None
    return kept


def _replay(kept: ApiRequest, print_: str, now: dt.datetime) -> HttpResponse:
    if kept.fingerprint != print_:
        raise Problem(
            422,
            f"This {HEADER} was used for a different request (another path or body) in the "
            f"last {IDEMPOTENCY_HOURS} hours; use a new key for a new request.",
            kind="idempotency-key-reused",
        )
    if kept.status is None:
        raise Problem(
            409,
            f"The first request with this {HEADER} is still being answered; retry shortly.",
            headers={"Retry-After": "1"},
        )
    response = HttpResponse(bytes(kept.body), status=kept.status, content_type=kept.content_type)
    response[REPLAYED] = "true"
    return response


def forget_old_requests(now: dt.datetime | None = None) -> int:
    """Delete the keys older than IDEMPOTENCY_HOURS (patronflow purge); returns how many."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(hours=IDEMPOTENCY_HOURS)
    deleted, _ = ApiRequest.objects.filter(created_at__lt=cutoff).delete()
    return deleted
