"""One way to open DuckDB, with bounded memory.

DuckDB's default memory limit is 80% of the machine *per database instance*, and a load opens
several (warehouse, vault, the linkage model's working database): together they can exhaust the
machine on a large area. Every instance here gets a limit (JOINEDUP_DUCKDB_MEMORY, default 5GB)
and spills to disk beyond it; during a load, which holds three at once, each gets
JOINEDUP_LOAD_MEMORY (default 512MB), so that the load's peak stays bounded whatever the area's
size (it spills more on a larger one). Work too large to hold at once (identifier records between landing
and identity, linkage's candidate pairs) moves in batches of `batch_rows()` rows
(JOINEDUP_BATCH_ROWS, default 100,000): the results do not depend on it.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import duckdb

DEFAULT_MEMORY_LIMIT = "5GB"
DEFAULT_LOAD_MEMORY_LIMIT = "512MB"
DEFAULT_BATCH_ROWS = 100_000


def batch_rows() -> int:
    """Rows per batch of the work that moves in batches (see above)."""
    return int(os.environ.get("JOINEDUP_BATCH_ROWS", DEFAULT_BATCH_ROWS))


def default_memory_limit() -> str:
    """The memory limit of each DuckDB instance outside a load (see above)."""
    return os.environ.get("JOINEDUP_DUCKDB_MEMORY", DEFAULT_MEMORY_LIMIT)


def load_memory_limit() -> str:
    """The memory limit of each DuckDB instance of a load (see above)."""
    return os.environ.get("JOINEDUP_LOAD_MEMORY", DEFAULT_LOAD_MEMORY_LIMIT)


def limit_memory(con: duckdb.DuckDBPyConnection, limit: str) -> None:
    """Cap an open instance's memory (it spills beyond)."""
    con.execute("SET memory_limit = ?", [limit])


def connect(
    path: str | Path | None = None,
    read_only: bool = False,
    memory_limit: str | None = None,
    settings: dict[str, str] | None = None,
) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection (in memory when `path` is None) with a memory limit (by default
    JOINEDUP_DUCKDB_MEMORY's), a spill folder and any other start-up `settings`."""
    spill = Path(tempfile.gettempdir()) / "joinedup-spill"
    spill.mkdir(exist_ok=True)
    config = {
        "memory_limit": memory_limit or default_memory_limit(),
        "temp_directory": str(spill),
        **(settings or {}),
    }
    return duckdb.connect(":memory:" if path is None else str(path), read_only=read_only, config=config)
