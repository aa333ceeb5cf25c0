"""Bounded memory: a load whose identifier records and candidate pairs move in small batches
lands exactly what a load in one batch lands (same people, pseudonyms, answers and rows)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

from joinedup.landing import load_paths

# Columns that hold the time of the run or a vault's random id: the only ones allowed to differ.
RUN_COLUMNS = {"started_at", "finished_at", "resolved_at", "vault_id"}


def contents(path: Path) -> dict[str, list[tuple]]:
    """Every table of a store, its rows sorted, without the run's own times and ids."""
    with duckdb.connect(str(path), read_only=True) as con:
        tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
        found = {}
        for table in tables:
            columns = [
                r[0]
                for r in con.execute(
                    "SELECT column_name FROM duckdb_columns() WHERE table_name = ?"
                    " ORDER BY column_index",
                    [table],
                ).fetchall()
                if r[0] not in RUN_COLUMNS
            ]
            select = ", ".join(f'"{c}"' for c in columns)
            found[table] = sorted(
                con.execute(f'SELECT {select} FROM "{table}"').fetchall(), key=repr
            )
        return found


def test_a_load_in_small_batches_lands_what_one_batch_lands(
    small_generated_area, tmp_path, monkeypatch
):
    monkeypatch.setenv("JOINEDUP_PSEUDO_KEY", "11" * 32)
    monkeypatch.setenv("JOINEDUP_ROW_KEY", "22" * 32)
    stores = {}
    # 200 rows a batch: about 60 batches of records each way, linkage's pairs in several chunks.
    for name, rows in (("one_batch", "100000000"), ("small_batches", "200")):
        monkeypatch.setenv("JOINEDUP_BATCH_ROWS", rows)
        folder = tmp_path / name
        load_paths(
            small_generated_area, folder / "w.duckdb", as_of=dt.date(2026, 1, 1), progress=False
        )
        stores[name] = (contents(folder / "w.duckdb"), contents(folder / "vault.duckdb"))
    (warehouse, vault), (batched_warehouse, batched_vault) = stores.values()
    methods = {row[11] for row in vault["identifier_records"]}
    assert {"nhs_number", "council_id", "probabilistic"} <= methods  # Splink had pairs to score
    assert len(warehouse["person"]) > 1_500
    assert batched_warehouse == warehouse
    assert batched_vault == vault


def test_a_load_out_of_memory_says_so_in_one_line_and_leaves_the_warehouse_as_it_was(
    small_generated_area, tmp_path, monkeypatch, capsys
):
    from joinedup.cli import main

    warehouse = tmp_path / "w.duckdb"
    monkeypatch.setenv("JOINEDUP_LOAD_MEMORY", "4MB")
    code = main(["load", str(small_generated_area), "--warehouse", str(warehouse), "--quiet"])
    error = capsys.readouterr().err.strip()
    assert code == 5 and not warehouse.exists()
    assert error.endswith(
        "w.duckdb: the load ran out of memory (JOINEDUP_LOAD_MEMORY=4MB per DuckDB instance);"
        " the warehouse is as it was: raise it, or free memory, and load again"
    )
    assert len(error.splitlines()) == 1 and "Traceback" not in error
