"""A command's warehouse on the engine it names (`--engine`): DuckDB on a warehouse file or on a
Parquet folder (changed by whole snapshots), or Spark on a Parquet folder (local, HDFS, S3,
ABFS)."""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from joinedup.engine import ENGINES, Engine
from joinedup.errors import StoreError
from joinedup.warehouse import store


def add_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--engine",
        choices=ENGINES,
        default="duckdb",
        help="duckdb (default): the warehouse file, or a Parquet folder; spark: a Parquet folder "
        "(`load --engine spark`, `joinedup parquet`) on Spark, from JOINEDUP_SPARK_MASTER "
        "(default local[2]); see docs/spark.md",
    )


def _spark(where: str, needed: Iterable[str]) -> Engine:
    from joinedup.engine.spark import Spark

    engine = Spark(where)
    if not engine.tables():
        raise StoreError(
            f"{where}: no Parquet warehouse here (run `joinedup load --engine spark` or"
            " `joinedup parquet` first)"
        )
    store.check_tables(engine, needed, Path(where))
    return engine


@contextmanager
def reading(engine: str, where: str | Path, needed: Iterable[str] = ()) -> Iterator:
    """The warehouse for the length of the block: a DuckDB connection or an Engine."""
    if engine == "spark":
        yield _spark(str(where), needed)
    elif Path(where).is_dir():
        from joinedup.engine.parquet import open_in_duckdb

        opened = open_in_duckdb(where)
        try:
            store.check_tables(opened, needed, Path(where))
            yield opened
        finally:
            opened.con.close()
    else:
        with store.reading(where, needed=needed) as con:
            yield con


@contextmanager
def writing(engine: str, where: str | Path, needed: Iterable[str] = ()) -> Iterator:
    """The warehouse to change: DuckDB's store writer; on DuckDB a Parquet folder through its
    next snapshot (`engine.parquet.writing`); or Spark on the Parquet folder (whose tables are
    each replaced whole, `engine.spark`)."""
    if engine == "spark":
        yield _spark(str(where), needed)
    elif Path(where).is_dir():
        from joinedup.engine import parquet

        with parquet.writing(where) as con:
            store.check_tables(con, needed, Path(where))
            yield con
    else:
        with store.writing(where, needed=needed) as con:
            yield con


@contextmanager
def reading_while_copying(engine: str, where: str | Path, needed: Iterable[str] = ()) -> Iterator:
    """(the warehouse to read, `writer()`: the warehouse to write) for a command that reads much
    and writes little: on DuckDB the store's copy is made while the reading goes on
    (`store.reading_while_copying`), a Parquet folder in its next snapshot's working copy;
    Spark reads and writes the same Parquet folder."""
    if engine == "spark":
        spark = _spark(str(where), needed)
        yield spark, lambda: spark
    elif Path(where).is_dir():
        with writing(engine, where, needed) as con:
            yield con, lambda: con
    else:
        with store.reading_while_copying(where, needed=needed) as pair:
            yield pair
