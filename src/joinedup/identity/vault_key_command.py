"""`joinedup vault-key encrypt|rotate|status`: encryption at rest of the vault and its secret
files (encryption.py, docs/encryption.md).

- `encrypt`: a plain vault and plain secret files, encrypted with the configured vault key.
- `rotate`: from the configured key to the new one (`JOINEDUP_VAULT_KEY_NEW`, else
  `<key file>.new`, made with a random key). Each file is copied under the new key beside
  itself and renamed over itself, so a kill leaves each file whole under one key or the other;
  run again, a rotation skips the files already under the new key and finishes. With a key file,
  `<key file>.new` then replaces it; with the variable, set `JOINEDUP_VAULT_KEY` to the new key.

Stop loads and the service while it runs: it replaces the vault file.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from joinedup.errors import StoreError
from joinedup.identity import encryption, keys
from joinedup.identity.encryption import VaultKey

SECRET_KINDS = (keys.PSEUDO_KEY, keys.ROW_KEY)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=("encrypt", "rotate", "status"))
    parser.add_argument("--vault", required=True, type=Path, help="the identity vault (DuckDB)")
    parser.add_argument(
        "--register", type=Path, help="the governance register naming the vault key file"
    )


def run(args: argparse.Namespace) -> int:
    key_file = _key_file(args.register)
    if args.action == "status":
        for line in status(args.vault, key_file):
            print(line)
        return 0
    changed = (
        encrypt(args.vault, key_file) if args.action == "encrypt" else rotate(args.vault, key_file)
    )
    for path in changed:
        print(f"{path}: {'encrypted' if args.action == 'encrypt' else 're-encrypted'}")
    if not changed:
        print("nothing to do: every file is already under the key")
    if args.action == "rotate" and os.environ.get(encryption.NEW_KEY_ENV):
        print(f"now set {encryption.KEY_ENV} to the new key and unset {encryption.NEW_KEY_ENV}")
    return 0


def _key_file(register: Path | None) -> Path | None:
    if register is None:
        return None
    from joinedup.governance.register import load_register

    return load_register(register).vault_key_file


def encrypt(vault: Path, key_file: Path | None) -> list[Path]:
    """Encrypt a plain vault and its secret files with the configured key; files changed."""
    key = encryption.configured(key_file)
    if key is None:
        raise StoreError(
            f"no vault key: set {encryption.KEY_ENV} or name a key file in the register"
            f" ({encryption.REGISTER_KEY})"
        )
    return _move(vault, None, key)


def rotate(vault: Path, key_file: Path | None) -> list[Path]:
    """Re-encrypt the vault and its secret files under the new key; files changed."""
    old = encryption.configured(key_file)
    if old is None:
        raise StoreError(f"{vault}: no vault key to rotate from (see `joinedup vault-key encrypt`)")
    new = encryption.new_key(key_file)
    changed = _move(vault, old, new)
    if new.source != encryption.NEW_KEY_ENV:  # the register's key file takes the new key
        os.replace(encryption.pending_file(key_file), key_file)
    return changed


def _move(vault: Path, old: VaultKey | None, new: VaultKey) -> list[Path]:
    """Every file of the vault not yet under `new`, from `old` to `new` (vault first)."""
    if not vault.is_file():
        raise StoreError(f"{vault}: no identity vault here")
    changed = []
    if not encryption.opens_with(vault, new):
        encryption.reencrypt(vault, old, new)
        changed.append(vault)
    for kind in SECRET_KINDS:
        path = keys.secret_file(kind, vault)
        if path.exists() and not _sealed_with(path, kind, new):
            secret = keys.read_secret_file(path, kind, old)
            encryption.reseal(path, secret, new)
            changed.append(path)
    return changed


def _sealed_with(path: Path, kind: keys.SecretKind, key: VaultKey) -> bool:
    return encryption.is_database(path) and encryption.opens_with(path, key, f"{kind.what} file")


def status(vault: Path, key_file: Path | None) -> list[str]:
    """One line per file: encrypted or plain, and whether the configured key opens it."""
    key = encryption.configured(key_file)
    lines = [f"vault key: {key.source if key else 'none configured'}"]
    files = [(vault, "identity vault")] + [
        (keys.secret_file(k, vault), k.what) for k in SECRET_KINDS
    ]
    for path, what in files:
        if not path.exists():
            lines.append(f"{path}: absent")
            continue
        sealed = encryption.is_database(path) and not encryption.opens_with(path, None, what)
        if not sealed:
            lines.append(f"{path}: plain")
        elif key is None:
            lines.append(f"{path}: encrypted")
        else:
            opens = "opens" if encryption.opens_with(path, key, what) else "does NOT open"
            lines.append(f"{path}: encrypted, {opens} with the key")
    return lines
