"""The person key inside the warehouse: a small integer, and the one table giving its pseudonym.

Every warehouse and mart table carries `pseudo_id INTEGER`, the person's number in this
warehouse; `pseudonyms (pseudo_id INTEGER, pseudonym VARCHAR)` holds the pseudonym identity gives
(HMAC-SHA256 of the person key, 64 hex), one row per person. Joins, groups and tie-breaks inside
use the number; the edges (pages, API, exports, lineage, the risk list, the evaluation cohort)
show or take the pseudonym, through `pseudonym_sql`/`pseudonyms_of` out and `number_sql`/
`numbers_of` in. A load numbers its new people after the highest number, in pseudonym order, so
a tie broken by the number falls as the pseudonym's in a warehouse landed in one load; a person
first landed later sorts after the people before. Key rotation rewrites this table only.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pyarrow as pa

from joinedup.engine import engine_of

TABLE = "pseudonyms"
TYPE = "INTEGER"
NUMBER_COLUMNS = (("pseudo_id", TYPE), ("pseudonym", "VARCHAR"))


def create(con) -> None:
    """The pseudonyms table (if missing); a warehouse made before, whose tables hold the
    pseudonym itself, has its people numbered in pseudonym order and every table given the
    numbers (deterministic, so a failed load's next attempt numbers the same)."""
    body = ", ".join(f"{n} {t}" for n, t in NUMBER_COLUMNS)
    con.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} ({body})")
    old = _tables_holding_pseudonyms(con)
    if not old:
        return
    every = " UNION ".join(f'SELECT pseudo_id FROM "{t}" WHERE pseudo_id IS NOT NULL' for t in old)
    add_new(con, every)
    for table in old:
        columns = ", ".join(
            "p.pseudo_id" if c == "pseudo_id" else f'o."{c}"' for c in _columns(con, table)
        )
        con.execute(
            f'CREATE OR REPLACE TABLE "{table}" AS SELECT {columns} FROM "{table}" o'
            f" LEFT JOIN {TABLE} p ON p.pseudonym = o.pseudo_id ORDER BY o.rowid"
        )


def add_new(con, pseudonyms_sql: str) -> None:
    """Number the pseudonyms of `pseudonyms_sql` (one column, pseudo_id) not yet held, after
    the highest number, in pseudonym order."""
    con.execute(
        f"INSERT INTO {TABLE} SELECT (SELECT coalesce(max(pseudo_id), 0) FROM {TABLE})"
        " + row_number() OVER (ORDER BY n.pseudo_id), n.pseudo_id"
        f" FROM (SELECT DISTINCT pseudo_id FROM ({pseudonyms_sql}) s WHERE pseudo_id IS NOT NULL"
        f" AND pseudo_id NOT IN (SELECT pseudonym FROM {TABLE})) n"
    )


def pseudonym_sql(number: str) -> str:
    """SQL for the pseudonym of a person number expression."""
    return f"(SELECT pseudonym FROM {TABLE} WHERE pseudo_id = {number})"


def number_sql(pseudonym: str) -> str:
    """SQL for the number of a pseudonym expression (NULL for a pseudonym not held)."""
    return f"(SELECT pseudo_id FROM {TABLE} WHERE pseudonym = {pseudonym})"


def pseudonyms_of(con, numbers: Iterable) -> np.ndarray:
    """The pseudonym of each person number (in order; None for one not held)."""
    return _look_up(con, numbers, "pseudo_id", "pseudonym", pa.int64())


def numbers_of(con, pseudonyms: Iterable) -> np.ndarray:
    """The number of each pseudonym (in order; None for one not held)."""
    return _look_up(con, pseudonyms, "pseudonym", "pseudo_id", pa.string())


def _look_up(con, values: Iterable, given: str, wanted: str, kind: pa.DataType) -> np.ndarray:
    asked = [None if v is None else (int(v) if kind == pa.int64() else str(v)) for v in values]
    con = engine_of(con)  # DuckDB or Spark
    positions = pa.array(range(len(asked)), pa.int64())
    con.register("pseudonym_look_up", pa.table({"value": pa.array(asked, kind), "at": positions}))
    found = con.execute(
        f"SELECT p.{wanted} FROM pseudonym_look_up a LEFT JOIN {TABLE} p"
        f" ON p.{given} = a.value ORDER BY a.at"
    ).fetchall()
    return np.array([v for (v,) in found], dtype=object)


def _tables_holding_pseudonyms(con) -> list[str]:
    rows = con.execute(
        "SELECT table_name FROM duckdb_columns() WHERE database_name = current_database()"
        " AND schema_name = 'main' AND column_name = 'pseudo_id' AND data_type = 'VARCHAR'"
        f" AND table_name <> '{TABLE}' AND table_name IN (SELECT table_name FROM duckdb_tables()"
        " WHERE database_name = current_database() AND schema_name = 'main')"
        " ORDER BY table_name"
    ).fetchall()
    return [name for (name,) in rows]


def _columns(con, table: str) -> list[str]:
    rows = con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE database_name = current_database()"
        " AND schema_name = 'main' AND table_name = ? ORDER BY column_index",
        [table],
    ).fetchall()
    return [name for (name,) in rows]
