"""Re-point pseudonyms in the warehouse: the pseudonyms table, and on a merge the person
number in every table that has a `pseudo_id` column (warehouse/pseudonyms.py).

Used by key rotation (every person gets a new pseudonym: one table rewritten) and by review (a
provisional person's rows move to the person they were accepted as). `repoint` runs inside the caller's
transaction; `repoint_warehouse` opens the warehouse (`warehouse.store.writing`: all or nothing).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import pyarrow as pa

from joinedup.warehouse import pseudonyms, store


def pseudo_id_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every table holding a person number (all but the pseudonyms table itself)."""
    rows = con.execute(
        """SELECT c.table_name FROM information_schema.columns c
        JOIN information_schema.tables t
            ON t.table_schema = c.table_schema AND t.table_name = c.table_name
        WHERE c.column_name = 'pseudo_id' AND t.table_type = 'BASE TABLE'
            AND c.table_schema = 'main' AND c.table_name <> ?
        ORDER BY c.table_name""",
        [pseudonyms.TABLE],
    ).fetchall()
    return [name for (name,) in rows]


def repoint(con: duckdb.DuckDBPyConnection, mapping: pa.Table) -> dict[str, int]:
    """Give each old pseudonym's person the new one; rows changed per table. A new pseudonym
    the warehouse holds already (a merge) takes the old one's rows, which get its number, and
    the old number goes; otherwise the pseudonyms table alone changes (rotation).

    Leaves `pseudo_id_map` registered: the caller's connection is its own and closed after."""
    store.require_person_numbers({t for (t,) in con.execute("SHOW TABLES").fetchall()})
    con.register("pseudo_id_map", mapping)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE merged_numbers AS SELECT o.pseudo_id AS old, n.pseudo_id"
        f" AS new FROM pseudo_id_map m JOIN {pseudonyms.TABLE} o ON o.pseudonym = m.old_pseudo_id"
        f" JOIN {pseudonyms.TABLE} n ON n.pseudonym = m.new_pseudo_id"
    )
    changed = {table: _merge_into(con, table) for table in pseudo_id_tables(con)}
    con.execute(f"DELETE FROM {pseudonyms.TABLE} WHERE pseudo_id IN (SELECT old FROM merged_numbers)")
    (renamed,) = con.execute(
        f"UPDATE {pseudonyms.TABLE} SET pseudonym = m.new_pseudo_id FROM pseudo_id_map m"
        f" WHERE {pseudonyms.TABLE}.pseudonym = m.old_pseudo_id"
    ).fetchall()[0]
    return {**changed, pseudonyms.TABLE: int(renamed)}


def _merge_into(con: duckdb.DuckDBPyConnection, table: str) -> int:
    (changed,) = con.execute(
        f"""UPDATE "{table}" SET pseudo_id = m.new FROM merged_numbers m
        WHERE "{table}".pseudo_id = m.old"""
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
