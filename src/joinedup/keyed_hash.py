"""The keyed hash (HMAC-SHA256) computed in SQL, one value per row, inside DuckDB.

Landing hashes values that may identify a person (a contract key holding an NHS number or a council
id, a postcode, a source record id) under its own row secret (`Vault.row_secret`,
identity/keys.py), so that rows can be replaced and placed in the area without the warehouse
holding the value. Identity makes pseudo_ids with it under the pseudonymisation key
(`keys.pseudo_id_sql`): the same digest as Python's `hmac`, without a Python call per row.
"""

from __future__ import annotations

import hashlib

_BLOCK_SIZE = 64  # SHA-256 block size in bytes, as HMAC pads its key to it


def hmac_sql(expression: str, secret: bytes) -> str:
    """SQL for the HMAC-SHA256 hex digest of a VARCHAR expression under `secret` (RFC 2104)."""
    if len(secret) > _BLOCK_SIZE:  # RFC 2104: a longer key is hashed first
        secret = hashlib.sha256(secret).digest()
    padded = secret.ljust(_BLOCK_SIZE, b"\0")
    inner = bytes(b ^ 0x36 for b in padded).hex()
    outer = bytes(b ^ 0x5C for b in padded).hex()
    return f"sha256(unhex('{outer}') || unhex(sha256(unhex('{inner}') || encode({expression}))))"
