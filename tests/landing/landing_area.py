"""Small hand-written areas for the landing tests (every cell valid unless a test says otherwise)
and helpers that read what a load wrote."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import duckdb

from joinedup import contract
from joinedup.identifiers import nhs_check_digit

AS_OF = dt.date(2015, 3, 31)
TEXT_DEFAULTS = {
    "date": "2014-05-01",
    "datetime": "2014-05-01T10:00",
    "integer": "5",
    "decimal": "12.50",
    "postcode": "SS1 2AB",
    "string": "X1",
}


def nhs_number(serial: int) -> str:
    """A valid NHS number (modulus 11) built from a serial number."""
    for start in range(serial * 10, serial * 10 + 10):
        first_nine = f"{400000000 + start:09d}"
        check = nhs_check_digit(first_nine)
        if check is not None:
            return first_nine + str(check)
    raise AssertionError("no valid check digit")


PEOPLE = {
    "ann": {
        "nhs_number": nhs_number(1),
        "given_name": "Annabel",
        "family_name": "Quixley",
        "date_of_birth": "1940-06-15",
        "sex": "2",
        "postcode": "SS1 2AB",
    },
    "bob": {
        "nhs_number": nhs_number(2),
        "given_name": "Robertus",
        "family_name": "Vantongeren",
        "date_of_birth": "1952-11-30",
        "sex": "1",
        "postcode": "SS2 4QT",
    },
    "cat": {
        "nhs_number": nhs_number(3),
        "given_name": "Catriona",
        "family_name": "Wexcombe",
        "date_of_birth": "1930-01-20",
        "sex": "2",
        "postcode": "SS9 9ZZ",
    },
}


def row(feed_name: str, person: str | None = None, **values: str) -> dict[str, str]:
    """A valid row of a feed: defaults by type, the person's identifiers, then `values`."""
    feed = contract.feed(feed_name)
    cells = {}
    for column in feed.columns:
        codes = column.allowed_codes()
        cells[column.name] = sorted(codes)[0] if codes else TEXT_DEFAULTS.get(column.base_type, "")
    if person:
        cells.update({k: v for k, v in PEOPLE[person].items() if k in cells})
    cells.update(values)
    return cells


def spell(person: str, admitted: str, discharged: str = "", ready: str = "", **values: str):
    """A valid acute_apc row of `person`: admitted, discharged and ready for discharge on these
    days (blank: not yet), then `values`."""
    return row("acute_apc", person, admission_date=admitted, discharge_date=discharged,
               ready_for_discharge_date=ready, **values)  # fmt: skip


def write_feed(path: Path, feed_name: str, rows: list[dict[str, str]], header=None) -> Path:
    """Write rows as CSV under the contract's header (or `header`)."""
    names = header or list(contract.feed(feed_name).column_names)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(names)
        for cells in rows:
            writer.writerow([cells.get(n.strip().lower(), "") for n in names])
    return path


def postcode_rows() -> list[dict[str, str]]:
    return [
        {
            "postcode": "SS1 2AB",
            "lsoa_code": "E01000001",
            "ward_code": "E05000001",
            "ward_name": "Milton",
            "locality": "Central",
            "imd_decile": "3",
        },
        {
            "postcode": "SS2 4QT",
            "lsoa_code": "E01000002",
            "ward_code": "E05000002",
            "ward_name": "Prittlewell",
            "locality": "North",
            "imd_decile": "7",
        },
    ]


def base_area(folder: Path) -> Path:
    """An area of three people across GP, hospital and social care feeds."""
    write_feed(folder / "postcode_lookup.csv", "postcode_lookup", postcode_rows())
    write_feed(
        folder / "gp_register.csv",
        "gp_register",
        [
            row(
                "gp_register",
                p,
                practice_code="F81001",
                registration_date="2000-01-01",
                deregistration_date="",
            )
            for p in PEOPLE
        ],
    )
    write_feed(
        folder / "acute_apc.csv",
        "acute_apc",
        [
            spell("ann", "2014-06-01", "2014-06-10", "2014-06-08", spell_id="S1"),
            spell("bob", "2014-07-01", spell_id="S2"),
        ],
    )
    write_feed(
        folder / "social_care_events.csv",
        "social_care_events",
        [
            row(
                "social_care_events",
                "cat",
                nhs_number="",
                event_id="E1",
                la_person_id="LA7731",
                event_start_date="2014-08-01",
                event_end_date="",
            ),
        ],
    )
    return folder


def snapshot(warehouse: Path) -> dict[str, list[tuple]]:
    """Every row of every warehouse table, sorted: to compare a warehouse before and after."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables ORDER BY table_name"
            ).fetchall()
        ]
        return {t: sorted(con.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in tables}


def query(warehouse: Path, sql: str, params=None) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def query_with_lineage(stores: dict[str, Path], sql: str) -> list[tuple]:
    """`sql` over the warehouse with the vault attached as `vault`: its row_lineage (feed,
    row_key, file, line, row_id) gives a row's file and line, which the warehouse does not hold."""
    with duckdb.connect(str(stores["warehouse"]), read_only=True) as con:
        con.execute(f"ATTACH '{stores['vault']}' AS vault (READ_ONLY)")
        return con.execute(sql).fetchall()


def lineage_sql(feed: str, columns: str) -> str:
    """`columns` of the feed's rows (alias w) and their lineage (alias l: file, line)."""
    return (
        f"SELECT {columns} FROM {feed} w JOIN vault.row_lineage l"
        f" ON l.feed = '{feed}' AND l.row_id = w._row_id"
    )


def token(stores: dict[str, Path], record_id: str) -> int:
    """The warehouse's token of a source record id: the vault's number for its keyed hash
    (HMAC under the vault's row secret)."""
    import hashlib
    import hmac

    secret = bytes.fromhex((Path(f"{stores['vault']}.rowkey")).read_text().strip())
    digest = hmac.new(secret, f"source record id\x1f{record_id}".encode(), hashlib.sha256)
    with duckdb.connect(str(stores["vault"]), read_only=True) as con:
        sql = "SELECT token_id FROM record_tokens WHERE token = ?"
        return con.execute(sql, [digest.hexdigest()]).fetchone()[0]


def text_values(warehouse: Path) -> list[str]:
    """Every value of every text (or text list) column of every warehouse table."""
    values = []
    with duckdb.connect(str(warehouse), read_only=True) as con:
        columns = con.execute(
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE data_type IN ('VARCHAR', 'VARCHAR[]')"
        ).fetchall()
        for table, column in columns:
            for (value,) in con.execute(f'SELECT DISTINCT "{column}" FROM {table}').fetchall():
                values += value if isinstance(value, list) else [value]
    return [v for v in values if v is not None]
