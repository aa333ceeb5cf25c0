"""The landing secret and the keyed hash landing computes in SQL."""

from __future__ import annotations

import hashlib
import hmac
import stat

import duckdb
import pytest

from joinedup.errors import StoreError
from joinedup.landing.keyed_hash import hmac_sql, landing_secret, secret_path


@pytest.mark.parametrize("text", ["", "9434765919", "SS1 2AB", "Zoë\x1fO'Brien"])
def test_the_sql_keyed_hash_is_hmac_sha256(text):
    secret = bytes(range(32))
    with duckdb.connect() as con:
        digest = con.execute(f"SELECT {hmac_sql('?', secret)}", [text]).fetchall()[0][0]
    assert digest == hmac.new(secret, text.encode(), hashlib.sha256).hexdigest()


def test_the_secret_file_is_created_owner_only_and_reused(tmp_path, monkeypatch):
    monkeypatch.delenv("JOINEDUP_ROW_KEY", raising=False)
    vault = tmp_path / "v.duckdb"
    first = landing_secret(vault)
    assert len(first) == 32
    assert stat.S_IMODE(secret_path(vault).stat().st_mode) == 0o600
    assert landing_secret(vault) == first


def test_the_environment_variable_overrides_the_file(tmp_path, monkeypatch):
    monkeypatch.setenv("JOINEDUP_ROW_KEY", "ab" * 20)
    assert landing_secret(tmp_path / "v.duckdb") == bytes.fromhex("ab" * 20)
    assert not secret_path(tmp_path / "v.duckdb").exists()
    monkeypatch.setenv("JOINEDUP_ROW_KEY", "not hex")
    with pytest.raises(StoreError, match="JOINEDUP_ROW_KEY"):
        landing_secret(tmp_path / "v.duckdb")
