"""Who is calling: `Authorization: Bearer pf_…` names an active ApiToken, and through it the one
library whose data the request may touch. Each endpoint names the scope it needs; a token
without it gets 403, which tells nothing about any other library. The token's rate limit is
counted here, before the body is read."""

import datetime as dt

from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer

from patronflow.api.limits import count_request
from patronflow.api.models import ApiToken
from patronflow.api.problems import Problem
from patronflow.api.tokens import token_for

# last_used_at is written at most this often per token, not on every request.
LAST_USED_EVERY = dt.timedelta(minutes=1)


class TokenAuth(HttpBearer):
    """Bearer-token authentication for one scope."""

    def __init__(self, scope: str) -> None:
        super().__init__()
        self.scope = scope

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        row = token_for(token)
        if row is None:
            return None
        if self.scope not in row.scopes:
            raise Problem(
                403,
                f"This token lacks the scope '{self.scope}' this endpoint needs; staff give "
                "a token its scopes when they make it.",
            )
        now = timezone.now()
        wait = count_request(row, now)
        if wait is not None:
            raise Problem(
                429,
                f"This token made more requests this minute than its limit; try again in {wait} s.",
                headers={"Retry-After": str(wait)},
            )
        note_use(row, now)
        return row


def note_use(token: ApiToken, now: dt.datetime) -> None:
    """Keep last_used_at to the minute: a write only when the one read is older."""
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


def token_of(request: HttpRequest) -> ApiToken:
    return request.auth  # type: ignore[attr-defined]


READ = TokenAuth(ApiToken.Scope.READ)
MEMBERS = TokenAuth(ApiToken.Scope.WRITE_MEMBERS)
EVENTS = TokenAuth(ApiToken.Scope.EVENTS)
