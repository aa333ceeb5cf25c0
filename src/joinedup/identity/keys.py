"""The pseudonymisation key and pseudo_ids.

The key never enters the warehouse or the vault: it comes from the environment variable
JOINEDUP_PSEUDO_KEY (hex) or from a key file beside the vault (`<vault>.key`, owner-only),
created on first use. pseudo_id = HMAC-SHA256(key, person key) as hex.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat
from collections.abc import Iterable
from pathlib import Path

from joinedup.errors import StoreError

KEY_ENV = "JOINEDUP_PSEUDO_KEY"
KEY_BYTES = 32
MIN_KEY_BYTES = 16


def key_file_for(vault_path: str | Path) -> Path:
    return Path(f"{vault_path}.key")


def load_key(vault_path: str | Path) -> bytes:
    """The key from JOINEDUP_PSEUDO_KEY, else from the vault's key file (created if missing)."""
    from_env = os.environ.get(KEY_ENV)
    path = key_file_for(vault_path)
    if from_env:
        key = _parse_hex_key(from_env.strip(), KEY_ENV)
        if path.exists() and read_key_file(path) != key:
            # Two keys would give the same person two pseudo_ids: refuse rather than guess.
            raise StoreError(f"{KEY_ENV} differs from the key in {path}: keep only one of them")
        return key
    if not path.exists():
        write_key_file(path, secrets.token_bytes(KEY_BYTES))
    return read_key_file(path)


def read_key_file(path: Path) -> bytes:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise StoreError(
            f"{path}: key file is readable by group or others (mode {stat.S_IMODE(mode):o}); "
            f"restrict it with: chmod 600 {path}"
        )
    return _parse_hex_key(path.read_text().strip(), str(path))


def write_key_file(path: Path, key: bytes) -> None:
    """Write a key file with mode 0600 from the start (never briefly world-readable)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(key.hex() + "\n")


def _parse_hex_key(text: str, source: str) -> bytes:
    try:
        key = bytes.fromhex(text)
    except ValueError:
        raise StoreError(f"{source}: the pseudonymisation key is not hexadecimal") from None
    if len(key) < MIN_KEY_BYTES:
        raise StoreError(
            f"{source}: the pseudonymisation key is shorter than {MIN_KEY_BYTES} bytes"
        )
    return key


def pseudo_id(key: bytes, person_key: int) -> str:
    return hmac.new(key, str(int(person_key)).encode(), hashlib.sha256).hexdigest()


def pseudo_ids(key: bytes, person_keys: Iterable[int]) -> dict[int, str]:
    return {int(k): pseudo_id(key, k) for k in person_keys}
