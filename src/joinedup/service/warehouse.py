"""The warehouse as the service reads it: `joinedup.warehouse.store.Reader` (a load replaces the
file; the next request opens the new one), plus caches per snapshot.

Each request works in one `Snapshot`: one cursor of one opened file, so the derived tables it
builds (in the instance's in-memory catalogue `memory`) and the queries that use them always see
the same data. Aggregates are cached per snapshot, so a load's new data shows on the next request
after its commit.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from joinedup.warehouse.store import Reader


@dataclass
class Snapshot:
    con: duckdb.DuckDBPyConnection
    version: int  # the Reader's snapshot number: a replaced file has a new one
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
        self._stop = threading.Event()

    @contextmanager
    def connection(self) -> Iterator[Snapshot]:
        with self._reader.versioned() as (con, number):
            yield Snapshot(con, number, self)

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

    def keep_warm(self, builders: list[Callable[[Snapshot], object]], every: float = 10.0) -> None:
        """A daemon thread that, at start and then every `every` seconds, opens the current
        snapshot (a replaced file is noticed without waiting for a request) and runs each
        builder on it: the first request after a start or a load finds the caches built or being
        built, instead of building them itself (tier P's tables take 30 s at 175,000 people)."""

        def run() -> None:
            built = None
            while not self._stop.is_set():
                try:
                    with self.connection() as snap:
                        if snap.version != built:
                            for build in builders:
                                build(snap)
                            built = snap.version
                except Exception:  # noqa: BLE001  (a request that needs the cache raises it)
                    pass
                self._stop.wait(every)

        threading.Thread(target=run, name="joinedup-warm", daemon=True).start()

    def close(self) -> None:
        self._stop.set()
        self._reader.close()
