"""Apache Spark behind the engine seam, over a Parquet-folder store (one folder per table).

The SQL is the DuckDB SQL the stages already hold, transpiled by SQLGlot (as Splink does); no
query is written twice. Each table folder is a temporary view of this engine's own Spark session
(one per store, sharing the process's SparkContext; a store kept in snapshots by `load --engine
spark` is read and written in its current snapshot, engine/parquet.py), and
`CREATE OR REPLACE TABLE t AS SELECT` writes `t` as Parquet: first into `_staging/t`, then, when the statement or the transaction
ends, each staged folder takes its table's place (Hadoop's FileSystem API, so the same code
works on a local folder, HDFS, S3 or ABFS).

Spark runs with the settings that make its answers DuckDB's: UTC session time, non-ANSI
arithmetic (a division by zero is null, as in DuckDB, rather than an error), and no union
output partitioning (DEFAULT_CONF says why).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import sqlglot
from sqlglot import exp

from joinedup.engine import Engine, parquet
from joinedup.errors import BadOption

MASTER_VARIABLE = "JOINEDUP_SPARK_MASTER"
DEFAULT_MASTER = "local[2]"
# Settings a cluster may override with JOINEDUP_SPARK_CONF ("key=value;key=value") or spark-submit.
DEFAULT_CONF = {
    "spark.driver.memory": "1g",
    "spark.sql.shuffle.partitions": "8",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.ansi.enabled": "false",
    "spark.sql.parquet.inferTimestampNTZ.enabled": "true",
    # A UNION keeps its inputs' hash partitioning (Spark 4.1+) only as planned: a copy of it
    # under reused exchanges runs by concatenating them (4 inputs of 8 partitions: 32), so a
    # sort-merge join planned on the 8 fails ("Can't zip RDDs ... List(32, 8)", dementia at
    # 175,000 people), and an aggregate planned on it could group rows apart. Off: a union's
    # consumers shuffle it as they need.
    "spark.sql.unionOutputPartitioning": "false",
}
# Settings the answers depend on: applied to every session, whatever a cluster configured.
FIXED_CONF = (
    "spark.sql.session.timeZone",
    "spark.sql.ansi.enabled",
    "spark.sql.unionOutputPartitioning",
)
STAGING = "_staging"


def _configuration() -> dict[str, str]:
    conf = dict(DEFAULT_CONF)
    for pair in filter(None, os.environ.get("JOINEDUP_SPARK_CONF", "").split(";")):
        key, _, value = pair.partition("=")
        conf[key.strip()] = value.strip()
    return conf


@lru_cache(maxsize=1)
def session():
    """The process's SparkSession: an existing one (spark-submit, a Databricks job: give it
    Splink's jar, docs/spark.md), else one started on JOINEDUP_SPARK_MASTER (default local[2])."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as error:
        raise BadOption(
            "--engine spark needs pyspark: pip install 'joinedup[spark]' (and Java 17)"
        ) from error
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    master = os.environ.get(MASTER_VARIABLE, DEFAULT_MASTER)
    if master.startswith("local"):  # a local Spark listens on the loopback interface only
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    # Python workers (the linkage's string functions) in this interpreter, with its packages.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from splink.backends.spark import similarity_jar_location

    builder = SparkSession.builder.appName("joinedup").master(master)
    # Splink's string comparisons as Scala functions (engine/linkage.py), added to any jars set.
    conf = _configuration()
    conf["spark.jars"] = ",".join(filter(None, [conf.get("spark.jars"), similarity_jar_location()]))
    for key, value in conf.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("FATAL")  # a failed query raises; its log line adds nothing
    return spark


@contextmanager
def scratch(prefix: str) -> Iterator[Path]:
    """An owner-only folder in TMPDIR for identifiable records on their way to Spark, removed
    after whatever happens (on a cluster TMPDIR must be a location the executors read:
    docs/spark.md)."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@lru_cache(maxsize=512)
def _parsed(sql: str) -> exp.Expression:
    return sqlglot.parse_one(sql, read="duckdb")


def to_spark(sql: str) -> str:
    """One DuckDB statement in Spark SQL."""
    return _parsed(sql).sql(dialect="spark")


class _Result:
    """A query's result, fetched as DuckDB's are: rows, the first row, or numpy columns."""

    def __init__(self, frame=None) -> None:
        self.frame = frame

    def fetchall(self) -> list[tuple]:
        return [] if self.frame is None else [tuple(row) for row in self.frame.collect()]

    def fetchone(self) -> tuple | None:
        rows = [] if self.frame is None else self.frame.take(1)
        return tuple(rows[0]) if rows else None

    def fetchnumpy(self) -> dict:
        """Column name -> numpy array (nulls as NaN in numbers, None in text)."""
        table = self.frame.toArrow()
        return {name: table[name].to_numpy(zero_copy_only=False) for name in table.column_names}


class Spark(Engine):
    """A Parquet-folder store on Spark: `folder/<table>/` for every table."""

    name = "spark"

    def __init__(self, folder: str | os.PathLike, spark=None) -> None:
        from py4j.protocol import Py4JError
        from pyspark.errors import PySparkException

        self.errors = (PySparkException, Py4JError)
        self.spark = (spark or session()).newSession()
        for key in FIXED_CONF:
            self.spark.conf.set(key, DEFAULT_CONF[key])
        self.folder = self._current(str(folder).rstrip("/"))
        self._staged: list[str] | None = None
        self._views: set[str] = set()  # registered as temporary views, on first use
        self._stored = set(self._listing(self.folder))

    # --- the Engine interface ----------------------------------------------------------------

    def execute(self, sql: str, params: Sequence = ()):
        statement = _parsed(sql)
        for table in statement.find_all(exp.Table):
            if table.name in self._stored - self._views:
                self._register(table.name, self._path(table.name))
        if isinstance(statement, exp.Create) and statement.args.get("expression") is not None:
            select = statement.expression.sql(dialect="spark")
            self._materialise(statement.this.name, select, params)
            return _Result()
        return _Result(self.spark.sql(statement.sql(dialect="spark"), args=list(params) or None))

    def tables(self) -> set[str]:
        return self._stored | self._views

    @contextmanager
    def transaction(self) -> Iterator[None]:
        if self._staged is not None:  # nested: the outer block commits
            yield
            return
        self._staged = []
        try:
            yield
            staged, self._staged = self._staged, None
            for table in staged:
                self._commit(table)
        except BaseException:
            staged, self._staged = self._staged or [], None
            for table in staged:
                self._discard(table)
            raise

    # --- tables as Parquet folders -----------------------------------------------------------

    def _path(self, table: str, staged: bool = False) -> str:
        return f"{self.folder}/{STAGING}/{table}" if staged else f"{self.folder}/{table}"

    def _register(self, table: str, path: str) -> None:
        self.spark.read.parquet(path).createOrReplaceTempView(table)
        self._views.add(table)

    def view(self, name: str, path: str) -> None:
        """The Parquet files under `path` as a view `name` (not a table of the store)."""
        self._register(name, path)

    def register(self, name: str, table) -> None:
        self.spark.createDataFrame(table).createOrReplaceTempView(name)
        self._views.add(name)

    def _materialise(self, table: str, select: str, params: Sequence = ()) -> None:
        staged = self._path(table, staged=True)
        frame = self.spark.sql(select, args=list(params) or None)
        frame.write.mode("overwrite").parquet(staged)
        self._register(table, staged)
        if self._staged is None:
            self._commit(table)
        elif table not in self._staged:
            self._staged.append(table)

    def _commit(self, table: str) -> None:
        fs, jvm = self._filesystem()
        final, staged = jvm.Path(self._path(table)), jvm.Path(self._path(table, staged=True))
        fs.delete(final, True)
        if not fs.rename(staged, final):
            raise OSError(f"could not move {staged} to {final}")
        self._register(table, self._path(table))
        self._stored.add(table)

    def _discard(self, table: str) -> None:
        fs, jvm = self._filesystem()
        fs.delete(jvm.Path(self._path(table, staged=True)), True)
        if fs.exists(jvm.Path(self._path(table))):
            self._register(table, self._path(table))
        else:
            self.spark.catalog.dropTempView(table)
            self._views.discard(table)

    def _filesystem(self, folder: str | None = None):
        context = self.spark.sparkContext
        hadoop = context._jvm.org.apache.hadoop.fs
        path = hadoop.Path(folder or self.folder)
        return path.getFileSystem(context._jsc.hadoopConfiguration()), hadoop

    def _current(self, folder: str) -> str:
        """The folder of the store's current snapshot (engine/parquet.py): the one its pointer
        names, or the folder itself."""
        fs, hadoop = self._filesystem(folder)
        pointer = hadoop.Path(f"{folder}/{parquet.POINTER}")
        if not fs.exists(pointer):
            return folder
        io = self.spark.sparkContext._jvm.java.io
        reader = io.BufferedReader(io.InputStreamReader(fs.open(pointer), "UTF-8"))
        try:
            name = reader.readLine().strip()
        finally:
            reader.close()
        return f"{folder}/{parquet.SNAPSHOTS}/{name}"

    def _listing(self, folder: str) -> list[str]:
        fs, jvm = self._filesystem()
        if not fs.exists(jvm.Path(folder)):
            return []
        return sorted(
            status.getPath().getName()
            for status in fs.listStatus(jvm.Path(folder))
            if status.isDirectory() and not status.getPath().getName().startswith(("_", "."))
        )
