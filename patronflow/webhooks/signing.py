"""How a delivery proves it comes from patronflow: an HMAC-SHA256 of the timestamp and the
exact body, with the subscription's secret (docs/webhooks.md shows the receiver's check,
which rejects timestamps more than 5 minutes old)."""

import hashlib
import hmac
import secrets

ID_HEADER = "Patronflow-Webhook-Id"
TIMESTAMP_HEADER = "Patronflow-Webhook-Timestamp"
SIGNATURE_HEADER = "Patronflow-Webhook-Signature"
# The signature's version, so a later scheme can be sent beside this one.
VERSION = "v1"


def new_secret() -> str:
    """A subscription's signing secret: 32 random bytes, URL-safe."""
    return "whsec_" + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of f"{timestamp}.{body}" under the secret."""
    signed = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def headers(*, secret: str, notice_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The headers every delivery carries."""
    return {
        "Content-Type": "application/json",
        "User-Agent": "patronflow",
        ID_HEADER: notice_id,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: f"{VERSION}={signature(secret, timestamp, body)}",
    }
