"""`joinedup rotate-key`: a new pseudonymisation key, every pseudo_id in the warehouse re-keyed.

Order, so that an interruption never leaves pseudo_ids no key can reproduce: the new key is
written beside the old one (`<vault>.key.new`), the warehouse is re-keyed in one transaction,
then the new key file replaces the old. If `<vault>.key.new` is found, an earlier rotation was
interrupted: the warehouse transaction tells which key is current (see the error message).
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from pathlib import Path

from joinedup.errors import StoreError, UserError
from joinedup.identity import keys, repoint
from joinedup.identity.vault import Vault


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--vault", required=True, type=Path, help="the identity vault (DuckDB)")
    parser.add_argument("--warehouse", required=True, type=Path, help="the warehouse (DuckDB)")


def run(args: argparse.Namespace) -> int:
    changed = rotate_key(args.vault, args.warehouse)
    for table, rows in changed.items():
        print(f"{table}: {rows} rows re-keyed")
    print(f"new key in {keys.key_file_for(args.vault)}")
    return 0


def rotate_key(vault_path: Path, warehouse_path: Path) -> dict[str, int]:
    """Re-key every pseudo_id of the warehouse under a new key; rows changed per table."""
    if os.environ.get(keys.KEY_ENV):
        raise UserError(
            f"{keys.KEY_ENV} is set: rotation replaces the key file, so unset it and keep the "
            "key in the vault's key file, or rotate the variable's key by your own means"
        )
    key_file = keys.key_file_for(vault_path)
    new_key_file = Path(f"{key_file}.new")
    if not key_file.exists():
        raise StoreError(f"{key_file}: no key file to rotate")
    if new_key_file.exists():
        raise StoreError(
            f"{new_key_file}: an earlier rotation was interrupted; if the warehouse pseudo_ids "
            f"match it, move it over {key_file.name}, otherwise delete it, then try again"
        )
    with Vault.open(vault_path, must_exist=True) as vault:
        person_keys = [k for (k,) in vault.con.execute("SELECT person_key FROM people").fetchall()]
        old_key = keys.load_key(vault_path)
    new_key = secrets.token_bytes(keys.KEY_BYTES)
    mapping = repoint.mapping_table(
        [keys.pseudo_id(old_key, k) for k in person_keys],
        [keys.pseudo_id(new_key, k) for k in person_keys],
    )
    keys.write_key_file(new_key_file, new_key)
    try:
        changed = _rekey_warehouse(warehouse_path, mapping)
    except BaseException:
        new_key_file.unlink()
        raise
    os.replace(new_key_file, key_file)
    return changed


def _rekey_warehouse(warehouse_path: Path, mapping) -> dict[str, int]:
    changed = repoint.repoint_warehouse(warehouse_path, mapping)
    print(f"rotate-key: re-keyed {len(changed)} tables", file=sys.stderr)
    return changed
