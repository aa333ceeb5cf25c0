"""Probabilistic linkage on Splink's Spark backend: `identity.probabilistic.best_candidates` with
the same model (comparisons, fixed m and u, prior, blocking rules), the same features and the
same choice of the best candidate, the features' and the choice's SQL transpiled from DuckDB's
by SQLGlot. Chosen by JOINEDUP_LINKAGE_ENGINE=spark (identity/probabilistic.py).

Splink's string comparisons must give the same values as on DuckDB, or a pair near a level's
threshold scores differently: the Scala Jaro-Winkler of the jar Splink ships (Apache
commons-text's algorithm) differs from DuckDB's on some pairs (0.8917 against 0.9083 for a pair
of names on a generated area, docs/spark.md). So on Spark `jaro_winkler` and
`damerau_levenshtein` are DuckDB's own functions, as Python functions of the session (each
distinct pair computed once per worker); the jar's other functions stay registered.

This module handles identifiable values: never log or print them.
"""

from __future__ import annotations

from functools import lru_cache

import duckdb
import pyarrow as pa

from joinedup.engine.spark import session, to_spark
from joinedup.identity import probabilistic


def best_candidates(new_records, known, known_people: int, parameters: str = "fixed") -> pa.Table:
    """As probabilistic.best_candidates (the arguments and the answer), on Spark."""
    from splink import Linker
    from splink.backends.spark import SparkAPI

    spark = session().newSession()  # its own temporary views, dropped with it
    spark.createDataFrame(probabilistic.nickname_table()).createOrReplaceTempView("nicknames")
    new = "(SELECT *, CAST(NULL AS BIGINT) AS person_key FROM new_input)"
    sides = {"new": (_arrow(new_records), new), "known": (_arrow(known), "known_input")}
    for name, (rows, source) in sides.items():
        if rows.num_rows == 0:
            return probabilistic.empty_candidates()
        spark.createDataFrame(rows).createOrReplaceTempView(f"{name}_input")
        features = spark.sql(to_spark(probabilistic.FEATURES_SQL.format(source=source)))
        features.persist().createOrReplaceTempView(f"{name}_features")
    db_api = SparkAPI(spark_session=spark, break_lineage_method="persist")
    _same_string_comparisons(spark)
    tables = [db_api.register(f"{name}_features", dataset_display_name=name) for name in sides]
    probabilistic.quiet_splink()
    linker = Linker(tables, probabilistic.settings(known_people), log_level=None)
    if parameters == "estimated":
        probabilistic.estimate(linker)
    predictions = linker.inference.predict(threshold_match_probability=probabilistic.KEEP_ABOVE)
    best = spark.sql(to_spark(probabilistic.best_sql(predictions.physical_name))).toArrow()
    return best.cast(probabilistic.empty_candidates().schema)


def _same_string_comparisons(spark) -> None:
    """Splink's string functions on this session computed as DuckDB computes them."""
    from pyspark.sql.types import DoubleType

    spark.udf.register("jaro_winkler", duckdb_jaro_winkler, DoubleType())
    spark.udf.register("damerau_levenshtein", duckdb_damerau_levenshtein, DoubleType())


@lru_cache(maxsize=1)
def _duckdb() -> duckdb.DuckDBPyConnection:
    return duckdb.connect()  # one per Python worker


@lru_cache(maxsize=1 << 18)
def _compared(function: str, left: str, right: str) -> float:
    return float(_duckdb().execute(f"SELECT {function}(?, ?)", [left, right]).fetchone()[0])


def duckdb_jaro_winkler(left: str | None, right: str | None) -> float | None:
    """DuckDB's jaro_winkler_similarity (NULL when either side is)."""
    return (
        None if left is None or right is None else _compared("jaro_winkler_similarity", left, right)
    )


def duckdb_damerau_levenshtein(left: str | None, right: str | None) -> float | None:
    """DuckDB's damerau_levenshtein (NULL when either side is)."""
    return None if left is None or right is None else _compared("damerau_levenshtein", left, right)


def _arrow(rows) -> pa.Table:
    """An Arrow table (a record batch reader read whole: Spark takes tables)."""
    return rows.read_all() if isinstance(rows, pa.RecordBatchReader) else rows
