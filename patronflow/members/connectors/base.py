"""What every library-system connector offers, whatever its transport (REST API, file drop).

A connector answers two questions about one library, for the nightly sync: which members were
created or changed since a day, and which were deleted or ended. Rows come back in patronflow's
member columns (docs/import-format.md), so the sync hands them to the same importer as a CSV
file and gets the same validation and rejection rules.
"""

from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from typing import Any, Protocol


class ConnectorError(Exception):
    """The library system could not be asked (refused, unreachable, an unexpected answer)."""


class ConnectorConfigError(ConnectorError):
    """The connector configuration is missing or wrong; the message names the file and key."""


class Connector(Protocol):
    # Short text naming the feed in rejections (`source:position: reason`), e.g. "wise:gent".
    source: str

    def changed_members(self, since: date) -> Iterator[dict[str, str]]:
        """Members created or changed on or after `since`, one row per member, keyed by
        patronflow's member columns; every row has the same keys."""
        ...

    def ended_members(self, since: date) -> Iterator[str]:
        """The library's member ids (`member_id`) of members deleted or ended since `since`.
        A connector that cannot filter by day may return older ones: ending is idempotent."""
        ...


class Settings:
    """One connector's settings, checked key by key so that a mistake names its key.

    Secrets never appear in settings: a setting ending in `_env` names the environment
    variable that holds the secret, and `secret()` reads it from there.
    """

    def __init__(self, values: Mapping[str, Any], allowed: Iterable[str]) -> None:
        allowed = set(allowed)
        unknown = sorted(set(values) - allowed)
        if unknown:
            hint = ""
            if f"{unknown[0]}_env" in allowed:
                hint = f"; secrets are not kept in settings: set {unknown[0]}_env to the name of "
                hint += "the environment variable that holds it"
            expected = ", ".join(sorted(allowed))
            raise ConnectorConfigError(
                f"unknown setting {unknown[0]!r} (expected {expected}){hint}"
            )
        self.values = values

    def text(self, key: str, default: str | None = None) -> str:
        value = self.values.get(key, default)
        if value is None:
            raise ConnectorConfigError(f"setting {key!r} is required")
        if not isinstance(value, str) or not value.strip():
            raise ConnectorConfigError(f"setting {key!r} must be non-empty text, not {value!r}")
        return value.strip()

    def number(self, key: str, default: float) -> float:
        value = self.values.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise ConnectorConfigError(f"setting {key!r} must be a number of 0 or more")
        return float(value)

    def secret(self, key: str, default_variable: str, environ: Mapping[str, str]) -> str:
        variable = self.text(f"{key}_env", default_variable)
        value = environ.get(variable, "")
        if not value:
            raise ConnectorConfigError(
                f"environment variable {variable} is not set: it must hold the {key} "
                f"(setting {key}_env names the variable)"
            )
        return value
