"""One way to open DuckDB, with bounded memory.

DuckDB's default memory limit is 80% of the machine *per database instance*, and a load opens
several (warehouse, vault, the linkage model's working database): together they can exhaust the
machine on a large area. Every instance here gets a limit (JOINEDUP_DUCKDB_MEMORY, default 5GB)
and spills to disk beyond it.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import duckdb

DEFAULT_MEMORY_LIMIT = "5GB"


def connect(path: str | Path | None = None, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection (in memory when `path` is None) with a memory limit and a spill folder."""
    spill = Path(tempfile.gettempdir()) / "joinedup-spill"
    spill.mkdir(exist_ok=True)
    config = {
        "memory_limit": os.environ.get("JOINEDUP_DUCKDB_MEMORY", DEFAULT_MEMORY_LIMIT),
        "temp_directory": str(spill),
    }
    return duckdb.connect(":memory:" if path is None else str(path), read_only=read_only, config=config)
