"""The pseudonymisation key: where it lives, who can read it, and rotation."""

from __future__ import annotations

import hashlib
import hmac
import os
import stat

import duckdb
import pytest
from identity_fixtures import background, by_id, table
from record_tokens import person_numbers

from joinedup.cli import main
from joinedup.errors import StoreError, UserError
from joinedup.identity import Vault
from joinedup.identity.keys import KEY_ENV, key_file_for, pseudo_id, pseudo_id_sql
from joinedup.identity.rotate import rotate_key
from joinedup.warehouse import pseudonyms


@pytest.fixture(autouse=True)
def no_env_key(monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)


def land(vault: Vault, warehouse_path) -> dict[str, dict]:
    """Write resolved records to a small warehouse as landing does: rows keyed by pseudo_id."""
    answers = by_id(vault.resolve(table(background(40))))
    con = duckdb.connect(str(warehouse_path))
    con.execute("CREATE TABLE gp_register (pseudo_id INTEGER, _row_key VARCHAR)")
    con.execute("CREATE TABLE person (pseudo_id INTEGER, sex VARCHAR)")
    con.execute("CREATE TABLE practices (practice_code VARCHAR)")
    pseudonyms.create(con)
    vault.bind_warehouse(con)
    for record_id, answer in answers.items():
        (number,) = person_numbers(con, [answer["pseudo_id"]])
        con.execute("INSERT INTO gp_register VALUES (?, ?)", [number, record_id])
        con.execute("INSERT INTO person VALUES (?, ?)", [number, answer["person_sex"]])
        con.execute("INSERT INTO practices VALUES ('F81001')")
    con.close()
    return answers


def warehouse_pseudo_ids(path) -> dict[str, str]:
    con = duckdb.connect(str(path))
    rows = con.execute(
        "SELECT _row_key, pseudonym FROM gp_register JOIN pseudonyms USING (pseudo_id)"
    ).fetchall()
    con.close()
    return dict(rows)


@pytest.mark.parametrize("length", [16, 32, 65])
def test_pseudo_ids_made_in_sql_are_the_pseudo_ids_made_in_python(length):
    key = bytes(range(100, 100 + length))
    person_keys = [0, 1, 42, 175_000, 2**40]
    with duckdb.connect() as con:
        rows = con.execute(
            f"SELECT {pseudo_id_sql(key, 'k')} FROM unnest(?) AS t(k)", [person_keys]
        ).fetchall()
    assert [r[0] for r in rows] == [pseudo_id(key, k) for k in person_keys]


def test_key_file_is_created_owner_only_beside_the_vault_and_never_in_a_store(tmp_path):
    vault_path, warehouse_path = tmp_path / "vault.duckdb", tmp_path / "warehouse.duckdb"
    with Vault.open(vault_path) as vault:
        answers = land(vault, warehouse_path)
    key_file = key_file_for(vault_path)
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = bytes.fromhex(key_file.read_text().strip())
    for store in (vault_path, warehouse_path):
        content = store.read_bytes()
        assert key not in content and key.hex().encode() not in content
    some = next(iter(answers.values()))
    expected = hmac.new(key, str(some["person_key"]).encode(), hashlib.sha256).hexdigest()
    assert some["pseudo_id"] == expected


def test_a_key_file_readable_by_others_is_refused(tmp_path):
    vault_path = tmp_path / "vault.duckdb"
    Vault.open(vault_path).close()
    os.chmod(key_file_for(vault_path), 0o640)
    with pytest.raises(StoreError, match="readable by group or others"):
        Vault.open(vault_path)


def test_key_from_the_environment_is_used_and_no_key_file_is_written(tmp_path, monkeypatch):
    key = bytes(range(32))
    monkeypatch.setenv(KEY_ENV, key.hex())
    vault_path = tmp_path / "vault.duckdb"
    with Vault.open(vault_path) as vault:
        answer = vault.resolve(table(background(1))).to_pylist()[0]
    assert not key_file_for(vault_path).exists()
    assert answer["pseudo_id"] == hmac.new(key, b"1", hashlib.sha256).hexdigest()


@pytest.mark.parametrize("bad", ["not hex at all", "abcd"])
def test_a_malformed_environment_key_is_refused(tmp_path, monkeypatch, bad):
    monkeypatch.setenv(KEY_ENV, bad)
    with pytest.raises(StoreError, match=KEY_ENV):
        Vault.open(tmp_path / "vault.duckdb")


def test_rotation_rekeys_every_pseudo_id_consistently(tmp_path):
    vault_path, warehouse_path = tmp_path / "vault.duckdb", tmp_path / "warehouse.duckdb"
    with Vault.open(vault_path) as vault:
        land(vault, warehouse_path)
        # A second record of the first person, so two rows share a pseudo_id.
        con = duckdb.connect(str(warehouse_path))
        con.execute("INSERT INTO gp_register SELECT pseudo_id, 'again' FROM gp_register LIMIT 1")
        con.close()
    old_key = key_file_for(vault_path).read_text()
    before = warehouse_pseudo_ids(warehouse_path)

    assert main(["rotate-key", "--vault", str(vault_path), "--warehouse", str(warehouse_path)]) == 0

    after = warehouse_pseudo_ids(warehouse_path)
    assert key_file_for(vault_path).read_text() != old_key
    assert stat.S_IMODE(key_file_for(vault_path).stat().st_mode) == 0o600
    assert all(after[row] != before[row] for row in before)
    old_to_new = {before[row]: after[row] for row in before}
    assert len(set(old_to_new.values())) == len(set(before.values()))  # still one per person
    assert all(after[row] == old_to_new[before[row]] for row in before)
    with Vault.open(vault_path) as vault:  # the vault now gives the new pseudo_ids
        again = by_id(vault.resolve(table(background(40))))
    assert {a["pseudo_id"] for a in again.values()} == set(after.values())
    con = duckdb.connect(str(warehouse_path))
    person_ids = {
        p
        for (p,) in con.execute(
            "SELECT pseudonym FROM person JOIN pseudonyms USING (pseudo_id)"
        ).fetchall()
    }
    con.close()
    assert person_ids == set(after.values())


def test_rotation_refuses_an_environment_key(tmp_path, monkeypatch):
    monkeypatch.setenv(KEY_ENV, bytes(range(32)).hex())
    with pytest.raises(UserError, match=KEY_ENV):
        rotate_key(tmp_path / "vault.duckdb", tmp_path / "warehouse.duckdb")


def test_rotation_without_a_warehouse_keeps_the_old_key(tmp_path):
    vault_path = tmp_path / "vault.duckdb"
    Vault.open(vault_path).close()
    old_key = key_file_for(vault_path).read_text()
    with pytest.raises(StoreError, match="no warehouse"):
        rotate_key(vault_path, tmp_path / "missing.duckdb")
    assert key_file_for(vault_path).read_text() == old_key
    assert not (tmp_path / "vault.duckdb.key.new").exists()


def test_an_environment_key_that_differs_from_the_key_file_is_refused(tmp_path, monkeypatch):
    vault_path = tmp_path / "vault.duckdb"
    Vault.open(vault_path).close()
    monkeypatch.setenv(KEY_ENV, bytes(range(32)).hex())
    with pytest.raises(StoreError, match="differs"):
        Vault.open(vault_path)
    monkeypatch.setenv(KEY_ENV, key_file_for(vault_path).read_text().strip())
    Vault.open(vault_path).close()


def test_reviewing_a_vault_that_does_not_exist_is_a_store_error(tmp_path, capsys):
    from test_identity_review import review_cli

    cli = review_cli(tmp_path / "missing.duckdb", on=("acute_ae",))
    assert main(cli) == StoreError.exit_code
    assert "no identity vault" in capsys.readouterr().err
    assert not (tmp_path / "missing.duckdb").exists()


def test_a_rotation_that_fails_part_way_changes_nothing(tmp_path):
    vault_path, warehouse_path = tmp_path / "vault.duckdb", tmp_path / "warehouse.duckdb"
    with Vault.open(vault_path) as vault:
        answers = land(vault, warehouse_path)
    old_key = key_file_for(vault_path).read_text()
    before = warehouse_pseudo_ids(warehouse_path)
    # A pseudonyms table that accepts only the old pseudonyms: the rotation's update fails.
    allowed = ", ".join(f"'{a['pseudo_id']}'" for a in answers.values())
    con = duckdb.connect(str(warehouse_path))
    con.execute("ALTER TABLE pseudonyms RENAME TO unlocked")
    con.execute(
        "CREATE TABLE pseudonyms (pseudo_id INTEGER,"
        f" pseudonym VARCHAR CHECK (pseudonym IN ({allowed})))"
    )
    con.execute("INSERT INTO pseudonyms SELECT * FROM unlocked")
    con.execute("DROP TABLE unlocked")
    con.close()

    with pytest.raises(duckdb.ConstraintException):
        rotate_key(vault_path, warehouse_path)

    assert warehouse_pseudo_ids(warehouse_path) == before
    assert key_file_for(vault_path).read_text() == old_key
    assert not (tmp_path / "vault.duckdb.key.new").exists()
