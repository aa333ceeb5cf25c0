"""The landing secret and the keyed hash (HMAC-SHA256) that landing computes in SQL.

Landing hashes values that may identify a person (a contract key holding an NHS number or a council
id, a postcode) so that rows can be replaced and placed in the area without the warehouse holding
the value. The secret is landing's own, kept beside the vault (never in the warehouse), so that a
rotation of the pseudonymisation key leaves row keys, and so replacement, intact.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from joinedup.errors import StoreError

ENV_VARIABLE = "JOINEDUP_ROW_KEY"
_BLOCK_SIZE = 64  # SHA-256 block size in bytes, as HMAC pads its key to it


def secret_path(vault_path: Path) -> Path:
    return Path(f"{vault_path}.rowkey")


def landing_secret(vault_path: Path) -> bytes:
    """The secret from JOINEDUP_ROW_KEY (hex), else `<vault>.rowkey`, created owner-only if missing."""
    from_env = os.environ.get(ENV_VARIABLE)
    if from_env:
        return _from_hex(from_env, ENV_VARIABLE)
    path = secret_path(vault_path)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32))
    return _from_hex(path.read_text().strip(), str(path))


def _from_hex(text: str, source: str) -> bytes:
    try:
        secret = bytes.fromhex(text)
    except ValueError:
        raise StoreError(f"{source}: the landing secret is not hexadecimal") from None
    if len(secret) < 16:
        raise StoreError(f"{source}: the landing secret is shorter than 16 bytes")
    return secret


def hmac_sql(expression: str, secret: bytes) -> str:
    """SQL for the HMAC-SHA256 hex digest of a VARCHAR expression under `secret` (RFC 2104)."""
    if len(secret) > _BLOCK_SIZE:
        raise ValueError("the landing secret must be at most 64 bytes")
    padded = secret.ljust(_BLOCK_SIZE, b"\0")
    inner = bytes(b ^ 0x36 for b in padded).hex()
    outer = bytes(b ^ 0x5C for b in padded).hex()
    return f"sha256(unhex('{outer}') || unhex(sha256(unhex('{inner}') || encode({expression}))))"
