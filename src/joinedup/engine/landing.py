"""`joinedup load --engine spark`: landing's checks and identity's probabilistic linkage on Spark.

- The checks: each file is read by landing's own reader (`landing.files.stage_raw`: DuckDB's CSV
  and Parquet reader, record by record where that gives up), so that a file reads alike whatever
  engine checks it; its raw records are written as Parquet into an owner-only scratch folder
  (they are the records as sent), the contract's rules (`landing.validate`, the SQL written
  once) run there as Spark SQL, and the reasons come back to the load; the folder is removed.
- The linkage: Splink's Spark backend (`engine/linkage.py`, JOINEDUP_LINKAGE_ENGINE=spark).

The load's writes stay where they are transactional: the warehouse file's one transaction and
the vault's identity records (docs/spark.md).

This module reads identifiable values: it never logs one.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from joinedup.contract import Feed
from joinedup.identity.probabilistic import ENGINE_VARIABLE
from joinedup.landing import validate
from joinedup.landing.files import Header

LINE_COLUMN = "_line"  # the record's line in a raw table written for Spark


def checks(engine: str) -> Callable:
    """landing's rule checks (`validate.find_reasons`' arguments) on the engine named."""
    return check_on_spark if engine == "spark" else validate.find_reasons


def check_on_spark(con, feed: Feed, header: Header, raw: str, as_of: dt.date, table: str) -> None:
    """`validate.find_reasons` for raw table `raw` of DuckDB connection `con`, the rules run
    on Spark; the reasons become temp table `table` of `con`."""
    from joinedup.engine.spark import Spark, scratch

    with scratch("joinedup-checks-") as folder:
        records = folder / "raw"
        records.mkdir(mode=0o700)
        con.execute(
            f"COPY (SELECT {validate.LINE_SQL} AS {LINE_COLUMN}, * FROM {raw})"
            f" TO '{_quoted(records / 'part-0.parquet')}' (FORMAT parquet)"
        )
        spark = Spark(folder / "store")
        spark.view(raw, str(records))
        validate.find_reasons(spark, feed, header, raw, as_of, table, LINE_COLUMN)
        found = _quoted(folder / "store" / table / "*.parquet")
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT CAST(line AS BIGINT) AS line,"
            f" column_name, rule FROM read_parquet('{found}')"
        )


@contextmanager
def linkage(engine: str) -> Iterator[None]:
    """Identity's probabilistic linkage on Spark for the block, when `engine` is spark."""
    if engine != "spark":
        yield
        return
    before = os.environ.get(ENGINE_VARIABLE)
    os.environ[ENGINE_VARIABLE] = engine
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(ENGINE_VARIABLE)
        else:
            os.environ[ENGINE_VARIABLE] = before


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")
