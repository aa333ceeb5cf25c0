"""The sender's file and line of every landed person-level row, with its pseudo_id
(`feed,file,line,pseudo_id`; the command `joinedup lineage` is lineage_command.py).

Vault-side: the warehouse holds only row keys, the vault where each row came from; joined, they
can trace a row back to a sender (for data quality queries and linkage quality assurance), so the
file is written owner-only, and only for a warehouse this vault made.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pyarrow as pa

from joinedup.errors import StoreError
from joinedup.identity.vault import Vault
from joinedup.landing import files
from joinedup.warehouse import pseudonyms, schema

LANDED = pa.schema([("feed", pa.string()), ("row_id", pa.int64()), ("pseudo_id", pa.string())])


def landed_lineage(con, vault: Vault, warehouse_path: Path) -> pa.Table:
    """(feed, file, line, pseudo_id) of every landed person-level row of the warehouse open on
    `con`, which must have been made with this vault."""
    if not vault.check_warehouse(con, warehouse_path):
        raise StoreError(f"{warehouse_path}: names no vault; it was not made by a load")
    return vault.lineage(_landed_rows(con, warehouse_path))


def _landed_rows(con, warehouse_path: Path) -> pa.Table:
    tables = dict(
        con.execute(
            "SELECT table_name, column_name FROM duckdb_columns()"
            " WHERE column_name IN ('_row_id', ?)",
            [schema.RETIRED_ROW_KEY],
        ).fetchall()
    )
    if schema.RETIRED_ROW_KEY in tables.values():
        raise StoreError(
            f"{warehouse_path}: made before row ids; the next load that lands a file numbers"
            " its rows, then the lineage can be read"
        )
    selects = [
        f"SELECT '{feed.name}' AS feed, _row_id AS row_id, p.pseudonym AS pseudo_id FROM {table}"
        f" t LEFT JOIN {pseudonyms.TABLE} p USING (pseudo_id)"
        for feed in files.landing_order()
        if feed.is_person_level and (table := schema.warehouse_table_name(feed)) in tables
    ]
    if not selects:
        return LANDED.empty_table()
    return con.sql(" UNION ALL ".join(selects)).to_arrow_table()


def write_csv(path: Path, rows: pa.Table) -> None:
    try:
        path.unlink(missing_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as error:
        raise StoreError(f"{path}: cannot write ({error.strerror})") from None
    with os.fdopen(descriptor, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["feed", "file", "line", "pseudo_id"])
        writer.writerows(zip(*(column.to_pylist() for column in rows.columns), strict=True))
