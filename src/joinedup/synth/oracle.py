"""A warehouse built from a generated area by the truth: what a perfect landing would produce.

Each feed is read with its contract types, the rows the generator broke on purpose are left out
(landing quarantines them), and every row is keyed by its true person (pseudo_id numbers the truth's
person ids, the pseudonyms table holds them), with ages and geography derived as landing derives them. Calibration runs the metric
engine on it, so that the simulation is measured apart from the linkage.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from joinedup import contract, duck
from joinedup.contract import Feed
from joinedup.warehouse import schema

GEOGRAPHY = {"lsoa_code": "l.lsoa_code", "ward_code": "l.ward_code", "locality": "l.locality",
             "imd_decile": "l.imd_decile",
             "postcode_in_area": "CASE WHEN r.postcode IS NULL THEN NULL ELSE l.postcode IS NOT NULL END"}


def build_oracle_warehouse(area: Path) -> duckdb.DuckDBPyConnection:
    con = duck.connect()
    schema.create_all(con)
    con.execute(f"""
        CREATE TEMP TABLE truth_people AS SELECT person_id,
               CAST(row_number() OVER (ORDER BY person_id) AS INTEGER) AS pseudo_id,
               CAST(date_of_birth AS DATE) AS born, sex
        FROM read_csv('{area}/truth/people.csv', header=true, all_varchar=true);
        CREATE TEMP TABLE row_person AS SELECT r.feed, CAST(r.line AS BIGINT) AS line, t.pseudo_id
        FROM read_csv('{area}/truth/row_person.csv', header=true, all_varchar=true) r
        JOIN truth_people t USING (person_id);
        CREATE TEMP TABLE broken AS SELECT DISTINCT feed, CAST(line AS BIGINT) AS line
        FROM read_csv('{area}/truth/broken_rows.csv', header=true, all_varchar=true);
        CREATE MACRO age_between(born, d) AS date_diff('year', born, d)
            - CASE WHEN strftime(born, '%m-%d') > strftime(d, '%m-%d') THEN 1 ELSE 0 END;
        INSERT INTO person SELECT pseudo_id, sex, strftime(born, '%Y-%m') FROM truth_people;
        INSERT INTO pseudonyms SELECT pseudo_id, person_id FROM truth_people;""")
    for feed in contract.feeds().values():
        _land(con, area, feed)
    return con


def _column(feed: Feed, name: str, sql_type: str) -> str:
    if name == "pseudo_id":
        return "p.pseudo_id"
    if name.startswith("age_at_"):
        return f"age_between(t.born, CAST(TRY_CAST(r.\"{name[7:]}\" AS TIMESTAMP) AS DATE))"
    if name in GEOGRAPHY and "postcode" in feed.column_names:
        return GEOGRAPHY[name]
    if name in feed.column_names:
        return f"TRY_CAST(r.\"{name}\" AS {sql_type})"
    return f"CAST(NULL AS {sql_type})"


def _land(con, area: Path, feed: Feed) -> None:
    columns = schema.warehouse_columns(feed)
    select = ", ".join(_column(feed, name, sql_type) for name, sql_type in columns)
    person = (f"JOIN row_person p ON p.feed = '{feed.name}' AND p.line = r.line "
              "JOIN truth_people t ON t.pseudo_id = p.pseudo_id") if feed.is_person_level else ""
    lookup = (f"LEFT JOIN read_csv('{area}/postcode_lookup.csv', header=true, all_varchar=true) l "
              "ON l.postcode = r.postcode") if "postcode" in feed.column_names and not feed.is_reference else ""
    if feed.name == "postcode_lookup":
        select = ", ".join(f"TRY_CAST(r.\"{n}\" AS {t})" for n, t in columns)
    con.execute(f"""
        INSERT INTO {schema.warehouse_table_name(feed)}
        SELECT {select} FROM (SELECT *, row_number() OVER () + 1 AS line
                              FROM read_csv('{area / feed.name}.csv', header=true, all_varchar=true)) r
        {person} {lookup}
        WHERE r.line NOT IN (SELECT line FROM broken WHERE feed = '{feed.name}')""")
