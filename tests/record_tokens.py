"""Stand-ins for landing's keyed tokens of senders' record ids, and its person numbers, in
hand-made warehouses."""

from __future__ import annotations

import hashlib

import pyarrow as pa

from joinedup.keyed_hash import compact
from joinedup.warehouse import pseudonyms
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


def person_numbers(con, given: list) -> list[int | None]:
    """A test's pseudonyms (text) as a warehouse holds its people: numbers, the pseudonyms
    table given the new ones (after the highest, in pseudonym order) as a load does."""
    con.register("test_pseudonyms", pa.table({"pseudo_id": pa.array(given, pa.string())}))
    try:
        pseudonyms.add_new(con, "SELECT pseudo_id FROM test_pseudonyms")
    finally:
        con.unregister("test_pseudonyms")
    return [None if n is None else int(n) for n in pseudonyms.numbers_of(con, given)]
