"""Library-system connectors: changed and ended members straight from the library system.

`connector_for(name, settings, source=...)` builds one from its settings (see config.py for
where those come from); `CONNECTORS` lists the names. docs/library-systems.md describes each.
"""

from collections.abc import Callable, Mapping
from typing import Any

from patronflow.members.connectors import directory, wise
from patronflow.members.connectors.base import Connector, ConnectorConfigError, ConnectorError

ConnectorFactory = Callable[..., Connector]

CONNECTORS: dict[str, ConnectorFactory] = {
    "wise": wise.WiseConnector.from_settings,
    "directory": directory.DirectoryConnector.from_settings,
}

__all__ = [
    "CONNECTORS",
    "Connector",
    "ConnectorConfigError",
    "ConnectorError",
    "connector_for",
]


def connector_for(
    name: str, settings: Mapping[str, Any], *, source: str, environ: Mapping[str, str]
) -> Connector:
    """A connector by its registered name, configured from `settings` (secrets are read from
    the environment variables the settings name, never from the settings themselves)."""
    try:
        factory = CONNECTORS[name]
    except KeyError:
        known = ", ".join(sorted(CONNECTORS))
        raise ConnectorConfigError(f"unknown connector {name!r} (known: {known})") from None
    return factory(settings, source=source, environ=environ)
