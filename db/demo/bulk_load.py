"""Load first, index and check afterwards: how pg_restore loads millions of rows quickly.

Maintaining four B-tree indexes and four foreign-key checks per row made the 1,050,000
appointments of scale 50 take over two minutes on the server; building the same indexes once
after the load and validating each foreign key with one join takes a few seconds. Secondary
indexes and foreign keys of the demo's tables are dropped at the start of the build's transaction
and recreated, from their own catalogue definitions, before it commits. Nothing else ever sees
them missing (the DDL is transactional and its locks are held to the end), a failure rolls back to
the schema as it was, and a demo row that breaks a foreign key still fails the build, only at the
end rather than at once. Primary keys, unique and CHECK constraints stay in force throughout.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg
from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

_log = logging.getLogger(__name__)

_SECONDARY_INDEXES = text(
    """
    SELECT quote_ident(n.nspname) || '.' || quote_ident(ic.relname) AS name, pg_get_indexdef(i.indexrelid) AS ddl
      FROM pg_index i
      JOIN pg_class t ON t.oid = i.indrelid
      JOIN pg_class ic ON ic.oid = i.indexrelid
      JOIN pg_namespace n ON n.oid = t.relnamespace
     WHERE n.nspname = current_schema() AND t.relname = ANY(:tables)
       AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conrelid = t.oid AND c.conindid = i.indexrelid)
     ORDER BY t.relname, ic.relname
    """
)
_FOREIGN_KEYS = text(
    """
    SELECT quote_ident(n.nspname) || '.' || quote_ident(t.relname) AS table_name, quote_ident(c.conname) AS name,
           pg_get_constraintdef(c.oid) AS ddl
      FROM pg_constraint c
      JOIN pg_class t ON t.oid = c.conrelid
      JOIN pg_namespace n ON n.oid = t.relnamespace
     WHERE c.contype = 'f' AND n.nspname = current_schema() AND t.relname = ANY(:tables)
     ORDER BY t.relname, c.conname
    """
)


@dataclass(frozen=True)
class _Deferred:
    indexes: Sequence[tuple[str, str]]  # (qualified name, CREATE INDEX statement)
    foreign_keys: Sequence[tuple[str, str, str]]  # (qualified table, constraint name, definition)


@contextmanager
def indexes_and_foreign_keys_deferred(conn: Connection, tables: Sequence[str]) -> Iterator[bool]:
    """Inside the caller's transaction; yields whether the deferral happened.

    A user who does not own the tables cannot drop their indexes; the load then runs with them in
    place, slower but the same.
    """
    deferred = _Deferred(
        indexes=[tuple(row) for row in conn.execute(_SECONDARY_INDEXES, {"tables": list(tables)})],
        foreign_keys=[tuple(row) for row in conn.execute(_FOREIGN_KEYS, {"tables": list(tables)})],
    )
    try:
        with conn.begin_nested():
            for table, name, _ in deferred.foreign_keys:
                conn.execute(text(f"ALTER TABLE {table} DROP CONSTRAINT {name}"))
            for name, _ in deferred.indexes:
                conn.execute(text(f"DROP INDEX {name}"))
    except DBAPIError as exc:
        if not isinstance(exc.orig, psycopg.errors.InsufficientPrivilege):
            raise
        _log.info("not the owner of the demo tables: loading with their indexes and foreign keys in place")
        yield False
        return
    yield True
    for _, ddl in deferred.indexes:
        # A partitioned table's index reads "ON ONLY" in the catalogue (pg_dump attaches each partition's
        # later); dropping it dropped the partitions' too, so build them all again (migration 0010).
        conn.execute(text(ddl.replace(" ON ONLY ", " ON ", 1)))
    for table, name, ddl in deferred.foreign_keys:
        conn.execute(text(f"ALTER TABLE {table} ADD CONSTRAINT {name} {ddl}"))
