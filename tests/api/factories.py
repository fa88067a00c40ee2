"""Tokens for the API tests: made the way staff make them (api/tokens.py)."""

from patronflow.api.tokens import create_token
from patronflow.members.models import Library

ALL_SCOPES = ["read", "members", "events"]


def token(
    library: Library, scopes: list[str] | None = None, name: str = "Bibliotheeksysteem"
) -> str:
    """A new token of `library` in clear, with `scopes` (default: all)."""
    _, clear = create_token(library=library, name=name, scopes=scopes or ALL_SCOPES)
    return clear
