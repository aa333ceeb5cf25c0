"""The keyed hash (HMAC-SHA256) that landing computes in SQL.

Landing hashes values that may identify a person (a contract key holding an NHS number or a council
id, a postcode) so that rows can be replaced and placed in the area without the warehouse holding
the value. The secret is landing's own row secret, kept beside the vault and never in the warehouse
(`Vault.row_secret`, identity/keys.py), so that a rotation of the pseudonymisation key leaves row
keys, and so replacement, intact.
"""

from __future__ import annotations

_BLOCK_SIZE = 64  # SHA-256 block size in bytes, as HMAC pads its key to it


def hmac_sql(expression: str, secret: bytes) -> str:
    """SQL for the HMAC-SHA256 hex digest of a VARCHAR expression under `secret` (RFC 2104)."""
    if len(secret) > _BLOCK_SIZE:
        raise ValueError("the landing secret must be at most 64 bytes")
    padded = secret.ljust(_BLOCK_SIZE, b"\0")
    inner = bytes(b ^ 0x36 for b in padded).hex()
    outer = bytes(b ^ 0x5C for b in padded).hex()
    return f"sha256(unhex('{outer}') || unhex(sha256(unhex('{inner}') || encode({expression}))))"
