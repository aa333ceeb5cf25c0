"""The landing secret and the keyed hash landing computes in SQL."""

from __future__ import annotations

import hashlib
import hmac
import stat

import duckdb
import pytest

from joinedup.errors import StoreError
from joinedup.identity import Vault
from joinedup.identity.keys import ROW_KEY, secret_file
from joinedup.keyed_hash import hmac_sql


@pytest.mark.parametrize("text", ["", "9434765919", "SS1 2AB", "Zoë\x1fO'Brien"])
@pytest.mark.parametrize("length", [16, 32, 64, 100])  # a key over 64 bytes is hashed first
def test_the_sql_keyed_hash_is_hmac_sha256(text, length):
    secret = bytes(range(length))
    with duckdb.connect() as con:
        digest = con.execute(f"SELECT {hmac_sql('?', secret)}", [text]).fetchall()[0][0]
    assert digest == hmac.new(secret, text.encode(), hashlib.sha256).hexdigest()


def test_the_secret_file_is_created_owner_only_and_reused(tmp_path, monkeypatch):
    monkeypatch.delenv("JOINEDUP_ROW_KEY", raising=False)
    vault = tmp_path / "v.duckdb"
    with Vault.open(vault) as opened:
        first = opened.row_secret
    assert len(first) == 32
    assert stat.S_IMODE(secret_file(ROW_KEY, vault).stat().st_mode) == 0o600
    with Vault.open(vault) as opened:
        assert opened.row_secret == first


def test_the_environment_variable_overrides_the_file(tmp_path, monkeypatch):
    monkeypatch.setenv("JOINEDUP_ROW_KEY", "ab" * 20)
    with Vault.open(tmp_path / "v.duckdb") as opened:
        assert opened.row_secret == bytes.fromhex("ab" * 20)
    assert not secret_file(ROW_KEY, tmp_path / "v.duckdb").exists()
    monkeypatch.setenv("JOINEDUP_ROW_KEY", "not hex")
    with pytest.raises(StoreError, match="JOINEDUP_ROW_KEY"):
        Vault.open(tmp_path / "w.duckdb")
