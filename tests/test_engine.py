"""The engine seam on DuckDB: a Parquet-folder warehouse (`joinedup parquet`) gives the same
metrics as the warehouse file, a failed transaction leaves no table behind, and a Parquet
warehouse changes by whole snapshots. The same seam on Spark is tested by the Spark suite
(tests/spark, `make test-spark`; a killed load there)."""

import json
from datetime import date, timedelta

import duckdb
import pytest

from joinedup.cli import main
from joinedup.engine import DuckDB, engine_of, parquet
from joinedup.engine.parquet import open_in_duckdb
from joinedup.errors import StoreError
from joinedup.marts.build import MART_KEYS
from joinedup.warehouse import schema


@pytest.fixture(name="warehouse")
def warehouse_fixture(tmp_path):
    path = tmp_path / "w.duckdb"
    with duckdb.connect(str(path)) as con:
        schema.create_all(con)
        for n in range(60):
            con.execute(
                "INSERT INTO acute_apc (pseudo_id, spell_id, provider_code, admission_date,"
                " discharge_date, admission_method, main_specialty, postcode_in_area)"
                " VALUES (?, ?, 'RZA', ?, ?, '21', '300', true)",
                [n % 7 + 1, n, date(2015, 4, 1) + timedelta(days=n), date(2015, 6, 9)],
            )
    return path


def metrics_json(capsys, warehouse) -> dict:
    assert main(["metrics", "--warehouse", str(warehouse), "--quiet"]) == 0
    printed = json.loads(capsys.readouterr().out)
    printed.pop("generated_at")
    return printed


def test_a_parquet_folder_warehouse_gives_the_same_metrics_as_the_file(warehouse, capsys):
    folder = warehouse.with_name("w.parquet")
    assert main(["parquet", str(warehouse), "--out", str(folder)]) == 0
    assert (folder / "acute_apc").is_dir() and (folder / "person").is_dir()
    on_file = metrics_json(capsys, warehouse)
    assert on_file["area"] == "w"
    assert sum(r["numerator"] for r in on_file["metrics"] if r["id"] == "nel_admissions") > 0
    assert metrics_json(capsys, folder) == on_file


def test_parquet_refuses_a_folder_that_holds_something(warehouse, capsys):
    (warehouse.parent / "out" / "x").mkdir(parents=True)
    assert main(["parquet", str(warehouse), "--out", str(warehouse.parent / "out")]) == 3
    assert capsys.readouterr().err.strip().endswith("not empty; give a new folder for the Parquet store")


def test_a_failed_transaction_leaves_no_table_and_the_seam_wraps_a_connection(tmp_path):
    con = duckdb.connect(str(tmp_path / "t.duckdb"))
    engine = engine_of(con)
    assert isinstance(engine, DuckDB) and engine_of(engine) is engine
    with pytest.raises(ZeroDivisionError), engine.transaction():
        engine.execute("CREATE OR REPLACE TABLE t AS SELECT 1 AS a")
        raise ZeroDivisionError
    assert "t" not in engine.tables()
    with engine.transaction():
        engine.execute("CREATE OR REPLACE TABLE t AS SELECT ? AS a", [7])
    assert engine.execute("SELECT a FROM t").fetchone() == (7,)


def snapshot_of(folder) -> str:
    return (folder / parquet.POINTER).read_text().strip()


def test_a_parquet_warehouse_changes_by_whole_snapshots(tmp_path):
    folder = tmp_path / "w"
    for n in (1, 2, 3):
        with parquet.writing(folder) as con:
            con.execute("CREATE OR REPLACE TABLE t AS SELECT ? AS a", [n])
            con.execute("CREATE TEMP TABLE raw_file AS SELECT 'not for the warehouse' AS v")
        assert snapshot_of(folder) == f"{n:06d}"
        assert open_in_duckdb(folder).execute("SELECT a FROM t").fetchall() == [(n,)]
    # the current snapshot and the one before it; never a temporary table
    assert sorted(p.name for p in (folder / parquet.SNAPSHOTS).iterdir()) == ["000002", "000003"]
    assert open_in_duckdb(folder).tables() == {"t"}
    with pytest.raises(ZeroDivisionError), parquet.writing(folder) as con:
        con.execute("CREATE OR REPLACE TABLE t AS SELECT 99 AS a")
        raise ZeroDivisionError
    assert snapshot_of(folder) == "000003"
    assert open_in_duckdb(folder).execute("SELECT a FROM t").fetchall() == [(3,)]


def test_a_second_writer_of_a_parquet_warehouse_is_refused(tmp_path):
    folder = tmp_path / "w"
    refused = pytest.raises(StoreError, match="another process is changing")
    with parquet.writing(folder), refused, parquet.writing(folder):
        pass


def test_a_spark_load_needs_a_folder_and_keeps_the_vault_out_of_it(warehouse, tmp_path, capsys):
    area = tmp_path / "area"
    area.mkdir()
    (area / "practices.csv").write_text("practice_code,practice_name,locality\nY01000,A,B\n")
    load = ["load", str(area), "--engine", "spark", "--quiet"]
    assert main([*load, "--warehouse", str(warehouse)]) == 5
    assert "a file, not a Parquet folder" in capsys.readouterr().err
    folder = tmp_path / "w.parquet"
    assert main([*load, "--warehouse", str(folder), "--vault", str(folder / "v.duckdb")]) == 5
    assert "keep the vault and its keys apart from the warehouse" in capsys.readouterr().err
    assert not folder.exists()


def test_duckdb_builds_the_marts_of_a_parquet_warehouse_in_a_new_snapshot(warehouse, capsys):
    folder = warehouse.with_name("w.parquet")
    assert main(["parquet", str(warehouse), "--out", str(folder)]) == 0
    for where in (warehouse, folder):
        assert main(["marts", "--warehouse", str(where), "--quiet"]) == 0
    assert snapshot_of(folder) == "000001"
    assert set(MART_KEYS) <= open_in_duckdb(folder).tables()
    assert metrics_json(capsys, folder) == metrics_json(capsys, warehouse)
