"""Landing validation on either engine: a feed file's records staged as text, then checked by the
contract's rules (`landing.validate`, the SQL written once) on DuckDB or on Spark.

The records are read by landing's own reader (`landing.files.stage_raw`: DuckDB's CSV and
Parquet reader, record by record where that gives up), so that a file reads alike whatever
engine checks it; for Spark the raw table is then written as Parquet into the store's folder
(`_raw/<table>`, owner-only, like the vault's folder: it holds the records as sent) with each
record's line, and the rules run there as Spark SQL.

This module reads identifiable values: it never logs one.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from joinedup import duck
from joinedup.engine import Engine, engine_of
from joinedup.landing import files, validate
from joinedup.landing.files import FeedFile, Header

LINE_COLUMN = "_line"  # the record's line in a raw table written for Spark


def stage_raw(engine: Engine, file: FeedFile, header: Header, table: str) -> tuple[int, str]:
    """The file's records as raw table `table` on the engine; (records, the table's line SQL)."""
    if engine.name == "duckdb":
        return files.stage_raw(engine.con, file, header, table), validate.LINE_SQL
    con = duck.connect()  # the reader's own workspace; the Parquet it writes is Spark's input
    try:
        rows = files.stage_raw(con, file, header, table)
        folder = Path(engine.folder) / "_raw" / table
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        target = str(folder / "part-0.parquet").replace("'", "''")
        con.execute(
            f"COPY (SELECT {validate.LINE_SQL} AS {LINE_COLUMN}, * FROM {table}) TO '{target}'"
            " (FORMAT parquet)"
        )
    finally:
        con.close()
    engine.view(table, str(folder))
    return rows, LINE_COLUMN


def reasons(con, file: FeedFile, header: Header, as_of: dt.date) -> list[tuple[int, str, str]]:
    """Every (line, column, rule) the file's records break, sorted, checked on the engine."""
    engine = engine_of(con)
    _, line = stage_raw(engine, file, header, "raw_file")
    validate.find_reasons(engine, file.feed, header, "raw_file", as_of, "file_reasons", line)
    found = engine.execute("SELECT line, column_name, rule FROM file_reasons").fetchall()
    return sorted((int(n), column, rule) for n, column, rule in found)
