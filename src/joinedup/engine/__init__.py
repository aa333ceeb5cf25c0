"""The engine seam: the marts, the metrics and the risk features run their SQL through an
`Engine`, so that the same queries run on DuckDB (one machine) or on Apache Spark (a cluster).

SQL is written once, in DuckDB's dialect (the project's queries as they are), and each engine
runs it in its own: DuckDB as written, Spark after SQLGlot transpiles it (`spark.py`). An
engine offers what those stages need and no more:

- `execute(sql, params)` gives a result with `fetchall()`, `fetchone()` and `fetchnumpy()`
  (column name -> numpy array); `?` marks a
  positional parameter. `CREATE OR REPLACE TABLE t AS SELECT ...` materialises a table.
- `register(name, arrow_table)`: rows computed in Python (risk scores) as a view.
- `tables()`: the names of the tables the store holds.
- `transaction()`: a block whose tables all appear, or none (a failed marts build leaves the
  marts that were there before).
- `errors`: the exceptions a failed query raises, for a stage to word its own message.

A DuckDB connection is adapted by `engine_of(con)`, so every caller that holds a connection
(the web service, the report, the tests) goes on passing it."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import duckdb

ENGINES = ("duckdb", "spark")


class Engine(ABC):
    name: str
    errors: tuple[type[BaseException], ...]

    @abstractmethod
    def execute(self, sql: str, params: Sequence = ()):
        """Run one statement; the result has fetchall(), fetchone() and fetchnumpy()."""

    @abstractmethod
    def register(self, name: str, table) -> None:
        """A pyarrow table as a view `name` for the queries that follow."""

    @abstractmethod
    def tables(self) -> set[str]:
        """Every table (or view) name the store holds."""

    @abstractmethod
    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All the tables written inside appear together, or none does."""


class DuckDB(Engine):
    """A DuckDB connection (a warehouse file, or views over a Parquet folder) as an Engine."""

    name = "duckdb"
    errors = (duckdb.Error,)

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con

    def execute(self, sql: str, params: Sequence = ()):
        return self.con.execute(sql, list(params)) if params else self.con.execute(sql)

    def register(self, name: str, table) -> None:
        self.con.register(name, table)

    def tables(self) -> set[str]:
        found = self.con.execute(
            "SELECT table_name FROM duckdb_tables() UNION SELECT view_name FROM duckdb_views()"
            " WHERE NOT internal"
        ).fetchall()
        return {name for (name,) in found}

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise


def engine_of(con) -> Engine:
    """`con` itself when it is an Engine; a DuckDB connection wrapped as one."""
    return con if isinstance(con, Engine) else DuckDB(con)
