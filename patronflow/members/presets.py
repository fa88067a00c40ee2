"""Column-mapping presets: how one library system's export headers and codes become
patronflow's columns and words.

A preset is a TOML file (the shipped ones are in `presets/`, next to this module). The
importer asks it for the patronflow name of each header once per file (`header_for`) and for
the translation of each cell (`value_for`); both are dictionary look-ups prepared when the
preset is loaded, because they run once per cell on exports of millions of rows. How to
write one is in docs/library-systems.md.
"""

import codecs
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

SHIPPED_DIR = Path(__file__).with_name("presets")

# The columns of docs/import-format.md, per kind: what a preset may map onto.
COLUMNS: dict[str, tuple[str, ...]] = {
    "members": (
        "member_id",
        "first_name",
        "last_name",
        "email",
        "birth_date",
        "registered_on",
        "last_activity_on",
        "online_profile",
        "membership_ends_on",
    ),
    "items": (
        "item_id",
        "title",
        "author",
        "isbn",
        "material",
        "siso",
        "nur",
        "genre",
        "fiction",
        "literary_form",
        "thema",
    ),
    "loans": ("loan_id", "member_id", "item_id", "loaned_on"),
    "visits": ("member_id", "visited_on", "channel"),
}
_TOP_LEVEL_KEYS = {"name", "description", "encoding", "delimiter", *COLUMNS}
_KIND_KEYS = {"columns", "values"}
_SPACES = re.compile(r"\s+")
_EMPTY: MappingProxyType = MappingProxyType({})


class PresetError(Exception):
    """A preset that cannot be found or read; the message names the file, key and problem."""


def _header_key(header: str) -> str:
    """Headers match without regard to case, surrounding spaces or runs of inner spaces."""
    return _SPACES.sub(" ", header.replace("\ufeff", "")).strip().casefold()


def _empty() -> MappingProxyType:
    return _EMPTY


def _code_key(value: str) -> str:
    return value.strip().casefold()


@dataclass(frozen=True)
class Preset:
    name: str
    description: str
    encoding: str | None
    delimiter: str | None
    # kind -> normalised export header -> patronflow column
    headers: MappingProxyType = field(default_factory=_empty, repr=False, compare=False)
    # (kind, patronflow column) -> normalised code -> patronflow value
    codes: MappingProxyType = field(default_factory=_empty, repr=False, compare=False)

    def header_for(self, kind: str, header: list[str]) -> list[str]:
        """The patronflow column for each export header; unknown headers come back as they
        were, so the importer names them as ignored."""
        mapping = self.headers.get(kind, _EMPTY)
        return [mapping.get(_header_key(name), name) for name in header]

    def value_for(self, kind: str, column: str, value: str) -> str:
        """The patronflow value for a code in a column (`EB` -> `ebook`); any value the
        preset has no translation for is returned untouched."""
        mapping = self.codes.get((kind, column))
        if mapping is None:
            return value
        found = mapping.get(value)  # the code exactly as the preset wrote it: the usual case
        if found is None:
            found = mapping.get(_code_key(value), value)
        return found


def shipped_presets() -> list[str]:
    """The names `load_preset` accepts without a path."""
    return sorted(path.stem for path in SHIPPED_DIR.glob("*.toml"))


def load_preset(name_or_path: str) -> Preset:
    """A shipped preset by name ("wise") or a TOML file by path."""
    path = Path(name_or_path)
    if name_or_path in shipped_presets():
        path = SHIPPED_DIR / f"{name_or_path}.toml"
    elif not path.is_file():
        shipped = ", ".join(shipped_presets()) or "none"
        raise PresetError(
            f"{name_or_path}: no such preset file, and not a shipped preset "
            f"(shipped presets: {shipped})"
        )
    try:
        with path.open("rb") as file:
            data = tomllib.load(file)
    except tomllib.TOMLDecodeError as error:
        raise PresetError(f"{path}: not valid TOML: {error}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise PresetError(f"{path}: cannot be read: {error}") from None
    return _preset_from(path, data)


def _preset_from(path: Path, data: dict[str, Any]) -> Preset:
    def fail(key: str, problem: str) -> PresetError:
        return PresetError(f"{path}: key {key!r}: {problem}")

    unknown = sorted(set(data) - _TOP_LEVEL_KEYS)
    if unknown:
        expected = ", ".join(sorted(_TOP_LEVEL_KEYS))
        raise fail(unknown[0], f"not a preset setting (expected one of {expected})")
    name = _optional_text(data, "name", fail) or path.stem
    description = _optional_text(data, "description", fail) or ""
    encoding = _optional_text(data, "encoding", fail)
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise fail("encoding", f"{encoding!r} is not an encoding Python knows") from None
    delimiter = _optional_text(data, "delimiter", fail)
    if delimiter is not None and len(delimiter) != 1:
        raise fail("delimiter", f'{delimiter!r} must be one character, e.g. ";" or "\\t"')

    headers: dict[str, MappingProxyType] = {}
    codes: dict[tuple[str, str], MappingProxyType] = {}
    for kind, columns in COLUMNS.items():
        section = data.get(kind, {})
        if not isinstance(section, dict):
            raise fail(kind, "must be a table, e.g. [members.columns]")
        unknown = sorted(set(section) - _KIND_KEYS)
        if unknown:
            raise fail(f"{kind}.{unknown[0]}", "not a preset table (expected columns or values)")
        headers[kind] = MappingProxyType(_headers(kind, columns, section.get("columns", {}), fail))
        values = section.get("values", {})
        if not isinstance(values, dict):
            raise fail(f"{kind}.values", "must be a table of columns, e.g. [items.values.material]")
        for column, table in values.items():
            key = f"{kind}.values.{column}"
            if column not in columns:
                raise fail(key, f"{column!r} is not a column of {kind} ({', '.join(columns)})")
            codes[kind, column] = MappingProxyType(_codes(key, table, fail))
    return Preset(
        name=name,
        description=description,
        encoding=encoding,
        delimiter=delimiter,
        headers=MappingProxyType(headers),
        codes=MappingProxyType(codes),
    )


def _optional_text(data: dict[str, Any], key: str, fail) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise fail(key, f"must be text in quotes, not {value!r}")
    return value


def _headers(kind: str, columns: tuple[str, ...], table: Any, fail) -> dict[str, str]:
    """Normalised export header -> column, from `column = "Header"` or `column = [...]`."""
    if not isinstance(table, dict):
        raise fail(f"{kind}.columns", "must be a table of column = header(s)")
    mapping: dict[str, str] = {}
    for column, given in table.items():
        key = f"{kind}.columns.{column}"
        if column not in columns:
            raise fail(key, f"{column!r} is not a column of {kind} ({', '.join(columns)})")
        names = [given] if isinstance(given, str) else given
        if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
            raise fail(key, 'must be a header in quotes or a list of them: ["Titel", "Titel 1"]')
        for header in names:
            normalised = _header_key(header)
            if mapping.get(normalised, column) != column:
                raise fail(key, f"header {header!r} is already mapped to {mapping[normalised]!r}")
            mapping[normalised] = column
    return mapping


def _codes(key: str, table: Any, fail) -> dict[str, str]:
    if not isinstance(table, dict):
        raise fail(key, 'must be a table of code = "value", e.g. EB = "ebook"')
    mapping: dict[str, str] = {}
    for code, value in table.items():
        if not isinstance(value, str):
            raise fail(f"{key}.{code}", f"must be text in quotes, not {value!r}")
        normalised = _code_key(code)
        if mapping.get(normalised, value) != value:
            raise fail(f"{key}.{code}", "the same code (ignoring case) has two translations")
        mapping[normalised] = mapping[code] = value
    return mapping
