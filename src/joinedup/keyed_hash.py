"""The keyed hash (HMAC-SHA256) computed in SQL, one value per row, inside DuckDB.

Landing hashes values that may identify a person (a contract key holding an NHS number or a council
id, a postcode, a source record id) under its own row secret (`Vault.row_secret`,
identity/keys.py), so that rows can be replaced and placed in the area without the warehouse
holding the value. Identity makes pseudo_ids with it under the pseudonymisation key
(`keys.pseudo_id_sql`): the same digest as Python's `hmac`, without a Python call per row.

The warehouse keeps row keys and record tokens compact (`compact_sql`): the digest's first 64
bits as a BIGINT (8 bytes against about 34 for the hex), ordered as the hex is, so that a tie
broken by a key falls the same way; the vault keeps the full hex.
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


_SIGN = 1 << 63  # the first 64 bits, shifted into BIGINT's range so that order is kept


def compact_sql(hex_digest: str) -> str:
    """SQL for a hex digest's first 64 bits as a BIGINT, ordered as the hex (NULL stays NULL)."""
    return f"CAST(CAST(('0x' || left({hex_digest}, 16)) AS HUGEINT) - {_SIGN} AS BIGINT)"


def compact(hex_digest: str) -> int:
    """The same in Python."""
    return int(hex_digest[:16], 16) - _SIGN
