"""The import's database writer: the fast path of the database in use.

`imports.py` reads and validates rows the same way for every database; a writer per database
(`bulk_sqlite.py`: batched executemany; `copy_postgres.py`: COPY into a staging table and one
set-based upsert) stores a chunk of valid rows, resolves a loan's member and item, and tells
which ids this import has already written, so repeats are counted however far apart they are
in the file — without holding a file's ids in memory: they go to a temporary table (on
PostgreSQL only the unchanged ones; the rows it wrote carry its transaction ids). A
snapshot's ids go to a temporary table of their own (bulk_types.LISTED) before anything is
written. What the writers share is in bulk_types.py.
"""

from django.db import connection

from patronflow.members.bulk_sqlite import SqliteWriter
from patronflow.members.bulk_types import Target, Writer
from patronflow.members.copy_postgres import PostgresWriter


def writer_for(target: Target) -> Writer:
    """The fast path of the database in use."""
    if connection.vendor == "postgresql":
        return PostgresWriter(target)
    return SqliteWriter(target)
