"""The vault's two secrets, and pseudo_ids.

- The pseudonymisation key: JOINEDUP_PSEUDO_KEY (hex) or `<vault>.key`.
  pseudo_id = HMAC-SHA256(key, person key) as hex.
- Landing's row secret (row keys and postcode keys, see joinedup/keyed_hash.py):
  JOINEDUP_ROW_KEY (hex) or `<vault>.rowkey`; its own, so that a key rotation leaves row
  replacement intact.

Neither ever enters the warehouse or the vault: both record only a fingerprint, and every command
refuses a secret whose fingerprint is not the one recorded (a different key would split every
person, a different row secret would duplicate every resent row). A file is created owner-only,
complete before it appears (two first loads racing read the same secret), and only for a vault
that has no fingerprint yet; a file readable by group or others is refused. With a vault key
(encryption.py) both files are sealed: small DuckDB databases encrypted with it.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from joinedup.errors import StoreError
from joinedup.identity import encryption
from joinedup.identity.encryption import VaultKey
from joinedup.keyed_hash import hmac_sql

KEY_BYTES = 32
MIN_KEY_BYTES = 16


@dataclass(frozen=True)
class SecretKind:
    env: str
    suffix: str
    what: str
    if_replaced: str  # what a different secret would do, for the refusal


PSEUDO_KEY = SecretKind(
    "JOINEDUP_PSEUDO_KEY", ".key", "pseudonymisation key", "split every person in two"
)
ROW_KEY = SecretKind(
    "JOINEDUP_ROW_KEY", ".rowkey", "landing secret", "duplicate every row sent again"
)
KEY_ENV = PSEUDO_KEY.env


def secret_file(kind: SecretKind, vault_path: str | Path) -> Path:
    return Path(f"{vault_path}{kind.suffix}")


def key_file_for(vault_path: str | Path) -> Path:
    return secret_file(PSEUDO_KEY, vault_path)


def fingerprint(secret: bytes) -> str:
    """A public name for a secret: equal secrets, equal names; the secret cannot be had back."""
    return hashlib.sha256(b"joinedup fingerprint\0" + secret).hexdigest()[:16]


def load_secret(
    kind: SecretKind,
    vault_path: str | Path,
    recorded: str | None,
    may_create: bool,
    seal: VaultKey | None = None,
) -> bytes:
    """The secret from the environment, else from its file beside the vault (created when
    `may_create`: a new vault). `recorded`: the fingerprint the vault holds, if any; `seal`:
    the vault key its file is encrypted with."""
    path = secret_file(kind, vault_path)
    from_env = os.environ.get(kind.env, "").strip()
    if from_env:
        secret = _parse_hex(from_env, kind.env, kind)
        if path.exists() and read_secret_file(path, kind, seal) != secret:
            raise StoreError(f"{kind.env} differs from the {kind.what} in {path}: keep only one")
    elif path.exists():
        secret = read_secret_file(path, kind, seal)
    elif may_create:
        secret = create_secret_file(path, kind, seal)
    else:
        raise StoreError(
            f"{path}: missing and {kind.env} is not set, but {vault_path} was keyed with a"
            f" {kind.what} ({recorded or 'before fingerprints'}): restore it (a new one would"
            f" {kind.if_replaced})"
        )
    if recorded is not None and fingerprint(secret) != recorded:
        source = kind.env if from_env else str(path)
        raise StoreError(
            f"{source}: {kind.what} {fingerprint(secret)} is not the one {vault_path} was keyed"
            f" with ({recorded}): it would {kind.if_replaced}"
        )
    return secret


def read_secret_file(
    path: Path, kind: SecretKind = PSEUDO_KEY, seal: VaultKey | None = None
) -> bytes:
    encryption.check_owner_only(path, kind.what)
    if encryption.is_database(path):
        return encryption.unseal(path, seal, kind.what)
    if seal is not None:
        raise StoreError(
            f"{path}: the {kind.what} file is not encrypted, but a vault key is set"
            f" ({seal.source}); encrypt it with `{encryption.ENCRYPT_COMMAND}`"
        )
    return _parse_hex(path.read_text().strip(), str(path), kind)


def read_key_file(path: Path, seal: VaultKey | None = None) -> bytes:
    return read_secret_file(path, PSEUDO_KEY, seal)


def write_key_file(path: Path, key: bytes, seal: VaultKey | None = None) -> None:
    """Write a secret file owner-only and whole before it appears; refuse to replace one."""
    if seal is not None:
        encryption.seal(path, key, seal)
    else:
        encryption.write_new_file(path, key.hex() + "\n")


def create_secret_file(path: Path, kind: SecretKind, seal: VaultKey | None = None) -> bytes:
    """A new secret in `path`, or the one a concurrent first load has just written there."""
    try:
        write_key_file(path, secrets.token_bytes(KEY_BYTES), seal)
    except FileExistsError:
        pass
    except OSError as error:
        raise StoreError(f"{path}: cannot write the {kind.what} ({error.strerror})") from None
    return read_secret_file(path, kind, seal)


def _parse_hex(text: str, source: str, kind: SecretKind) -> bytes:
    try:
        key = bytes.fromhex(text)
    except ValueError:
        raise StoreError(f"{source}: the {kind.what} is not hexadecimal") from None
    if len(key) < MIN_KEY_BYTES:
        raise StoreError(f"{source}: the {kind.what} is shorter than {MIN_KEY_BYTES} bytes")
    return key


def pseudo_id(key: bytes, person_key: int) -> str:
    return hmac.new(key, str(int(person_key)).encode(), hashlib.sha256).hexdigest()


def pseudo_id_sql(key: bytes, person_key: str) -> str:
    """SQL for `pseudo_id` of a BIGINT person key expression (the same digest, in DuckDB)."""
    return hmac_sql(f"CAST({person_key} AS VARCHAR)", key)


def pseudo_ids(key: bytes, person_keys: Iterable[int]) -> dict[int, str]:
    return {int(k): pseudo_id(key, k) for k in person_keys}
