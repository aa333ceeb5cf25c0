"""The Spark suite (`make test-spark`; the default `pytest` run does not collect tests/spark).

One SparkSession for the whole run (local[2], settings for small data below), and
one generated area, landed by DuckDB into a warehouse file and by `load --engine spark` into a
Parquet folder, that every test shares."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

os.environ.setdefault("OMP_NUM_THREADS", "1")  # risk training: no oversubscribed cores
from spark_area import GENERATED_AS_OF

# The metric spec tables (tests/spec) run here again, on Spark.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "spec"))
# Tiny data: one partition, no adaptive planning, no code generation (each costs more than the
# work it saves here; measured about 30% faster on the spec tables).
os.environ.setdefault(
    "JOINEDUP_SPARK_CONF",
    "spark.sql.shuffle.partitions=1;spark.sql.adaptive.enabled=false;spark.sql.codegen.wholeStage=false",
)

from joinedup.cli import main  # noqa: E402
from joinedup.engine.spark import session  # noqa: E402
from joinedup.identity.probabilistic import ENGINE_VARIABLE  # noqa: E402
from joinedup.landing import load_paths  # noqa: E402

PEOPLE = 2000


@pytest.fixture(scope="session", autouse=True)
def spark():
    started = session()
    yield started
    started.stop()


@pytest.fixture(scope="session")
def generated(tmp_path_factory) -> tuple[Path, Path]:
    """(warehouse file, warehouse folder) of a generated area, before any marts: landed by
    `load` on DuckDB into the file, and again by `load --engine spark` into the Parquet folder
    (with the same keys, into a vault of its own, spark-vault/v.duckdb)."""
    root = tmp_path_factory.mktemp("spark-area")
    area = root / "area"
    argv = ["synth", "--out", str(area), "--people", str(PEOPLE), "--seed", "3", "--quiet"]
    assert main(argv) == 0
    load_paths(area, root / "w.duckdb", root / "v.duckdb", GENERATED_AS_OF, progress=False)
    spark_vault = root / "spark-vault" / "v.duckdb"
    spark_vault.parent.mkdir()
    for suffix in (".key", ".rowkey"):  # the same keyed functions: the same pseudonyms
        shutil.copy(root / f"v.duckdb{suffix}", spark_vault.with_name(f"v.duckdb{suffix}"))
    stores = ["--warehouse", str(root / "w.parquet"), "--vault", str(spark_vault)]
    as_of = ["--as-of", GENERATED_AS_OF.isoformat()]
    assert main(["load", str(area), *stores, *as_of, "--engine", "spark", "--quiet"]) == 0
    assert ENGINE_VARIABLE not in os.environ  # the linkage's engine was set for the load only
    return root / "w.duckdb", root / "w.parquet"


@pytest.fixture(scope="session")
def marts_on_both(generated) -> tuple[Path, Path]:
    """The generated area with its marts built by DuckDB in the file and by Spark in the folder
    (in the Spark load's snapshot)."""
    warehouse, folder = generated
    assert main(["marts", "--warehouse", str(warehouse), "--quiet"]) == 0
    assert main(["marts", "--engine", "spark", "--warehouse", str(folder), "--quiet"]) == 0
    return warehouse, folder
