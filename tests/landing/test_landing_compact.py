"""The compact warehouse (docs/architecture.md): record tokens as 8-byte BIGINTs ordered as their
hex, rows known by a row id the load gives (the vault keeps the row key), rows in person order.
A warehouse an older load made, with 64-digit hex keys, no row ids and pseudonyms on every row, is
compacted and numbered by its next load and then gives the same rows (row ids in the same order), marts, metrics and
lineage."""

from __future__ import annotations

import datetime as dt
import shutil

import duckdb
import pytest

from joinedup.errors import StoreError
from joinedup.identity import repoint
from joinedup.identity.vault import Vault
from joinedup.keyed_hash import compact, compact_sql
from joinedup.landing.lineage import landed_lineage
from joinedup.landing.load import load_paths
from joinedup.marts import build_marts
from joinedup.metrics.engine import compute_metrics
from joinedup.warehouse import schema, store

AS_OF = dt.date(2016, 5, 1)
RELOADED = "deaths.csv"  # landed again after the old warehouse is made: its next load
MARTS = ("calendar_month", "person_event", "person_month_cost", "person_year_cost",
         "person_year_segment")  # fmt: skip


def test_compact_keeps_the_hex_order():
    digests = sorted(f"{n:02x}" * 32 for n in (0, 1, 127, 128, 129, 255))
    assert sorted(digests, key=compact) == digests
    with duckdb.connect() as con:
        assert [con.execute(f"SELECT {compact_sql('?')}", [d]).fetchone()[0] for d in digests] == [
            compact(d) for d in digests
        ]


@pytest.fixture(scope="module")
def landed(small_generated_area, tmp_path_factory):
    """The generated area landed with today's load (new/), and the same warehouse as an older
    load left it (old/: hex keys, no marts), each then given its next load."""
    new = tmp_path_factory.mktemp("new")
    load_paths(small_generated_area, new / "w.duckdb", new / "v.duckdb", AS_OF, progress=False)
    old = tmp_path_factory.mktemp("old")
    for path in new.iterdir():
        shutil.copy2(path, old / path.name)
    _as_an_older_load_left_it(old)
    before = _lineage(new)
    for folder in (new, old):
        load_paths(
            small_generated_area,
            folder / "w.duckdb",
            folder / "v.duckdb",
            AS_OF,
            progress=False,
            reload=[RELOADED],
        )
        with store.writing(folder / "w.duckdb") as con:
            build_marts(con)
    return new, old, before


def _as_an_older_load_left_it(folder) -> None:
    """Row ids back to row keys and tokens back to 64 hex digits (row keys the vault's own,
    tokens hex of the same first 64 bits), no marts, and a vault without row ids."""
    with duckdb.connect(str(folder / "w.duckdb")) as con:
        con.execute(f"ATTACH '{folder / 'v.duckdb'}' AS vault")
        for table, _ in _compact_columns(con, ("_row_id",)):
            con.execute(f"ALTER TABLE {table} RENAME COLUMN _row_id TO _row_key")
            con.execute(
                f"UPDATE {table} t SET _row_key = {compact_sql('l.row_key')} FROM"
                f" vault.row_lineage l WHERE l.feed = '{table}' AND l.row_id = t._row_key"
            )
        for table, column in _compact_columns(con, schema.SOURCE_RECORD_IDS):
            con.execute(
                f"UPDATE {table} t SET {column} = {compact_sql('k.token')} FROM"
                f" vault.record_tokens k WHERE k.token_id = t.{column}"
            )
        con.execute("DROP TABLE vault.record_tokens")
        for table in MARTS:
            con.execute(f"DROP TABLE IF EXISTS {table}")
        for table, column in _compact_columns(con):
            as_hex = f"lpad(lower(hex(CAST(\"{column}\" AS HUGEINT) + {1 << 63})), 16, '0')"
            con.execute(
                f'ALTER TABLE {table} ALTER "{column}" TYPE VARCHAR'
                f" USING {as_hex} || repeat('0', 48)"
            )
            if column == "_row_key":  # a person-level row's key is in the vault's lineage
                con.execute(
                    f"UPDATE {table} t SET _row_key = l.row_key FROM vault.row_lineage l"
                    f" WHERE l.feed = '{table}' AND left(l.row_key, 16) = left(t._row_key, 16)"
                )
        con.execute("ALTER TABLE vault.row_lineage DROP COLUMN row_id")
        con.execute("DETACH vault")
        _pseudonyms_back_in_every_table(con)


def _pseudonyms_back_in_every_table(con) -> None:
    """Each table's person numbers back to the pseudonyms, and no pseudonyms table."""
    for table in repoint.pseudo_id_tables(con):
        con.execute(
            f"CREATE OR REPLACE TABLE {table} AS SELECT t.* REPLACE (p.pseudonym AS pseudo_id)"
            f" FROM {table} t LEFT JOIN pseudonyms p USING (pseudo_id) ORDER BY t.rowid"
        )
    con.execute("DROP TABLE pseudonyms")


def _compact_columns(con, names=("_row_key", *schema.SOURCE_RECORD_IDS)) -> list[tuple[str, str]]:
    return con.execute(
        "SELECT table_name, column_name FROM duckdb_columns() WHERE database_name ="
        " current_database() AND data_type = 'BIGINT' AND column_name IN"
        f" ({', '.join(repr(c) for c in names)})"
    ).fetchall()


ROW_IDS = ("_row_id", "source_row_id")
NUMBERED = {*ROW_IDS, *schema.SOURCE_RECORD_IDS, "pseudo_id"}


def _tables(folder) -> dict[str, list[tuple]]:
    """Every table's rows, sorted, row ids and tokens by rank (a fresh load's numbers skip the
    rows objections kept out), but the loads' own times."""
    with store.reading(folder / "w.duckdb") as con:
        names = [r[0] for r in con.execute("SHOW TABLES").fetchall() if r[0] != "loads"]
        return {t: _rows(con, t) for t in names}


def _rows(con, table: str) -> list[tuple]:
    """Row ids and tokens as their rank in the table (numbers give the same order)."""
    columns = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]
    ranked = ", ".join(
        f"dense_rank() OVER (ORDER BY {c}) AS {c}" if c in NUMBERED else f'"{c}"' for c in columns
    )
    return sorted(con.execute(f"SELECT {ranked} FROM {table}").fetchall(), key=repr)


def test_an_older_warehouse_is_compacted_by_its_next_load_and_gives_the_same_answers(landed):
    new, old, before = landed
    with store.reading(old / "w.duckdb") as con:
        hex_left = con.execute(
            "SELECT count(*) FROM duckdb_columns() WHERE database_name = current_database()"
            " AND data_type = 'VARCHAR' AND column_name IN"
            f" ({', '.join(repr(c) for c in ('_row_key', 'pseudo_id', *schema.SOURCE_RECORD_IDS))})"
        ).fetchone()[0]
        old_people = con.execute("SELECT * FROM pseudonyms ORDER BY 1").fetchall()
    with store.reading(new / "w.duckdb") as con:
        new_people = con.execute("SELECT * FROM pseudonyms ORDER BY 1").fetchall()
    assert hex_left == 0
    assert old_people == new_people and len(new_people) > 1000
    assert _tables(old) == _tables(new)
    with store.reading(new / "w.duckdb") as a, store.reading(old / "w.duckdb") as b:
        assert compute_metrics(a) == compute_metrics(b)
    assert before == _lineage(old) == _lineage(new)
    assert len(before) > 10_000


def test_the_lineage_of_an_older_warehouse_waits_for_its_next_load(small_generated_area, tmp_path):
    load_paths(small_generated_area, tmp_path / "w.duckdb", tmp_path / "v.duckdb", AS_OF,
               progress=False)  # fmt: skip
    _as_an_older_load_left_it(tmp_path)
    with pytest.raises(StoreError, match="made before row ids; the next load that lands a file numbers its rows"):
        _lineage(tmp_path)
    with pytest.raises(StoreError, match="made before person numbers; the next `joinedup load`"):
        store.reading(tmp_path / "w.duckdb", needed=("person",)).__enter__()


def test_rows_lie_in_person_order_and_the_reload_replaced_its_rows(landed, small_generated_area):
    new, _, _ = landed
    with store.reading(new / "w.duckdb") as con:
        ordered = con.execute(
            "SELECT bool_and(pseudo_id >= previous) FROM (SELECT pseudo_id,"
            " lag(pseudo_id) OVER (ORDER BY rowid) AS previous FROM gp_medications)"
        ).fetchone()[0]
        deaths = con.execute("SELECT count(*), count(DISTINCT _row_id) FROM deaths").fetchone()
    lines = (small_generated_area / RELOADED).read_text().count("\n") - 1
    assert ordered and deaths[0] == deaths[1] and 0 < deaths[0] <= lines


def _lineage(folder) -> list[dict]:
    with Vault.open(folder / "v.duckdb") as vault, store.reading(folder / "w.duckdb") as con:
        return landed_lineage(con, vault, folder / "w.duckdb").to_pylist()
