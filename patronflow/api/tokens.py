"""Making, checking and revoking API tokens. The secret leaves patronflow once, in the return
value of `create_token`; only its digest is stored."""

import datetime as dt
import hashlib
import hmac
import secrets

from django.db import transaction
from django.utils import timezone

from patronflow.api.models import ApiToken
from patronflow.members.models import Library
from patronflow.privacy.audit import Actor, record_change

TOKEN_PREFIX = "pf_"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(
    *, library: Library, name: str, scopes: list[str], actor: Actor = None
) -> tuple[ApiToken, str]:
    """A new token for `library` with `scopes`; returns the row and the token in clear."""
    unknown = set(scopes) - set(ApiToken.Scope.values)
    if unknown or not scopes:
        raise ValueError(f"scopes must be some of {ApiToken.Scope.values}, not {scopes!r}")
    prefix = secrets.token_hex(4)
    token = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        row = ApiToken.objects.create(
            library=library,
            name=name,
            prefix=prefix,
            digest=_digest(token),
            scopes=sorted(set(scopes)),
            created_by=actor if not isinstance(actor, str | None) else None,
        )
        record_change(
            f"API token {name} ({prefix})",
            {"token": (None, "created"), "scopes": (None, ", ".join(row.scopes))},
            actor=actor, library_code=library.code,
        )  # fmt: skip
    return row, token


def prefix_of(presented: str) -> str | None:
    """The prefix by which a presented token names its row; None when it is none of ours."""
    if not presented.startswith(TOKEN_PREFIX):
        return None
    return presented[len(TOKEN_PREFIX) :].split("_", 1)[0]


def proves(digest: str, presented: str) -> bool:
    """The presented token is the one whose digest was stored."""
    return hmac.compare_digest(digest, _digest(presented))


def token_for(presented: str) -> ApiToken | None:
    """The active token that `presented` is, else None (unknown, malformed or revoked)."""
    prefix = prefix_of(presented)
    if prefix is None:
        return None
    row = ApiToken.objects.select_related("library").filter(prefix=prefix).first()
    if row is None or not proves(row.digest, presented):
        return None
    return row if row.revoked_at is None else None


def revoke_token(
    *, token: ApiToken, actor: Actor = None, now: dt.datetime | None = None
) -> ApiToken:
    """Revoke `token` from its next request on; revoking twice changes nothing."""
    with transaction.atomic():
        updated = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=now or timezone.now()
        )
        if updated:
            record_change(
                f"API token {token.name} ({token.prefix})",
                {"token": ("active", "revoked")},
                actor=actor, library_code=token.library.code,
            )  # fmt: skip
    token.refresh_from_db()
    return token
