"""What landing computes from each accepted row before the warehouse sees it: its row key, its
identifier record for identity (see the agreed interface in identity/), and its postcode key.

Identifier values live only in temp tables of the landing connection and in the vault.
"""

from __future__ import annotations

from joinedup.contract import Feed
from joinedup.keyed_hash import hmac_sql
from joinedup.landing.rules import (
    compact_nhs_number_sql,
    literal,
    normalised_postcode_sql,
    quote,
)

# The identifier record identity resolves, with its DuckDB types (see the agreed interface).
RECORD_COLUMNS = (
    ("nhs_number", "VARCHAR"),
    ("given_name", "VARCHAR"),
    ("family_name", "VARCHAR"),
    ("date_of_birth", "DATE"),
    ("sex", "VARCHAR"),
    ("postcode", "VARCHAR"),
    ("la_person_id", "VARCHAR"),
)
UNIT_SEPARATOR = "chr(31)"  # between values in a hashed text: no contract value contains it


def _joined(values: list[str]) -> str:
    """Values joined for hashing; an empty cell was made NULL on staging, so '' stands for NULL."""
    cells = ", ".join(f"coalesce({v}, '')" for v in values)
    return f"concat_ws({UNIT_SEPARATOR}, {cells})"


def key_text_sql(feed: Feed, name: str) -> str:
    """A key or identifier cell as compared for equality: NHS numbers without separators,
    postcodes normalised, everything else as sent (trimmed)."""
    value = quote(name)
    kind = feed.column(name).base_type
    if kind == "nhs_number":
        return compact_nhs_number_sql(value)
    if kind == "postcode":
        return f"CASE WHEN {value} IS NOT NULL THEN {normalised_postcode_sql(value)} END"
    return value


def row_key_sql(feed: Feed, secret: bytes) -> str:
    """Keyed hash of the feed's contract key: equal for a row sent again, never the values."""
    texts = [literal(feed.name)] + [key_text_sql(feed, name) for name in feed.key]
    return hmac_sql(_joined(texts), secret)


def record_token_sql(name: str, secret: bytes) -> str:
    """Keyed hash of a source record id, 64 hex (NULL stays NULL): the load gives each a
    number, its token (row_ids.py)."""
    return hmac_sql(f"'source record id' || {UNIT_SEPARATOR} || {quote(name)}", secret)


def postcode_key_sql(feed: Feed, secret: bytes) -> str:
    """Keyed hash of the row's normalised postcode, to place it in the area's geography."""
    text = key_text_sql(feed, "postcode")
    return f"CASE WHEN {quote('postcode')} IS NOT NULL THEN {hmac_sql(text, secret)} END"


def record_value_sql(feed: Feed, name: str, duckdb_type: str) -> str:
    if name not in feed.column_names:
        return f"CAST(NULL AS {duckdb_type})"
    if name == "nhs_number":
        compact = key_text_sql(feed, name)
        return f"CASE WHEN regexp_matches({compact}, '^[0-9]{{10}}$') THEN {compact} END"
    if name == "date_of_birth":
        return f"CAST({quote(name)} AS DATE)"
    return key_text_sql(feed, name)


def record_id_sql(feed: Feed) -> str:
    """The record's id: a hash of the feed and its identifier values (it stays in the vault)."""
    values = [literal(feed.name)] + [
        f"CAST({record_value_sql(feed, name, kind)} AS VARCHAR)" for name, kind in RECORD_COLUMNS
    ]
    return f"sha256({_joined(values)})"


def records_sql(feed: Feed, accepted: str) -> str:
    """The distinct identifier records of a feed's accepted rows, as identity expects them."""
    values = ", ".join(
        f"{record_value_sql(feed, name, kind)} AS {name}" for name, kind in RECORD_COLUMNS
    )
    return (
        f"SELECT DISTINCT _record_id AS record_id, {literal(feed.name)} AS feed, {values}"
        f" FROM {accepted}"
    )
