"""The warehouse as the service reads it: `joinedup.warehouse.store.Reader` (a load replaces the
file; the next request opens the new one), plus caches per snapshot.

Each request works in one `Snapshot`: one cursor of one opened file, so the derived tables it
builds (in the instance's in-memory catalogue `memory`) and the queries that use them always see
the same data. Aggregates are cached per snapshot, so a load's new data shows on the next request
after its commit.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from joinedup.warehouse.store import Reader

MARKER = "memory.main.joinedup_snapshot"


@dataclass
class Snapshot:
    con: duckdb.DuckDBPyConnection
    version: str
    reader: WarehouseReader

    def cached(self, name: str, build: Callable[[duckdb.DuckDBPyConnection], object]) -> object:
        """`build(con)` once per snapshot (aggregates, derived tables)."""
        return self.reader._cached(self, name, build)


class WarehouseReader:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._reader = Reader(self.path)
        self._lock = threading.Lock()
        self._caches: dict[tuple[str, str], object] = {}
        self._building: dict[tuple[str, str], threading.Lock] = {}

    @contextmanager
    def connection(self) -> Iterator[Snapshot]:
        with self._reader.connection() as con:
            yield Snapshot(con, self._version(con), self)

    def _version(self, con) -> str:
        """An id of the opened file's instance, made by the first request that sees it."""
        with self._lock:
            found = con.execute(
                "SELECT count(*) FROM duckdb_tables() WHERE database_name = 'memory' AND table_name = 'joinedup_snapshot'"
            ).fetchone()[0]
            if not found:
                con.execute(f"CREATE TABLE {MARKER} AS SELECT '{uuid.uuid4()}' AS id")
            return con.execute(f"SELECT id FROM {MARKER}").fetchone()[0]

    def _cached(self, snap: Snapshot, name: str, build: Callable) -> object:
        key = (snap.version, name)
        with self._lock:
            if key in self._caches:
                return self._caches[key]
            building = self._building.setdefault(key, threading.Lock())
        with building:
            with self._lock:
                if key in self._caches:
                    return self._caches[key]
            value = build(snap.con)
            with self._lock:
                stale = [k for k in self._caches if k[0] != snap.version]
                for k in stale:  # an older snapshot's caches are never read again
                    del self._caches[k]
                self._caches[key] = value
            return value

    def close(self) -> None:
        self._reader.close()
