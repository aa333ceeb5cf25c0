"""Issue 9, defects 2, 3 and 8: the warehouse records which vault and which secrets made it, every
command refuses a mismatch (exit 5, one line), a rotation resumes, and the stores stay apart."""

from __future__ import annotations

import csv
import os
import shutil
import stat

import pyarrow as pa
from landing_area import lineage_sql, query, query_with_lineage, snapshot

from joinedup.cli import main
from joinedup.identity import Vault
from joinedup.identity.keys import PSEUDO_KEY, ROW_KEY, key_file_for, secret_file


def load(area, warehouse, vault=None, *extra) -> int:
    argv = ["load", str(area), "--warehouse", str(warehouse), "--as-of", "2015-03-31", "--quiet"]
    return main(argv + (["--vault", str(vault)] if vault else []) + list(extra))


def one_error_line(capsys, command: str, *words: str) -> str:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith(f"joinedup {command}: error: ")
    assert "Traceback" not in err and all(w in err for w in words), err
    return err


def test_a_missing_key_file_is_refused_not_replaced(area, stores, capsys):
    assert load(area, stores["warehouse"], stores["vault"]) == 0
    before = snapshot(stores["warehouse"])
    key_file_for(stores["vault"]).unlink()
    (area / "acute_apc.csv").write_text((area / "acute_apc.csv").read_text() + "\n")
    capsys.readouterr()
    assert load(area, stores["warehouse"], stores["vault"]) == 5
    one_error_line(capsys, "load", "v.duckdb.key: missing", "split every person")
    assert not key_file_for(stores["vault"]).exists()
    assert snapshot(stores["warehouse"]) == before


def test_an_environment_key_then_a_run_without_it_is_refused(area, stores, capsys, monkeypatch):
    monkeypatch.setenv(PSEUDO_KEY.env, bytes(range(32)).hex())
    assert load(area, stores["warehouse"], stores["vault"]) == 0
    monkeypatch.delenv(PSEUDO_KEY.env)
    capsys.readouterr()
    assert load(area, stores["warehouse"], stores["vault"]) == 5
    one_error_line(capsys, "load", "JOINEDUP_PSEUDO_KEY is not set")
    monkeypatch.setenv(PSEUDO_KEY.env, bytes(range(1, 33)).hex())  # another key: refused too
    assert load(area, stores["warehouse"], stores["vault"]) == 5
    one_error_line(capsys, "load", "is not the one")


def test_a_warehouse_refuses_another_vault(area, stores, tmp_path, capsys):
    assert load(area, stores["warehouse"], stores["vault"]) == 0
    other_vault = tmp_path / "other" / "v.duckdb"
    assert load(area, tmp_path / "other" / "w.duckdb", other_vault) == 0
    capsys.readouterr()
    assert load(area, stores["warehouse"], other_vault) == 5
    one_error_line(capsys, "load", "made with another vault")
    assert load(area, stores["warehouse"], tmp_path / "nowhere.duckdb") == 5  # not created
    one_error_line(capsys, "load", "no identity vault here")
    assert not (tmp_path / "nowhere.duckdb").exists()


def test_rotate_key_refuses_the_vault_of_another_warehouse(area, stores, tmp_path, capsys):
    assert load(area, stores["warehouse"], stores["vault"]) == 0
    other_vault = tmp_path / "other" / "v.duckdb"
    assert load(area, tmp_path / "other" / "w.duckdb", other_vault) == 0
    key_before = key_file_for(other_vault).read_text()
    before = snapshot(stores["warehouse"])
    capsys.readouterr()
    argv = ["rotate-key", "--vault", str(other_vault), "--warehouse", str(stores["warehouse"])]
    assert main(argv) == 5
    one_error_line(capsys, "rotate-key", "made with another vault")
    assert key_file_for(other_vault).read_text() == key_before
    assert snapshot(stores["warehouse"]) == before


def pseudo_ids(warehouse) -> set[str]:
    return {p for (p,) in query(warehouse, "SELECT pseudonym FROM pseudonyms")}


def test_a_rotation_interrupted_after_the_warehouse_commit_is_finished_by_running_it_again(
    area, stores, capsys
):
    vault, warehouse = stores["vault"], stores["warehouse"]
    assert load(area, warehouse, vault) == 0
    key_file, pending = key_file_for(vault), key_file_for(vault).with_suffix(".key.new")
    old_key = key_file.read_bytes()
    rotate = ["rotate-key", "--vault", str(vault), "--warehouse", str(warehouse)]
    assert main(rotate) == 0
    rotated = pseudo_ids(warehouse)
    # The state a kill after the warehouse commit leaves: the new key still beside the old one.
    os.replace(key_file, pending)
    key_file.write_bytes(old_key)
    os.chmod(key_file, 0o600)
    capsys.readouterr()
    assert load(area, warehouse, vault) == 5
    one_error_line(capsys, "load", "rotation was interrupted", "rotate-key")
    assert main(rotate) == 0
    assert not pending.exists() and key_file.read_bytes() != old_key
    assert pseudo_ids(warehouse) == rotated  # finished, not re-keyed twice
    (area / "acute_apc.csv").write_text((area / "acute_apc.csv").read_text() + "\n")
    assert load(area, warehouse, vault) == 0
    assert pseudo_ids(warehouse) == rotated  # the next load agrees with the warehouse


def test_a_missing_or_different_landing_secret_is_refused(area, stores, capsys, monkeypatch):
    vault, warehouse = stores["vault"], stores["warehouse"]
    assert load(area, warehouse, vault) == 0
    secret = secret_file(ROW_KEY, vault)
    shutil.move(secret, secret.with_suffix(".aside"))
    capsys.readouterr()
    assert load(area, warehouse, vault) == 5
    one_error_line(capsys, "load", ".rowkey: missing", "duplicate every row")
    assert not secret.exists()
    monkeypatch.setenv(ROW_KEY.env, "ab" * 32)
    assert load(area, warehouse, vault) == 5
    one_error_line(capsys, "load", "JOINEDUP_ROW_KEY", "is not the one")


def test_a_landing_secret_readable_by_others_is_refused(area, stores, capsys):
    assert load(area, stores["warehouse"], stores["vault"]) == 0
    os.chmod(secret_file(ROW_KEY, stores["vault"]), 0o644)
    capsys.readouterr()
    assert load(area, stores["warehouse"], stores["vault"]) == 5
    one_error_line(capsys, "load", "readable by group or others", "chmod 600")


def test_the_vault_cannot_be_the_warehouse(area, tmp_path, stores, capsys):
    same = tmp_path / "one.duckdb"
    assert load(area, same, same) == 5
    one_error_line(capsys, "load", "another file than the warehouse")
    default_vault = tmp_path / "vault.duckdb"  # the default vault's name, as the warehouse
    assert load(area, default_vault) == 5
    one_error_line(capsys, "load", "another file than the warehouse")
    assert load(area, stores["warehouse"], stores["vault"]) == 0
    capsys.readouterr()
    assert load(area, stores["vault"], tmp_path / "v2.duckdb") == 5  # the vault as a warehouse
    one_error_line(capsys, "load", "is an identity vault, not a warehouse")
    assert load(area, tmp_path / "w2.duckdb", stores["warehouse"]) == 5  # and the other way
    one_error_line(capsys, "load", "is a warehouse, not an identity vault")


def test_the_vault_its_wal_and_its_secrets_are_created_owner_only(area, stores):
    assert load(area, stores["warehouse"], stores["vault"]) == 0
    with Vault.open(stores["vault"]) as vault:
        lineage = {"feed": ["deaths"], "row_key": ["k"], "file": ["f.csv"], "line": [2], "row_id": [9]}
        vault.record_lineage(pa.table(lineage))  # a write leaves a WAL while the vault is open
        wal = stores["vault"].with_suffix(".duckdb.wal")
        assert wal.exists() and stat.S_IMODE(wal.stat().st_mode) == 0o600
    for path in (
        stores["vault"],
        key_file_for(stores["vault"]),
        secret_file(ROW_KEY, stores["vault"]),
    ):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_lineage_gives_the_file_and_line_of_every_landed_row_owner_only(
    area, stores, tmp_path, capsys
):
    assert load(area, stores["warehouse"], stores["vault"]) == 0
    out = tmp_path / "lineage.csv"
    argv = ["lineage", "--vault", str(stores["vault"]), "--warehouse", str(stores["warehouse"])]
    assert main([*argv, "--out", str(out)]) == 0
    with out.open(newline="") as handle:
        rows = [
            (r["feed"], r["file"], int(r["line"]), r["pseudo_id"]) for r in csv.DictReader(handle)
        ]
    expected = [
        (feed, file, line, pseudo_id)
        for feed in ("acute_apc", "gp_register", "social_care_events")
        for file, line, pseudo_id in query_with_lineage(
            stores,
            lineage_sql(feed, "l.file, l.line, p.pseudonym") + " JOIN pseudonyms p USING (pseudo_id)",
        )
    ]
    assert sorted(rows) == sorted(expected) and len(rows) == 6
    assert {(feed, file) for feed, file, _, _ in rows} == {
        (feed, f"{feed}.csv") for feed in ("acute_apc", "gp_register", "social_care_events")
    }
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    other = tmp_path / "other" / "v.duckdb"
    assert load(area, tmp_path / "other" / "w.duckdb", other) == 0
    capsys.readouterr()
    argv = ["lineage", "--vault", str(other), "--warehouse", str(stores["warehouse"])]
    assert main([*argv, "--out", str(out)]) == 5
    one_error_line(capsys, "lineage", "made with another vault")
