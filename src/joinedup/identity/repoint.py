"""Re-point pseudo_ids in the warehouse: every table that has a `pseudo_id` column.

Used by key rotation (every person gets a new pseudo_id) and by review (a provisional person's
rows move to the person they were accepted as). `repoint` runs inside the caller's
transaction; `repoint_warehouse` opens the warehouse (`warehouse.store.writing`: all or nothing).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import pyarrow as pa

from joinedup.warehouse import store


def pseudo_id_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute(
        """SELECT c.table_name FROM information_schema.columns c
        JOIN information_schema.tables t
            ON t.table_schema = c.table_schema AND t.table_name = c.table_name
        WHERE c.column_name = 'pseudo_id' AND t.table_type = 'BASE TABLE'
            AND c.table_schema = 'main'
        ORDER BY c.table_name"""
    ).fetchall()
    return [name for (name,) in rows]


def repoint(con: duckdb.DuckDBPyConnection, mapping: pa.Table) -> dict[str, int]:
    """Replace old_pseudo_id by new_pseudo_id in every pseudo_id table; rows changed per table.

    Leaves `pseudo_id_map` registered: the caller's connection is its own and closed after."""
    con.register("pseudo_id_map", mapping)
    return {table: _repoint_table(con, table) for table in pseudo_id_tables(con)}


def _repoint_table(con: duckdb.DuckDBPyConnection, table: str) -> int:
    (changed,) = con.execute(
        f"""UPDATE "{table}" SET pseudo_id = m.new_pseudo_id FROM pseudo_id_map m
        WHERE "{table}".pseudo_id = m.old_pseudo_id"""
    ).fetchall()[0]
    return int(changed)


def mapping_table(old: list[str], new: list[str]) -> pa.Table:
    return pa.table({"old_pseudo_id": pa.array(old, pa.string()), "new_pseudo_id": new})


def repoint_warehouse(
    path: str | Path, mapping: pa.Table, before: Callable[[duckdb.DuckDBPyConnection], None] | None = None
) -> dict[str, int]:
    """Re-point the warehouse at `path` in one commit (after `before`, in the same one)."""
    with store.writing(path) as con:
        if before is not None:
            before(con)
        return repoint(con, mapping)
