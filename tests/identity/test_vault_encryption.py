"""Encryption at rest of the identity vault and its key files: nothing identifiable in clear,
a wrong or missing key refused in one line (exit 5), rotation that keeps every record and
finishes after an interruption, the key in the environment or in a file the register names."""

from __future__ import annotations

import csv
import datetime as dt
import os
import shutil
from pathlib import Path

import duckdb
import pytest
import yaml

from joinedup.cli import main
from joinedup.governance.synthetic import write_register
from joinedup.identity import Vault, encryption, keys
from joinedup.identity.encryption import KEY_ENV, NEW_KEY_ENV
from joinedup.landing import load_paths
from joinedup.synth.config import AreaSpec
from joinedup.synth.simulate import generate

OLD, NEW = "11" * 32, "22" * 32
AS_OF = dt.date(2014, 6, 1)


@pytest.fixture(scope="module", name="landed")
def landed_fixture(tmp_path_factory) -> Path:
    """A small area landed with the vault key in the environment."""
    root = tmp_path_factory.mktemp("encrypted")
    generate(root / "area", AreaSpec(people=300, seed=5, months=12), progress=False)
    write_register(root / "area")
    saved = os.environ.get(KEY_ENV)
    os.environ[KEY_ENV] = OLD
    try:
        load_paths(root / "area", root / "w.duckdb", root / "v.duckdb", AS_OF, progress=False)
    finally:
        os.environ.pop(KEY_ENV) if saved is None else os.environ.update({KEY_ENV: saved})
    return root


@pytest.fixture(name="stores")
def stores_fixture(landed, tmp_path, monkeypatch) -> Path:
    """This test's own copy of the vault and its key files; the old key set."""
    for item in landed.glob("v.duckdb*"):
        shutil.copy2(item, tmp_path / item.name)
    monkeypatch.delenv(NEW_KEY_ENV, raising=False)
    monkeypatch.delenv(keys.PSEUDO_KEY.env, raising=False)
    monkeypatch.delenv(keys.ROW_KEY.env, raising=False)
    monkeypatch.setenv(KEY_ENV, OLD)
    return tmp_path / "v.duckdb"


def review(landed: Path, vault: Path) -> list[str]:
    """`joinedup review` of `vault` (a command that opens it) under the area's register with
    review switched on, as its linkage officer."""
    data = yaml.safe_load((landed / "area" / "register.yaml").read_text())
    for agreement in data["agreements"]:
        agreement["identity_review"] = True
    register = vault.parent / "review-register.yaml"
    register.write_text(yaml.safe_dump(data, sort_keys=False))
    return ["review", "--vault", str(vault), "--register", str(register), "--user",
            "linkage.demo", "--audit", str(vault.parent / "audit.jsonl")]  # fmt: skip


def a_known_person(area: Path) -> dict:
    with open(area / "gp_register.csv", newline="") as handle:
        return next(row for row in csv.DictReader(handle) if row["nhs_number"])


def vault_contents(vault: Path) -> dict:
    with Vault.open(vault, must_exist=True) as opened:
        counts = opened.table_counts()
        return {
            "records": counts["identifier_records"],
            "people": counts["people"],
            "pseudo_id": opened.pseudo_id(1),
            "row_secret": opened.row_secret,
        }


def test_no_identifier_or_secret_is_in_clear_in_the_vault_or_its_key_files(landed, stores):
    person = a_known_person(landed / "area")
    with Vault.open(stores, must_exist=True) as vault:
        held = [
            i
            for i in vault.identities(vault.person_keys()).values()
            if (i.nhs_number, i.family_name) == (person["nhs_number"], person["family_name"])
        ]
        secrets = (vault.pseudo_id(1), vault.row_secret)
        assert vault.spills_encrypted()  # what it spills is encrypted
    assert held  # the vault holds them: only not in clear
    content = stores.read_bytes()
    for value in (person["nhs_number"], person["family_name"], person["postcode"]):
        assert value.encode() not in content
    for kind in (keys.PSEUDO_KEY, keys.ROW_KEY):
        path = keys.secret_file(kind, stores)
        assert encryption.is_database(path) and oct(path.stat().st_mode)[-3:] == "600"
        secret = keys.read_secret_file(path, kind, encryption.configured())
        assert secret.hex().encode() not in path.read_bytes() and secret not in path.read_bytes()
    assert secrets[1] == keys.read_secret_file(keys.secret_file(keys.ROW_KEY, stores), keys.ROW_KEY,
                                               encryption.configured())  # fmt: skip
    with pytest.raises(duckdb.Error, match="encrypted"):
        duckdb.connect(str(stores), read_only=True)


@pytest.mark.parametrize(
    ("key", "says"),
    [
        ("33" * 32, "does not open with the vault key from JOINEDUP_VAULT_KEY"),
        (None, "is encrypted"),
    ],
)
def test_a_wrong_or_missing_key_is_refused_in_one_line_exit_5(
    landed, stores, monkeypatch, capsys, key, says
):
    if key is None:
        monkeypatch.delenv(KEY_ENV)
    else:
        monkeypatch.setenv(KEY_ENV, key)
    assert main(review(landed, stores)) == 5
    err = capsys.readouterr().err
    assert says in err and len(err.strip().splitlines()) == 1
    assert OLD not in err and "33" * 32 not in err


def test_a_plain_vault_with_a_key_set_is_refused_until_encrypted(
    landed, tmp_path, monkeypatch, capsys
):
    monkeypatch.delenv(KEY_ENV, raising=False)
    plain = tmp_path / "plain.duckdb"
    load_paths(landed / "area", tmp_path / "w.duckdb", plain, AS_OF, progress=False)
    before = vault_contents(plain)
    assert a_known_person(landed / "area")["family_name"].encode() in plain.read_bytes()
    monkeypatch.setenv(KEY_ENV, OLD)
    assert main(review(landed, plain)) == 5
    assert "vault-key encrypt" in capsys.readouterr().err
    assert main(["vault-key", "encrypt", "--vault", str(plain)]) == 0
    assert vault_contents(plain) == before
    assert not encryption.opens_with(plain, None)
    assert a_known_person(landed / "area")["family_name"].encode() not in plain.read_bytes()


def test_rotation_keeps_every_record_and_finishes_after_an_interruption(
    landed, stores, monkeypatch, capsys
):
    before = vault_contents(stores)
    monkeypatch.setenv(NEW_KEY_ENV, NEW)
    # interrupted after the vault was re-encrypted, before the key files were
    encryption.reencrypt(stores, encryption.parse(OLD, KEY_ENV), encryption.parse(NEW, NEW_KEY_ENV))
    assert main(review(landed, stores)) == 5
    assert "interrupted rotation" in capsys.readouterr().err
    assert main(["vault-key", "rotate", "--vault", str(stores)]) == 0
    out = capsys.readouterr().out
    assert "v.duckdb.key: re-encrypted" in out and "v.duckdb: re-encrypted" not in out
    assert main(["vault-key", "rotate", "--vault", str(stores)]) == 0
    assert "nothing to do" in capsys.readouterr().out
    monkeypatch.setenv(KEY_ENV, NEW)
    monkeypatch.delenv(NEW_KEY_ENV)
    assert vault_contents(stores) == before
    assert not encryption.opens_with(stores, encryption.parse(OLD, KEY_ENV))


def test_a_key_file_named_in_the_register_encrypts_and_rotates(landed, stores, monkeypatch, capsys):
    before = vault_contents(stores)
    key_file = stores.parent / "vault-key.hex"
    encryption.write_new_file(key_file, OLD + "\n")
    register = landed / "area" / "register.yaml"
    data = yaml.safe_load(register.read_text())
    data["vault_encryption"] = {"key_file": str(key_file)}
    named = stores.parent / "register.yaml"
    named.write_text(yaml.safe_dump(data, sort_keys=False))
    monkeypatch.delenv(KEY_ENV)
    assert main(["vault-key", "rotate", "--vault", str(stores), "--register", str(named)]) == 0
    new_key = key_file.read_text().strip()
    assert new_key != OLD and not encryption.pending_file(key_file).exists()
    assert encryption.opens_with(stores, encryption.parse(new_key, "test"))
    with Vault.open(stores, must_exist=True, key_file=key_file) as vault:
        assert (
            vault.pseudo_id(1) == before["pseudo_id"] and vault.row_secret == before["row_secret"]
        )
    assert main(["vault-key", "status", "--vault", str(stores), "--register", str(named)]) == 0
    status = capsys.readouterr().out
    assert status.count("encrypted, opens with the key") == 3, status


def test_the_pseudonymisation_key_rotates_on_an_encrypted_vault_and_stays_sealed(landed, stores):
    warehouse = stores.parent / "w.duckdb"
    shutil.copy2(landed / "w.duckdb", warehouse)
    before = vault_contents(stores)
    assert main(["rotate-key", "--vault", str(stores), "--warehouse", str(warehouse)]) == 0
    key_file = keys.key_file_for(stores)
    assert encryption.is_database(key_file) and not encryption.opens_with(key_file, None, "key")
    after = vault_contents(stores)
    assert after["pseudo_id"] != before["pseudo_id"] and after["records"] == before["records"]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        held = {p for (p,) in con.execute("SELECT pseudonym FROM pseudonyms").fetchall()}
    assert after["pseudo_id"] in held and before["pseudo_id"] not in held
