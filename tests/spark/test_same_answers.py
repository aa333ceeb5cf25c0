"""Same answers on both engines: a generated area's marts, metrics and board report built by
Spark (on the warehouse as a Parquet folder) equal DuckDB's (on the warehouse file), through the
commands (risk: test_risk_on_spark.py)."""

import json
import re

import pytest

from joinedup.cli import main
from joinedup.engine.parquet import open_in_duckdb
from joinedup.marts.build import MART_KEYS
from joinedup.warehouse import store

GENERATED = re.compile(r"\d{2} \w+ \d{4}, \d{2}:\d{2} UTC")  # the report's own time


def metrics_json(capsys, *argv) -> dict:
    assert main(["metrics", *argv, "--quiet"]) == 0
    printed = json.loads(capsys.readouterr().out)
    printed.pop("generated_at")
    return printed


def rows(con, table: str) -> list[tuple]:
    order = ", ".join(MART_KEYS[table])
    return con.execute(f"SELECT * FROM {table} ORDER BY {order}").fetchall()


def same_row(duck: tuple, spark: tuple) -> bool:
    return all(
        a == pytest.approx(b, rel=1e-9, abs=1e-9) if isinstance(a, float) else a == b
        for a, b in zip(duck, spark, strict=True)
    )


def test_spark_builds_the_same_marts_as_duckdb(marts_on_both):
    warehouse, folder = marts_on_both
    spark_built = open_in_duckdb(folder)  # Spark's Parquet, read back by DuckDB
    with store.reading(warehouse) as duck:
        for table in MART_KEYS:
            expected, found = rows(duck, table), rows(spark_built, table)
            assert len(found) == len(expected) > 0, table
            different = [(a, b) for a, b in zip(expected, found, strict=True) if not same_row(a, b)]
            assert not different, f"{table}: {len(different)} rows differ, first {different[0]}"


def test_spark_computes_every_metric_value_as_duckdb(marts_on_both, capsys):
    warehouse, folder = marts_on_both
    duck = metrics_json(capsys, "--warehouse", str(warehouse))
    spark = metrics_json(capsys, "--warehouse", str(folder), "--engine", "spark")
    assert len(duck["metrics"]) > 500
    assert spark == duck


def test_the_board_report_is_the_same_on_spark(marts_on_both, tmp_path):
    pages = {}
    for engine, where in zip(("duckdb", "spark"), marts_on_both, strict=True):
        out = tmp_path / f"{engine}.html"
        argv = ["report", "--engine", engine, "--warehouse", str(where), "--out", str(out)]
        assert main([*argv, "--quiet"]) == 0
        pages[engine] = GENERATED.sub("", out.read_text("utf-8"))
    assert pages["duckdb"].count("<svg") > 20  # SPC charts and badges drawn from the data
    assert pages["spark"] == pages["duckdb"]
