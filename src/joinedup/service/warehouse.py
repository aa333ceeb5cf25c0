"""The warehouse as the service reads it: read-only, and reopened when a load replaces the file.

A load that writes a new copy and renames it over W gives W a new inode; the next request sees
it, opens the new file and drops the caches of the old one, so new data shows within a request of
the load's commit. Until `joinedup.warehouse.store` offers a reader, this is the one place the
service opens the warehouse.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

import duckdb

from joinedup import duck
from joinedup.errors import StoreError


class WarehouseReader:
    """One in-memory DuckDB instance with W attached read-only (as `w`, the default catalogue),
    so that caches the service builds (tables in `memory`) sit beside it."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._version: tuple[int, int] | None = None
        self._caches: dict[str, object] = {}
        self._retired: list[duckdb.DuckDBPyConnection] = []
        self._building: dict[str, threading.Lock] = {}

    def _stat(self) -> tuple[int, int]:
        try:
            stat = os.stat(self.path)
        except OSError:
            raise StoreError(f"{self.path}: no such warehouse file") from None
        return stat.st_ino, stat.st_mtime_ns

    def _current(self) -> duckdb.DuckDBPyConnection:
        version = self._stat()
        with self._lock:
            if self._con is None or version != self._version:
                con = duck.connect(None)
                try:
                    con.execute(f"ATTACH '{self.path}' AS w (READ_ONLY)")
                except duckdb.Error as error:
                    con.close()
                    if self._con is not None:  # mid-replace: keep serving the copy we have
                        return self._con
                    raise StoreError(f"{self.path}: cannot open the warehouse ({error})") from None
                con.execute("USE w")
                if self._con is not None:
                    self._retired = [*self._retired[-1:], self._con]  # cursors may still use it
                self._con, self._version, self._caches = con, version, {}
            return self._con

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor for one request (DuckDB cursors are per thread), on the current file."""
        cursor = self._current().cursor()
        cursor.execute("USE w")
        return cursor

    @property
    def version(self) -> tuple[int, int] | None:
        self._current()
        return self._version

    def cached(self, name: str, build: Callable[[duckdb.DuckDBPyConnection], object]) -> object:
        """`build(cursor)` once per warehouse version (aggregates, derived tables)."""
        con = self._current()
        with self._lock:
            building = self._building.setdefault(name, threading.Lock())
        with building:
            with self._lock:
                if name in self._caches and self._con is con:
                    return self._caches[name]
            cursor = con.cursor()
            cursor.execute("USE w")
            value = build(cursor)
            with self._lock:
                if self._con is con:
                    self._caches[name] = value
            return value
