"""Warehouse table definitions, derived from the contract (never restated by hand).

Each feed lands as a table of its non-identifying columns, plus pseudo_id (the person's number,
`pseudonyms.py`), age at each date,
geography from its own postcode, and lineage. See docs/architecture.md for the rules.
"""

from __future__ import annotations

from joinedup import contract
from joinedup.contract import Feed
from joinedup.keyed_hash import compact_sql
from joinedup.warehouse import pseudonyms

DUCKDB_TYPES = {
    "date": "DATE",
    "datetime": "TIMESTAMP",
    "integer": "BIGINT",
    "decimal": "DOUBLE",
}
GEOGRAPHY_COLUMNS = (
    ("postcode_in_area", "BOOLEAN"),
    ("lsoa_code", "VARCHAR"),
    ("ward_code", "VARCHAR"),
    ("locality", "VARCHAR"),
    ("imd_decile", "BIGINT"),
)
# Senders' own record ids: anyone with the source system could look a person up by one, so the
# warehouse holds a keyed token instead (the same id gives the same token in every feed, so joins
# between feeds still work).
SOURCE_RECORD_IDS = (
    "spell_id",
    "attendance_id",
    "contact_id",
    "event_id",
    "appointment_id",
    "issue_id",
    "delay_id",
)
# Tokens are compact keyed hashes (`keyed_hash.compact_sql`): 8 bytes, not 64 hex. A row is
# known by its row id, a number the load gives it (the vault keeps its keyed hash beside it).
COMPACT_TYPE = "BIGINT"
LINEAGE_COLUMNS = (("_row_id", "BIGINT"), ("_load_id", "BIGINT"))
# Warehouses made before row ids hold `_row_key` (a keyed hash): the next load numbers them.
RETIRED_ROW_KEY = "_row_key"
# Dropped from warehouses made before: with them a row could be joined back to its sender's file
# and line, so to the person; the vault's row_lineage holds them now.
RETIRED_COLUMNS = ("_source_file", "_source_line")
PERSON_TABLE = (("pseudo_id", pseudonyms.TYPE), ("sex", "VARCHAR"), ("birth_month", "VARCHAR"))
# postcode_lookup lands without its postcode column, as the area's geography.
GEOGRAPHY_TABLE = "geography"


def duckdb_type(column: contract.Column) -> str:
    if column.name in SOURCE_RECORD_IDS:
        return COMPACT_TYPE
    return DUCKDB_TYPES.get(column.base_type, "VARCHAR")


def warehouse_table_name(feed: Feed) -> str:
    return GEOGRAPHY_TABLE if feed.name == "postcode_lookup" else feed.name


def warehouse_columns(feed: Feed) -> list[tuple[str, str]]:
    """(name, DuckDB type) of every column the feed's warehouse table holds, in order."""
    if feed.name == "postcode_lookup":
        return [(c.name, duckdb_type(c)) for c in feed.columns if c.name != "postcode"]
    columns = [(c.name, duckdb_type(c)) for c in feed.columns if not c.identifying]
    if feed.is_reference:
        return columns
    if feed.is_person_level:
        columns.insert(0, ("pseudo_id", pseudonyms.TYPE))
        columns += [
            (f"age_at_{c.name}", "INTEGER")
            for c in feed.columns
            if c.base_type in ("date", "datetime") and not c.identifying
        ]
    if "postcode" in feed.column_names:
        columns += list(GEOGRAPHY_COLUMNS)
    return columns + list(LINEAGE_COLUMNS)


def create_table_sql(feed: Feed) -> str:
    body = ", ".join(f'"{n}" {t}' for n, t in warehouse_columns(feed))
    return f"CREATE TABLE IF NOT EXISTS {warehouse_table_name(feed)} ({body})"


def create_all(con) -> None:
    """Create every feed table, the person and pseudonyms tables (if missing) on a DuckDB
    connection, drop the retired columns of a warehouse made before, compact its hex keys and
    number its people."""
    for feed in contract.feeds().values():
        con.execute(create_table_sql(feed))
    body = ", ".join(f"{n} {t}" for n, t in PERSON_TABLE)
    con.execute(f"CREATE TABLE IF NOT EXISTS person ({body})")
    retired = con.execute(
        "SELECT table_name, column_name FROM duckdb_columns()"
        " WHERE database_name = current_database() AND column_name IN"
        f" ({', '.join(repr(c) for c in RETIRED_COLUMNS)})"
    ).fetchall()
    for table, column in retired:
        con.execute(f'ALTER TABLE {table} DROP COLUMN "{column}"')
    _compact_hex_keys(con)
    pseudonyms.create(con)


def _compact_hex_keys(con) -> None:
    """A warehouse made before held row keys and tokens as 64 hex digits: each becomes its
    compact form, the value a load computes now (so later rows replace the older ones)."""
    compact = ("_row_key",) + SOURCE_RECORD_IDS
    hex_columns = con.execute(
        "SELECT table_name, column_name FROM duckdb_columns()"
        " WHERE database_name = current_database() AND NOT internal AND data_type = 'VARCHAR'"
        f" AND column_name IN ({', '.join(repr(c) for c in compact)})"
    ).fetchall()
    feed_tables = {warehouse_table_name(f) for f in contract.feeds().values()}
    for table, column in hex_columns:
        if table in feed_tables:
            con.execute(
                f'ALTER TABLE {table} ALTER "{column}" TYPE {COMPACT_TYPE}'
                f" USING {compact_sql(chr(34) + column + chr(34))}"
            )
