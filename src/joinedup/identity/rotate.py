"""A new pseudonymisation key, every pseudo_id in the warehouse re-keyed.

Order, so that an interruption never leaves pseudo_ids no key can reproduce: (1) the new key is
written beside the old one (`<vault>.key.new`); (2) the warehouse is re-keyed in one transaction
that also records the new key's fingerprint; (3) the vault records it; (4) the new key file
replaces the old. Run again after an interruption, it finishes the rotation (the warehouse was
re-keyed: steps 3 and 4) or starts it again (it was not: the new key is discarded). Only the
warehouse this vault and key made is re-keyed.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from joinedup.errors import StoreError, UserError
from joinedup.identity import keys, repoint
from joinedup.identity.vault import Vault, warehouse_binding
from joinedup.warehouse import store


def rotate_key(vault_path: Path, warehouse_path: Path) -> dict[str, int]:
    """Re-key every pseudo_id of the warehouse under a new key; rows changed per table (empty
    when an interrupted rotation was only finished)."""
    if os.environ.get(keys.KEY_ENV):
        raise UserError(
            f"{keys.KEY_ENV} is set: rotation replaces the key file, so unset it and keep the "
            "key in the vault's key file, or rotate the variable's key by your own means"
        )
    key_file = keys.key_file_for(vault_path)
    new_key_file = Path(f"{key_file}.new")
    if not key_file.exists():
        raise StoreError(f"{key_file}: no key file to rotate")
    with Vault.open(vault_path, must_exist=True, rotating=True) as vault:
        bound = _bound_key(vault, warehouse_path)
        old_key = keys.read_key_file(key_file, vault.seal)
        if new_key_file.exists():
            new_key = keys.read_key_file(new_key_file, vault.seal)
            if bound == keys.fingerprint(new_key):  # the warehouse was re-keyed: finish
                _finish(vault, new_key, new_key_file, key_file)
                return {}
            if bound != keys.fingerprint(old_key):
                raise StoreError(
                    f"{warehouse_path}: made with neither {key_file} nor {new_key_file}"
                )
            new_key_file.unlink()  # the warehouse was not re-keyed: start again
        elif bound != keys.fingerprint(old_key) or vault.key_fingerprint != bound:
            raise StoreError(f"{warehouse_path}: made with another key than {key_file}")
        person_keys = vault.person_keys()
        new_key = secrets.token_bytes(keys.KEY_BYTES)
        mapping = repoint.mapping_table(
            [keys.pseudo_id(old_key, k) for k in person_keys],
            [keys.pseudo_id(new_key, k) for k in person_keys],
        )
        keys.write_key_file(new_key_file, new_key, vault.seal)
        new_fingerprint = keys.fingerprint(new_key)

        def record_new_key(con) -> None:
            con.execute("UPDATE store_binding SET key_fingerprint = ?", [new_fingerprint])

        try:
            changed = repoint.repoint_warehouse(warehouse_path, mapping, before=record_new_key)
        except BaseException:
            new_key_file.unlink()
            raise
        _finish(vault, new_key, new_key_file, key_file)
    return changed


def _bound_key(vault: Vault, warehouse_path: Path) -> str:
    """The key fingerprint the warehouse records, once it is known to be this vault's."""
    with store.reading(warehouse_path) as con:
        bound = warehouse_binding(con)
    if bound is None:
        raise StoreError(
            f"{warehouse_path}: names no vault; load into it once with {vault.path} first"
        )
    if bound[0] != vault.vault_id:
        raise StoreError(f"{warehouse_path}: made with another vault than {vault.path}")
    return bound[1]


def _finish(vault: Vault, new_key: bytes, new_key_file: Path, key_file: Path) -> None:
    vault.use_key(new_key)
    os.replace(new_key_file, key_file)
