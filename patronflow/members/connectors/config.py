"""Where each library's connector settings live: a TOML file the operator keeps, one table per
library and connector. Only the names of environment variables holding secrets are in it,
never a secret itself, and nothing of it is in the database.

    [libraries.gent.wise]
    base_url = "https://wise.example.org/restapi"
    library_id = "1234"
    application_name = "patronflow"

The file is given with `--config FILE` or in PATRONFLOW_CONNECTORS_FILE; the settings of each
connector are in docs/library-systems.md.
"""

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from patronflow.members.connectors import CONNECTORS, Connector, connector_for
from patronflow.members.connectors.base import ConnectorConfigError

CONFIG_VARIABLE = "PATRONFLOW_CONNECTORS_FILE"


def config_path(given: str | Path | None, environ: Mapping[str, str] = os.environ) -> Path:
    """The configuration file: the one given, else the one PATRONFLOW_CONNECTORS_FILE names."""
    path = given or environ.get(CONFIG_VARIABLE)
    if not path:
        raise ConnectorConfigError(
            f"no connector configuration: pass --config FILE or set {CONFIG_VARIABLE} "
            "(see docs/library-systems.md)"
        )
    return Path(path)


def library_connector(
    path: Path,
    code: str,
    name: str | None = None,
    environ: Mapping[str, str] = os.environ,
) -> tuple[str, Connector]:
    """The connector configured for a library: the one named, or its only one."""
    connectors = _library_tables(path, code)
    if name is None:
        if len(connectors) != 1:
            raise ConnectorConfigError(
                f"{path}: library {code!r} has connectors {', '.join(sorted(connectors))}: "
                "choose one with --connector"
            )
        [name] = connectors
    if name not in connectors:
        configured = ", ".join(sorted(connectors))
        raise ConnectorConfigError(
            f"{path}: no [libraries.{code}.{name}] table (library {code!r} has: {configured})"
        )
    settings = connectors[name]
    if not isinstance(settings, dict):
        raise ConnectorConfigError(f"{path}: libraries.{code}.{name} must be a table")
    try:
        return name, connector_for(name, settings, source=f"{name}:{code}", environ=environ)
    except ConnectorConfigError as error:
        raise ConnectorConfigError(f"{path}: [libraries.{code}.{name}]: {error}") from None


def _library_tables(path: Path, code: str) -> dict[str, Any]:
    try:
        with path.open("rb") as file:
            data = tomllib.load(file)
    except OSError as error:
        raise ConnectorConfigError(f"cannot read {path}: {error.strerror or error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConnectorConfigError(f"{path}: not valid TOML: {error}") from None
    libraries = data.get("libraries", {})
    if not isinstance(libraries, dict) or set(data) - {"libraries"}:
        raise ConnectorConfigError(
            f"{path}: expected only [libraries.CODE.CONNECTOR] tables "
            f"(connectors: {', '.join(sorted(CONNECTORS))})"
        )
    connectors = libraries.get(code)
    if not isinstance(connectors, dict) or not connectors:
        configured = ", ".join(sorted(libraries)) or "none"
        raise ConnectorConfigError(
            f"{path}: no connector configured for library {code!r} (configured: {configured})"
        )
    return connectors
