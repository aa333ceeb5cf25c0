"""Probabilistic linkage on Splink's Spark backend: `identity.probabilistic.best_candidates` with
the same model (comparisons, fixed m and u, prior, blocking rules), the same features and the
same choice of the best candidate, the features' and the choice's SQL transpiled from DuckDB's
by SQLGlot. Chosen by JOINEDUP_LINKAGE_ENGINE=spark (identity/probabilistic.py).

Splink's string comparisons must give the same values as on DuckDB, or a pair near a level's
threshold scores differently: the Scala Jaro-Winkler of the jar Splink ships (Apache
commons-text's algorithm) differs from DuckDB's on some pairs (0.8917 against 0.9083 for a pair
of names on a generated area, docs/spark.md). So on Spark `jaro_winkler` and
`damerau_levenshtein` are DuckDB's own functions, as Arrow UDFs of the session (each batch of
pairs scored by one DuckDB query in the Python worker); the jar's other functions stay
registered.

This module handles identifiable values: never log or print them.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from joinedup.engine.spark import scratch, session, to_spark
from joinedup.identity import probabilistic

SIDES = ("new", "known")


def best_candidates(new_records, known, known_people: int, parameters: str = "fixed") -> pa.Table:
    """As probabilistic.best_candidates (the arguments and the answer), on Spark. The records
    reach Spark as Parquet in an owner-only scratch folder, read by the executors: a local
    relation of them would be held whole in the driver's heap (175,000 people overran 4g)."""
    spark = session().newSession()  # its own temporary views, dropped with it
    spark.createDataFrame(probabilistic.nickname_table()).createOrReplaceTempView("nicknames")
    new = "(SELECT *, CAST(NULL AS BIGINT) AS person_key FROM new_input)"
    sides = zip(SIDES, (new_records, known), (new, "known_input"), strict=True)
    with scratch("joinedup-linkage-") as folder:
        persisted = []
        try:
            for name, rows, source in sides:
                if not _written(rows, folder / name):
                    return probabilistic.empty_candidates()
                spark.read.parquet(str(folder / name)).createOrReplaceTempView(f"{name}_input")
                features = spark.sql(to_spark(probabilistic.FEATURES_SQL.format(source=source)))
                persisted.append(features.persist())
                features.createOrReplaceTempView(f"{name}_features")
            return _best(spark, known_people, parameters)
        finally:
            for features in persisted:
                features.unpersist()


def _best(spark, known_people: int, parameters: str) -> pa.Table:
    """Splink's predictions of new_features against known_features, the best of each."""
    from splink import Linker
    from splink.backends.spark import SparkAPI

    db_api = SparkAPI(spark_session=spark, break_lineage_method="persist")
    _same_string_comparisons(spark)
    tables = [db_api.register(f"{name}_features", dataset_display_name=name) for name in SIDES]
    probabilistic.quiet_splink()
    linker = Linker(tables, probabilistic.settings(known_people), log_level=None)
    if parameters == "estimated":
        probabilistic.estimate(linker)
    predictions = linker.inference.predict(threshold_match_probability=probabilistic.KEEP_ABOVE)
    best = spark.sql(to_spark(probabilistic.best_sql(predictions.physical_name))).toArrow()
    return best.cast(probabilistic.empty_candidates().schema)


def _written(rows, folder: Path) -> int:
    """Rows (an Arrow table or record batch reader) as one Parquet file in `folder`: how many."""
    reader = rows.to_reader() if isinstance(rows, pa.Table) else rows
    folder.mkdir(mode=0o700)
    count = 0
    with pq.ParquetWriter(folder / "part-0.parquet", reader.schema) as writer:
        for batch in reader:
            writer.write_batch(batch)
            count += batch.num_rows
    return count


def _same_string_comparisons(spark) -> None:
    """Splink's string functions on this session computed as DuckDB computes them: Arrow UDFs,
    each batch of pairs compared by one DuckDB query (a call per pair had run over 30 minutes
    at 175,000 people without finishing)."""
    from pyspark.sql.functions import arrow_udf
    from pyspark.sql.types import DoubleType

    for name, duckdb_function in SAME_AS_DUCKDB.items():
        spark.udf.register(name, arrow_udf(_compare(duckdb_function), DoubleType()))


# Splink's Spark function -> DuckDB's, the one that scores the same pairs on DuckDB.
SAME_AS_DUCKDB = {
    "jaro_winkler": "jaro_winkler_similarity",
    "damerau_levenshtein": "damerau_levenshtein",
}


def _compare(duckdb_function: str):
    def compared(left: pa.Array, right: pa.Array) -> pa.Array:
        """DuckDB's function of each pair (NULL when either side is), in order."""
        pairs = _duckdb().from_arrow(pa.table({"l": left, "r": right}))
        scored = pairs.project(f"CAST({duckdb_function}(l, r) AS DOUBLE)")
        return scored.fetch_arrow_table().column(0).combine_chunks()

    return compared


@lru_cache(maxsize=1)
def _duckdb() -> duckdb.DuckDBPyConnection:
    """One per Python worker, one thread: a batch's answers in its pairs' order."""
    return duckdb.connect(config={"threads": 1})
