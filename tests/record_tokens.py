"""Stand-ins for landing's keyed tokens of senders' record ids in hand-made warehouses."""

from __future__ import annotations

import hashlib

from joinedup.keyed_hash import compact
from joinedup.warehouse.schema import SOURCE_RECORD_IDS


def record_token(text: str) -> int:
    """A record id as a warehouse holds it: a compact keyed hash (BIGINT), here unkeyed."""
    return compact(hashlib.sha256(text.encode()).hexdigest())


def tokenised(column: str, value):
    """A test's record id or row key written as text, in the warehouse's form; other values
    unchanged."""
    if column in ("_row_id", *SOURCE_RECORD_IDS) and isinstance(value, str):
        return record_token(value)
    return value
