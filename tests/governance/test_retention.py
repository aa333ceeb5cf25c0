"""Retention and destruction on a generated area, with an as-of day ten years after it starts."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter

import duckdb
from retention_area import copy_stores, landed_area_fixture, stores_fixture  # noqa: F401 (fixtures)

from joinedup.cli import main
from joinedup.governance import retention
from joinedup.identity import Vault
from joinedup.landing import load_paths
from joinedup.metrics.engine import compute_metrics
from joinedup.warehouse import store

AS_OF = dt.date(2023, 4, 1)  # ten years after the area's first month
CUTOFF = dt.date(2015, 4, 1)  # default retention: 8 years
LOAD_AS_OF = dt.date(2017, 6, 1)


def _policy(stores):
    return retention.Policy.from_register(stores / "area" / "register.yaml")


def _apply(stores):
    return retention.apply(_policy(stores), stores / "w.duckdb", stores / "v.duckdb", AS_OF)


def _expected_expired(con) -> set[tuple[str, str]]:
    """Plain Python: a row whose latest own date is before the cut-off, unless its episode is
    open (the end of the feed's first order pair is empty); an end-of-life register entry when
    its person died before the cut-off."""
    expired = set()
    died = dict(con.execute("SELECT pseudo_id, date_of_death FROM deaths").fetchall())
    for key, person in con.execute("SELECT _row_id, pseudo_id FROM eol_register").fetchall():
        if person in died and died[person] < CUTOFF:
            expired.add(("eol_register", key))
    for feed in retention.retained_feeds():
        if feed.name == "eol_register":  # on the register until death
            continue
        dates = [
            c.name
            for c in feed.columns
            if c.base_type in ("date", "datetime") and not c.identifying
        ]
        open_end = feed.order[0][1] if feed.order else None
        columns = ", ".join(f'"{d}"' for d in dates)
        for key, *values in con.execute(f"SELECT _row_id, {columns} FROM {feed.name}").fetchall():
            row = dict(zip(dates, values, strict=True))
            if open_end and row[open_end] is None:
                continue
            days = [v.date() if isinstance(v, dt.datetime) else v for v in values if v is not None]
            if days and max(days) < CUTOFF:
                expired.add((feed.name, key))
    return expired


def _row_ids(con) -> set[tuple[str, str]]:
    return {
        (feed.name, key)
        for feed in retention.retained_feeds()
        for (key,) in con.execute(f"SELECT _row_id FROM {feed.name}").fetchall()
    }


def _columns(con, table: str) -> str:
    """The table's columns as a row, money and other doubles to 1e-6: a marts rebuild sums costs
    in parallel, so their last bits differ from one build to the next."""
    columns = con.execute(
        "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = ? ORDER BY column_index",
        [table],
    ).fetchall()
    quoted = ['"' + c.replace('"', '""') + '"' for c, _ in columns]
    return "row(" + ", ".join(
        f"round({q}, 6)" if kind in ("DOUBLE", "FLOAT") else q
        for q, (_, kind) in zip(quoted, columns, strict=True)
    ) + ")"


def _state(stores) -> dict:
    """Every table of both stores (bar the run's bookkeeping) as a count and an order-free hash,
    and the destruction record without its run id and time."""
    state = {}
    for name in ("w.duckdb", "v.duckdb"):
        con = duckdb.connect(str(stores / name), read_only=True)
        for (table,) in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall():
            if table != retention.RUNS:
                state[f"{name}:{table}"] = con.execute(
                    f"SELECT count(*), sum(hash({_columns(con, table)})::HUGEINT) FROM {table}"
                ).fetchone()
        con.close()
    state["record"] = [
        {k: v for k, v in entry.items() if k not in ("run", "at")}
        for entry in retention.destruction_record(stores / "w.duckdb").read()
    ]
    return state


def test_destroys_exactly_the_expired_rows_and_leaves_no_orphan_identity(stores):
    con = duckdb.connect(str(stores / "w.duckdb"), read_only=True)
    before, expected = _row_ids(con), _expected_expired(con)
    con.close()
    assert 0 < len(expected) < len(before)

    result = _apply(stores)

    con = duckdb.connect(str(stores / "w.duckdb"), read_only=True)
    assert _row_ids(con) == before - expected
    per_feed = Counter(feed for feed, _ in expected)
    assert {f: c["rows"] for f, c in result["feeds"].items() if c["rows"]} == per_feed
    live = set(retention.live_pseudo_ids(con).column("pseudo_id").to_pylist())
    people = con.execute("SELECT pseudonym FROM person JOIN pseudonyms USING (pseudo_id)")
    assert {r[0] for r in people.fetchall()} == live
    assert con.execute("SELECT count(*) FROM pseudonyms").fetchone()[0] == len(live)
    con.close()
    with Vault.open(stores / "v.duckdb", must_exist=True) as vault:
        people = vault.person_keys()
        kept = vault.identities(people)  # a destroyed identity is absent
        destroyed = set(people) - set(kept)
        assert {vault.pseudo_id(k) for k in kept} == live
        assert result["identities_destroyed"] == len(destroyed) > 0
        holdings = vault.holdings(people)
        assert all(holdings[k] == (False, 0) for k in destroyed)  # no value, no record left
        assert all(holdings[k][0] for k in kept)
        assert vault.table_counts()["quarantine"] == 0
    assert result["quarantine_rows_destroyed"] > 0

    again = _apply(stores)
    assert sum(c["rows"] for c in again["feeds"].values()) == 0
    assert again["identities_destroyed"] == 0
    entries = retention.destruction_record(stores / "w.duckdb").read()
    assert [e["feeds"] for e in entries] == [result["feeds"], again["feeds"]]
    assert all(set(e) >= {"policy_version", "people_removed"} for e in entries)


def test_later_metrics_are_unchanged(stores):
    kept = (
        "2016-04",
        "2017-03",
    )  # a year after the cut-off: no look-back (up to 365 days) reaches past it
    with store.reading(stores / "w.duckdb") as con:
        before = compute_metrics(con, months=kept)
    _apply(stores)
    with store.reading(stores / "w.duckdb") as con:
        after = compute_metrics(con, months=kept)
    assert len(before) > 50
    assert after == before


def test_a_reload_of_an_old_file_restores_nothing(stores, tmp_path_factory):
    _apply(stores)
    state = _state(stores)
    con = duckdb.connect(str(stores / "w.duckdb"), read_only=True)
    keys = _row_ids(con)
    con.close()
    again = tmp_path_factory.mktemp("old_files")
    for feed in ("gp_medications", "acute_ae"):  # the same rows in another order: a new file
        lines = (stores / "area" / f"{feed}.csv").read_text().splitlines()
        (again / f"{feed}.csv").write_text("\n".join([lines[0], *reversed(lines[1:])]) + "\n")
    summary = load_paths(again, stores / "w.duckdb", stores / "v.duckdb", LOAD_AS_OF, progress=False)
    assert summary.rows_expired > 0
    after = _state(stores)
    # the kept rows are sent again (and replace themselves, with the new file's lineage); no
    # destroyed row, person or identity comes back
    for table in ("w.duckdb:person", "v.duckdb:people", "v.duckdb:identifier_records"):
        assert after[table] == state[table]
    con = duckdb.connect(str(stores / "w.duckdb"), read_only=True)
    assert _row_ids(con) == keys
    con.close()


def test_killed_after_the_warehouse_then_rerun_gives_the_same_state(stores, tmp_path_factory):
    clean = copy_stores(stores, tmp_path_factory.mktemp("clean") / "stores")
    _apply(clean)
    # the kill: the warehouse transaction committed, the vault's did not run
    with store.writing(stores / "w.duckdb") as con:
        retention.destroy_warehouse(con, _policy(stores), AS_OF)
    resumed = _apply(stores)
    assert resumed["resumed"]
    assert _state(stores) == _state(clean)


def test_a_kill_at_any_moment_then_a_rerun_gives_the_same_state(stores, tmp_path_factory):
    clean = copy_stores(stores, tmp_path_factory.mktemp("clean") / "stores")
    _apply(clean)
    command = [sys.executable, "-m", "joinedup.cli", "retention", "--register",
               str(stores / "area" / "register.yaml"), "--warehouse", str(stores / "w.duckdb"),
               "--vault", str(stores / "v.duckdb"), "--as-of", AS_OF.isoformat(), "--apply"]  # fmt: skip
    process = subprocess.Popen(command, env=os.environ, stdout=subprocess.DEVNULL)
    time.sleep(1.5)
    process.send_signal(signal.SIGKILL)
    if process.wait() == 0:  # a quiet machine finished the run before the kill: the rerun is a
        _apply(clean)  # second run (nothing left to destroy), so the clean stores get one too
    args = command[3:]
    assert main(args) == 0
    # killed before the warehouse committed, the rerun is the first run; killed after, the rerun
    # finishes it: either way the stores and the record end as after a clean run
    assert _state(stores) == _state(clean)


def test_listing_changes_nothing_and_reports_json(stores, capsys):
    state = _state(stores)
    args = ["retention", "--register", str(stores / "area" / "register.yaml"), "--warehouse",
            str(stores / "w.duckdb"), "--vault", str(stores / "v.duckdb"), "--as-of", "2023-04-01",
            "--format", "json"]  # fmt: skip
    assert main(args) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed["feeds"]["gp_medications"]["rows"] > 0 and listed["quarantine_rows_destroyed"] > 0
    assert _state(stores) == state
