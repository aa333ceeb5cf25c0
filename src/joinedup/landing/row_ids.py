"""Row ids: each landed row's number in the warehouse (`_row_id`), given by the load.

The vault's row lineage keeps, for every landed row of a person-level feed, the keyed hash of its
contract key (`row_key`, HMAC-SHA256 under landing's secret) beside its row id. A row sent again
finds its row id there, by the whole hash, and replaces the warehouse row of that id; a new key is
numbered after the highest id given (one count over every person-level feed). So two different
keys never share a row (a 64-bit key could), and the warehouse holds small numbers instead of
hashes: a person's rows of a feed are numbered together and compress to a few bits each.
The survey (no person) is replaced by its contract key in the warehouse (landing/write.py).
"""

from __future__ import annotations

import duckdb

from joinedup import contract, duck
from joinedup.contract import Feed
from joinedup.identity.vault import Vault
from joinedup.landing import write
from joinedup.landing.rules import literal, quote
from joinedup.warehouse import schema

OLD = schema.RETIRED_ROW_KEY


def number(con: duckdb.DuckDBPyConnection, vault: Vault, feeds: list[Feed]) -> None:
    """`row_ids` (feed, row_key, row_id, file, line, and the row's person: pseudo_id,
    person_date_of_birth; acc_row: its rowid in acc_<feed>) of this load's rows, and their lineage
    recorded in the vault (before the warehouse commits: a row id the vault knows is never
    given again, even when the warehouse's transaction then fails)."""
    _upgrade(con, vault)
    _upgrade_tokens(con, vault)
    person_feeds = [f for f in feeds if f.is_person_level]
    rows = _landing_rows_sql(con, person_feeds) or (
        "SELECT NULL::VARCHAR AS feed, NULL::VARCHAR AS row_key, NULL::INTEGER AS pseudo_id,"
        " NULL::DATE AS person_date_of_birth, NULL::VARCHAR AS file, NULL::BIGINT AS line,"
        " NULL::BIGINT AS acc_row WHERE false"
    )
    con.execute(f"CREATE OR REPLACE TEMP TABLE landing_rows AS {rows}")
    batch = duck.batch_rows()
    asked = con.sql("SELECT feed, row_key FROM landing_rows").to_arrow_reader(batch)
    known = vault.row_ids(asked)
    asked.close()  # the vault need not read it all (nothing known yet): its result ends here
    con.register("known_batches", known)
    try:
        con.execute("CREATE OR REPLACE TEMP TABLE known_rows AS SELECT * FROM known_batches")
    finally:
        con.unregister("known_batches")
    last = max(vault.last_row_ids().values(), default=0)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE row_ids AS SELECT l.feed, l.row_key, coalesce(k.row_id,"
        f" {int(last)} + row_number() OVER (PARTITION BY k.row_id IS NULL"
        " ORDER BY l.pseudo_id, l.row_key)) AS row_id, l.file, l.line, l.pseudo_id,"
        " l.person_date_of_birth, l.acc_row"
        " FROM landing_rows l LEFT JOIN known_rows k USING (feed, row_key)"
    )
    lineage = "SELECT feed, row_key, file, line, row_id FROM row_ids"
    vault.record_lineage(con.sql(lineage).to_arrow_reader(batch))
    _number_tokens(con, vault, person_feeds)


def _number_tokens(con: duckdb.DuckDBPyConnection, vault: Vault, feeds: list[Feed]) -> None:
    """`token_ids` (token, token_id): each source record id's keyed hash of this load, the
    number the vault knows for it, or a new one after the highest given, in the order of the
    first row (row id) that carries it, so that a feed's tokens compress as its row ids do."""
    appear = [
        f"SELECT a.{quote(c)} AS token, i.row_id FROM row_ids i"
        f" JOIN {write.accepted_table(f)} a ON a.rowid = i.acc_row"
        f" WHERE i.feed = {literal(f.name)} AND a.{quote(c)} IS NOT NULL"
        for f in feeds
        for c in f.column_names
        if c in schema.SOURCE_RECORD_IDS
    ] or ["SELECT NULL::VARCHAR AS token, NULL::BIGINT AS row_id WHERE false"]
    con.execute(
        "CREATE OR REPLACE TEMP TABLE landing_tokens AS SELECT token, min(row_id) AS first_row"
        f" FROM ({' UNION ALL '.join(appear)}) GROUP BY token"
    )
    asked = con.sql("SELECT token FROM landing_tokens").to_arrow_reader(duck.batch_rows())
    known = vault.token_ids(asked)
    asked.close()
    con.register("known_batches", known)
    try:
        con.execute("CREATE OR REPLACE TEMP TABLE known_tokens AS SELECT * FROM known_batches")
    finally:
        con.unregister("known_batches")
    con.execute(
        "CREATE OR REPLACE TEMP TABLE token_ids AS SELECT l.token, k.token_id IS NULL AS new,"
        f" coalesce(k.token_id, {int(vault.last_token_id())} + row_number() OVER (PARTITION BY"
        " k.token_id IS NULL ORDER BY l.first_row, l.token)) AS token_id"
        " FROM landing_tokens l LEFT JOIN known_tokens k USING (token)"
    )
    new = "SELECT token, NULL::BIGINT AS compact, token_id FROM token_ids WHERE new"
    vault.record_tokens(con.sql(new).to_arrow_reader(duck.batch_rows()))


def _landing_rows_sql(con: duckdb.DuckDBPyConnection, feeds: list[Feed]) -> str:
    """(feed, row_key, pseudo_id, person_date_of_birth, file, line, acc_row) of this load's
    newest row of each key. New keys are numbered in (pseudo_id, row key) order, so that a
    person's rows of a feed carry near numbers and a tie broken by row id falls as the row
    keys' would in a warehouse landed in one load."""
    return " UNION ALL ".join(
        f"SELECT {literal(f.name)} AS feed, a._row_key AS row_key, r.pseudo_id,"
        f" r.person_date_of_birth, a._source_file AS file, a._line AS line, a._acc_row AS acc_row"
        f" FROM ({write.latest_rows_sql(con, f, '_row_key')}) a"
        " JOIN resolved r ON r.record_id = a._record_id"
        for f in feeds
    )


def _upgrade(con: duckdb.DuckDBPyConnection, vault: Vault) -> None:
    """A warehouse made before row ids holds `_row_key`, a compact keyed hash (hex ones are
    compacted first, schema.create_all): its rows are numbered as a load numbers new rows, the
    vault's lineage of them takes the same numbers (by the compact form of its hashes) and the
    column becomes `_row_id`. Deterministic, so a failed load's next attempt numbers the same."""
    old = [
        f
        for f in contract.feeds().values()
        if not f.is_reference and OLD in _columns(con, schema.warehouse_table_name(f))
    ]
    person = [f for f in old if f.is_person_level]
    if person:
        keys = " UNION ALL ".join(
            f"SELECT {literal(f.name)} AS feed, {OLD} AS key, pseudo_id FROM {f.name}"
            for f in person
        )
        con.execute(
            "CREATE OR REPLACE TEMP TABLE old_row_numbers AS SELECT feed, key, row_number()"
            f" OVER (ORDER BY pseudo_id, key, feed) AS row_id FROM ({keys})"
        )
        vault.number_rows(con.sql("SELECT * FROM old_row_numbers").to_arrow_table())
    for feed in old:
        table = schema.warehouse_table_name(feed)
        con.execute(f"ALTER TABLE {table} RENAME COLUMN {OLD} TO _row_id")
        numbers = (
            f"(SELECT key, row_id FROM old_row_numbers WHERE feed = {literal(feed.name)})"
            if feed.is_person_level
            else f"(SELECT _row_id AS key, row_number() OVER (ORDER BY _row_id) AS row_id"
            f" FROM {table})"
        )
        con.execute(
            f"UPDATE {table} SET _row_id = n.row_id FROM {numbers} n WHERE {table}._row_id = n.key"
        )


def _upgrade_tokens(con: duckdb.DuckDBPyConnection, vault: Vault) -> None:
    """A warehouse whose tokens are compact keyed hashes (made before token numbers; its vault
    has none): each distinct one is numbered in the order of the first row carrying it, the
    vault keeps the number by the compact form, and the warehouse's tokens become the numbers."""
    columns = [
        (schema.warehouse_table_name(f), c)
        for f in contract.feeds().values()
        if f.is_person_level
        for c in f.column_names
        if c in schema.SOURCE_RECORD_IDS
    ]
    columns = [(t, c) for t, c in columns if c in _columns(con, t)]
    if vault.last_token_id() or not columns:
        return
    carried = " UNION ALL ".join(
        f"SELECT {quote(c)} AS compact, _row_id FROM {t} WHERE {quote(c)} IS NOT NULL"
        for t, c in columns
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE old_tokens AS SELECT compact, row_number() OVER"
        f" (ORDER BY min(_row_id), compact) AS token_id FROM ({carried}) GROUP BY compact"
    )
    numbers = "SELECT NULL::VARCHAR AS token, compact, token_id FROM old_tokens"
    vault.record_tokens(con.sql(numbers).to_arrow_table())
    for table, column in columns:
        con.execute(
            f"UPDATE {table} SET {quote(column)} = o.token_id FROM old_tokens o"
            f" WHERE {table}.{quote(column)} = o.compact"
        )


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    return {
        r[0]
        for r in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE database_name = current_database()"
            " AND table_name = ?",
            [table],
        ).fetchall()
    }
