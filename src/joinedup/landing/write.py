"""Writing accepted rows into the warehouse (docs/architecture.md), without an identifier.

Each feed's accepted rows of this load wait in a temp table `acc_<feed>` (trimmed text, with line,
file order, row key, record id and postcode key). Here they are typed, joined to their row id and
person (`row_ids`, numbered by the load from the vault's row lineage, each row's person from
`resolved`, identity's answer, given each person's number by `number_people` first) and to the
area's geography, and replace any earlier row with the same contract key. Everything runs inside the load's one
warehouse transaction.
"""

from __future__ import annotations

import datetime as dt

import duckdb

from joinedup.contract import Feed
from joinedup.governance import objections
from joinedup.landing.rules import literal, quote, typed_sql
from joinedup.warehouse import pseudonyms, schema

METADATA_TABLES = {
    "loads": "load_id BIGINT, started_at TIMESTAMP, finished_at TIMESTAMP, as_of DATE,"
    " files_loaded BIGINT, files_rejected BIGINT, rows_read BIGINT, rows_accepted BIGINT,"
    " rows_rejected BIGINT",
    "load_files": "load_id BIGINT, feed VARCHAR, file VARCHAR, sha256 VARCHAR, status VARCHAR,"
    " problem VARCHAR, extra_columns VARCHAR[], rows_read BIGINT, rows_accepted BIGINT,"
    " rows_rejected BIGINT, nhs_number_present BIGINT, nhs_number_valid BIGINT",
    "rejections": "load_id BIGINT, feed VARCHAR, file VARCHAR, line BIGINT, column_name VARCHAR,"
    " rule VARCHAR",
    "linkage_outcomes": "load_id BIGINT, feed VARCHAR, link_method VARCHAR, records BIGINT,"
    " rows BIGINT",
    "objection_effects": "load_id BIGINT, feed VARCHAR, rows_not_landed BIGINT,"
    " rows_removed BIGINT",
    # The area's postcodes, by keyed hash only: places rows of later loads without a postcode.
    "postcode_areas": "postcode_key VARCHAR, lsoa_code VARCHAR, ward_code VARCHAR,"
    " locality VARCHAR, imd_decile BIGINT",
}
GP_SOURCED_PREFIX = "gp_"


def accepted_table(feed: Feed) -> str:
    return f"acc_{feed.name}"


def create_tables(con: duckdb.DuckDBPyConnection) -> None:
    schema.create_all(con)
    for name, columns in METADATA_TABLES.items():
        con.execute(f"CREATE TABLE IF NOT EXISTS {name} ({columns})")


def number_people(con: duckdb.DuckDBPyConnection) -> None:
    """`resolved` with each person's number (`pseudonyms.py`) in place of the pseudonym
    identity gave; people new to the warehouse are numbered first."""
    pseudonyms.add_new(con, "SELECT pseudo_id FROM resolved")
    con.execute(
        "CREATE OR REPLACE TEMP TABLE resolved AS SELECT r.* REPLACE (p.pseudo_id AS pseudo_id)"
        f" FROM resolved r JOIN {pseudonyms.TABLE} p ON p.pseudonym = r.pseudo_id"
    )


def latest_rows_sql(con: duckdb.DuckDBPyConnection, feed: Feed, partition: str) -> str:
    """This load's accepted rows, the last sent (file order, then line) for each key, each with
    its place in the table (`_acc_row`: row_ids joins a row by it, a number, not by its key).
    Most loads send each key once: then the rows as they are, without ranking them."""
    table = accepted_table(feed)
    repeated = con.execute(f"SELECT count(*) - count(DISTINCT {partition}) FROM {table}")
    if not repeated.fetchall()[0][0]:
        return f"SELECT *, rowid AS _acc_row FROM {table}"
    return (
        f"SELECT * FROM (SELECT *, rowid AS _acc_row, row_number() OVER (PARTITION BY {partition}"
        f" ORDER BY _file_seq DESC, _line DESC) AS _newest FROM {table}) rows"
        " WHERE _newest = 1"
    )


def _age_sql(date_value: str, birth: str) -> str:
    """Whole years from birth to a date (NULL when either is NULL)."""
    before_birthday = (
        f"CASE WHEN month({date_value}) * 100 + day({date_value})"
        f" < month({birth}) * 100 + day({birth}) THEN 1 ELSE 0 END"
    )
    return f"CAST(year({date_value}) - year({birth}) - {before_birthday} AS INTEGER)"


def _column_sql(feed: Feed, name: str, load_id: int) -> str:
    """The expression for one warehouse column over a = accepted row, i = its row id and person
    (`row_ids`), g = area."""
    if name in schema.SOURCE_RECORD_IDS:
        return f"{_token(name)}.token_id"
    if name in feed.column_names:
        return typed_sql(feed.column(name), f"a.{quote(name)}")
    if name.startswith("age_at_"):
        event = feed.column(name.removeprefix("age_at_"))
        return _age_sql(
            f"CAST({typed_sql(event, 'a.' + quote(event.name))} AS DATE)", "i.person_date_of_birth"
        )
    if name == "postcode_in_area":
        return "CASE WHEN a._postcode_key IS NOT NULL THEN g.postcode_key IS NOT NULL END"
    lineage = {"pseudo_id": "i.pseudo_id", "_row_id": "i.row_id", "_load_id": str(load_id)}
    return lineage.get(name, f"g.{name}")


def _token(name: str) -> str:
    """The alias of a source record id's join to its number (`token_ids`)."""
    return f"t_{name}"


def write_event_feed(con: duckdb.DuckDBPyConnection, feed: Feed, load_id: int) -> None:
    """Replace rows with the same key, then add this load's newest row for each key, in person
    order (a person's rows side by side compress far better). A feed without people (the
    survey) has no row lineage in the vault: its rows replace those of the same contract key,
    numbered after the table's last row id."""
    columns = schema.warehouse_columns(feed)
    table = schema.warehouse_table_name(feed)
    if not feed.is_person_level:
        base = f"(SELECT coalesce(max(_row_id), 0) FROM {table})"
        number = {"_row_id": f"{base} + row_number() OVER (ORDER BY a._row_key)"}
        select = ", ".join(
            f"{number.get(n) or _column_sql(feed, n, load_id)} AS {quote(n)}" for n, _ in columns
        )
        joins = ""
        if "postcode" in feed.column_names:
            joins = " LEFT JOIN postcode_areas g ON g.postcode_key = a._postcode_key"
        latest = latest_rows_sql(con, feed, "_row_key")
        _replace_by_key(con, feed, f"SELECT {select} FROM ({latest}) a{joins}")
        return
    select = ", ".join(f"{_column_sql(feed, n, load_id)} AS {quote(n)}" for n, _ in columns)
    joins = f" JOIN {accepted_table(feed)} a ON a.rowid = i.acc_row"
    for name in feed.column_names:
        if name in schema.SOURCE_RECORD_IDS:
            t = _token(name)
            joins += f" LEFT JOIN token_ids {t} ON {t}.token = a.{quote(name)}"
    if "postcode" in feed.column_names:
        joins += " LEFT JOIN postcode_areas g ON g.postcode_key = a._postcode_key"
    ids = f"SELECT row_id FROM row_ids WHERE feed = {literal(feed.name)}"
    con.execute(f"DELETE FROM {table} WHERE _row_id IN ({ids})")
    # Joined first, sorted after: a sort in the joins' pipeline runs out of memory on a large
    # feed (15 million rows at 1.5 million people) where each step alone spills. A materialised
    # CTE, not a temp table: the load's transaction keeps a dropped temp table to its end, and
    # at 1.5 million people those filled the temporary directory's disk.
    con.execute(
        f"INSERT INTO {table} ({', '.join(quote(n) for n, _ in columns)})"
        f" WITH typed_rows AS MATERIALIZED (SELECT {select}"
        f" FROM row_ids i{joins} WHERE i.feed = {literal(feed.name)})"
        " SELECT * FROM typed_rows ORDER BY pseudo_id, _row_id"
    )


def _replace_by_key(con: duckdb.DuckDBPyConnection, feed: Feed, typed: str) -> None:
    """The typed rows replace those of the table with the same contract key."""
    table = schema.warehouse_table_name(feed)
    same_key = " AND ".join(f"n.{quote(k)} = {table}.{quote(k)}" for k in feed.key)
    con.execute(f"CREATE OR REPLACE TEMP TABLE new_reference AS {typed}")
    con.execute(
        f"DELETE FROM {table} WHERE EXISTS (SELECT 1 FROM new_reference n WHERE {same_key})"
    )
    con.execute(f"INSERT INTO {table} SELECT * FROM new_reference")


def refresh_ages(con: duckdb.DuckDBPyConnection, feed: Feed, load_id: int) -> None:
    """Earlier rows of the people in this load take the ages their canonical date of birth gives
    now (a gp_register row landing later may have changed it). Only changed rows are written."""
    ages = {
        name: _age_sql(f"CAST(t.{quote(name.removeprefix('age_at_'))} AS DATE)", "b.birth")
        for name, _ in schema.warehouse_columns(feed)
        if name.startswith("age_at_")
    }
    if not ages:
        return
    assignments = ", ".join(f"{quote(name)} = {age}" for name, age in ages.items())
    changed = " OR ".join(f"t.{quote(name)} IS DISTINCT FROM {age}" for name, age in ages.items())
    con.execute(
        f"UPDATE {schema.warehouse_table_name(feed)} AS t SET {assignments}"
        f" FROM (SELECT pseudo_id, max(person_date_of_birth) AS birth FROM resolved"
        f" GROUP BY pseudo_id) b"
        f" WHERE t.pseudo_id = b.pseudo_id AND t._load_id <> {load_id} AND ({changed})"
    )


def write_reference(con: duckdb.DuckDBPyConnection, feed: Feed) -> None:
    """Reference rows replace those with the same key; postcode_lookup replaces the geography."""
    if feed.name == "postcode_lookup":
        _write_geography(con, feed)
        return
    columns = schema.warehouse_columns(feed)
    select = ", ".join(f"{typed_sql(feed.column(n), quote(n))} AS {quote(n)}" for n, _ in columns)
    _replace_by_key(
        con, feed, f"SELECT {select} FROM ({latest_rows_sql(con, feed, '_row_key')}) latest"
    )


def _write_geography(con: duckdb.DuckDBPyConnection, feed: Feed) -> None:
    """A postcode directory is a whole snapshot: it replaces the area's geography."""
    latest = latest_rows_sql(con, feed, "_postcode_key")
    imd = typed_sql(feed.column("imd_decile"), "imd_decile")
    con.execute("DELETE FROM geography")
    con.execute(
        f"INSERT INTO geography SELECT lsoa_code, ward_code, ward_name, locality, {imd}"
        f" FROM ({latest}) latest"
    )
    con.execute("DELETE FROM postcode_areas")
    con.execute(
        f"INSERT INTO postcode_areas SELECT _postcode_key, lsoa_code, ward_code, locality, {imd}"
        f" FROM ({latest}) latest"
    )


# The objection that keeps a feed's rows of a person out of the warehouse (GOVERNANCE.md): Type 1
# for GP-sourced feeds, the social care client opt-out for the council's social care records.
LANDING_OBJECTIONS = {"TYPE1": lambda feed: feed.name.startswith(GP_SOURCED_PREFIX),
                      "SC_DISSENT": lambda feed: feed.name == "social_care_events"}  # fmt: skip


def landing_objection(feed: Feed) -> str | None:
    """The objection type that keeps this feed's rows out, if any."""
    return next((kind for kind, applies in LANDING_OBJECTIONS.items() if applies(feed)), None)


def active_objectors_sql(kind: str, as_of: dt.date) -> str:
    """People with an objection of `kind` in force on the as-of date (`governance.objections`)."""
    return objections.in_force_sql(kind, as_of)


def apply_objection(
    con: duckdb.DuckDBPyConnection, feed: Feed, load_id: int, as_of: dt.date, landed_now: bool
) -> None:
    """Keep a feed free of its objectors (`landing_objection`): rows of this load not landed,
    earlier rows removed. Call after write_event_feed. The counts go to objection_effects when
    the feed was in this load or earlier rows were removed."""
    kind = landing_objection(feed)
    if kind is None:
        return
    objectors = active_objectors_sql(kind, as_of)
    table = schema.warehouse_table_name(feed)
    not_landed = con.execute(
        f"SELECT count(*) FROM {table} WHERE _load_id = {load_id} AND pseudo_id IN ({objectors})"
    ).fetchall()[0][0]
    removed = con.execute(
        f"SELECT count(*) FROM {table} WHERE _load_id <> {load_id} AND pseudo_id IN ({objectors})"
    ).fetchall()[0][0]
    con.execute(f"DELETE FROM {table} WHERE pseudo_id IN ({objectors})")
    if landed_now or removed:
        con.execute(
            "INSERT INTO objection_effects VALUES (?, ?, ?, ?)",
            [load_id, feed.name, not_landed, removed],
        )


def write_people(con: duckdb.DuckDBPyConnection) -> None:
    """One `person` row per pseudo_id resolved in this load: sex and birth month ('YYYY-MM')."""
    birth = "person_date_of_birth"
    month = (
        f"CAST(year({birth}) AS VARCHAR) || '-' || lpad(CAST(month({birth}) AS VARCHAR), 2, '0')"
    )
    con.execute("DELETE FROM person WHERE pseudo_id IN (SELECT pseudo_id FROM resolved)")
    con.execute(
        f"INSERT INTO person SELECT pseudo_id, max(person_sex), max({month})"
        " FROM resolved GROUP BY pseudo_id"
    )


def write_linkage_outcomes(con: duckdb.DuckDBPyConnection, feed: Feed, load_id: int) -> None:
    con.execute(
        "INSERT INTO linkage_outcomes SELECT ?, ?, r.link_method, count(DISTINCT r.record_id),"
        f" count(*) FROM {accepted_table(feed)} a JOIN resolved r ON r.record_id = a._record_id"
        " GROUP BY r.link_method",
        [load_id, feed.name],
    )
