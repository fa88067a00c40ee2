"""Library-system exports as the tests write them: a header, rows, a chosen encoding."""

from pathlib import Path

import pytest

from patronflow.members.bulk_sqlite import SqliteWriter
from patronflow.members.copy_postgres import PostgresWriter
from patronflow.members.import_visits import VisitWriter
from tests.members.library_systems import drop, wise_server  # noqa: F401

MEMBERS_HEADER = (
    "member_id,first_name,last_name,email,birth_date,registered_on,last_activity_on,"
    "online_profile,membership_ends_on"
)
ITEMS_HEADER = "item_id,title,author,isbn,material,siso,nur,genre,fiction"
LOANS_HEADER = "loan_id,member_id,item_id,loaned_on"


@pytest.fixture
def export(tmp_path):
    """Write an export file: `export("members.csv", header, *rows, encoding=...)`."""

    def write(name: str, *lines: str, encoding: str = "utf-8", bom: bool = False) -> Path:
        path = tmp_path / name
        data = "".join(f"{line}\n" for line in lines).encode(encoding)
        path.write_bytes(b"\xef\xbb\xbf" + data if bom else data)
        return path

    return write


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunks of two rows, a few per transaction, on either database's fast path: what a
    20-million-row file does at chunk boundaries, with a handful of rows."""
    for writer in (SqliteWriter, PostgresWriter, VisitWriter):
        monkeypatch.setattr(writer, "chunk_rows", 2)
    monkeypatch.setattr(SqliteWriter, "chunks_per_transaction", 2)
