"""Probabilistic linkage on Splink's Spark backend: `identity.probabilistic.best_candidates` with
the same model (comparisons, fixed m and u, prior, blocking rules), the same features and the
same choice of the best candidate, the features' and the choice's SQL transpiled from DuckDB's
by SQLGlot. Chosen by JOINEDUP_LINKAGE_ENGINE=spark (identity/probabilistic.py).

Splink's string comparisons (Jaro-Winkler, Damerau-Levenshtein) run on Spark as the Scala
functions of the jar Splink ships (`engine.spark.session` puts it on the classpath).

This module handles identifiable values: never log or print them.
"""

from __future__ import annotations

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
    tables = [db_api.register(f"{name}_features", dataset_display_name=name) for name in sides]
    probabilistic.quiet_splink()
    linker = Linker(tables, probabilistic.settings(known_people), log_level=None)
    if parameters == "estimated":
        probabilistic.estimate(linker)
    predictions = linker.inference.predict(threshold_match_probability=probabilistic.KEEP_ABOVE)
    best = spark.sql(to_spark(probabilistic.best_sql(predictions.physical_name))).toArrow()
    return best.cast(probabilistic.empty_candidates().schema)


def _arrow(rows) -> pa.Table:
    """An Arrow table (a record batch reader read whole: Spark takes tables)."""
    return rows.read_all() if isinstance(rows, pa.RecordBatchReader) else rows
