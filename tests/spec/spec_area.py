"""Spec cases for the metric engine: each test writes a tiny warehouse (ASCII tables into a real
DuckDB file), checks a hand-computed figure, and checks that the engine and the reference agree
on every record. Columns a case does not mention take the defaults below (or a fresh id).

Test modules import the `area` fixture from here."""

from __future__ import annotations

import itertools
from datetime import date, datetime

import duckdb
import pytest
from record_tokens import person_numbers, record_token

from joinedup.metrics import engine, reference
from joinedup.warehouse import schema, store

FY_2015 = ("2015-04", "2016-03")
BANDS = [f"{low}-{low + 4}" for low in range(0, 90, 5)] + ["90+"]
DEFAULTS = {
    "acute_apc": {
        "provider_code": "RZA",
        "admission_method": "21",
        "patient_classification": "1",
        "main_specialty": "300",
        "primary_diagnosis": "R69",
        "discharge_method": "1",
        "discharge_destination": "19",
        "age_at_admission_date": 70,
        "age_at_discharge_date": 70,
        "postcode_in_area": True,
    },
    "acute_ae": {
        "provider_code": "RZA",
        "arrival_mode": "1",
        "disposal": "HOM",
        "postcode_in_area": True,
    },
    "urgent_care_contacts": {
        "service": "AMBULANCE",
        "outcome": "CONVEYED",
        "postcode_in_area": True,
    },
    "community_contacts": {"contact_mode": "FACE_TO_FACE", "postcode_in_area": True},
    "social_care_events": {
        "client_type": "SERVICE_USER",
        "event_type": "SERVICE",
        "age_at_event_start_date": 80,
        "postcode_in_area": True,
    },
    "delayed_transfers": {
        "provider_code": "RZA",
        "reason": "A",
        "agency": "NHS",
        "age_at_ready_date": 80,
        "postcode_in_area": True,
    },
    "deaths": {"place_of_death": "HOSPITAL"},
    "gp_register": {
        "practice_code": "P1",
        "registration_date": date(2000, 1, 1),
        "postcode_in_area": True,
    },
}
GENERATED_IDS = {
    "acute_apc": "spell_id",
    "acute_ae": "attendance_id",
    "urgent_care_contacts": "contact_id",
    "community_contacts": "contact_id",
    "social_care_events": "event_id",
    "delayed_transfers": "delay_id",
}
PARSERS = {
    "DATE": date.fromisoformat,
    "TIMESTAMP": datetime.fromisoformat,
    "BIGINT": int,
    "INTEGER": int,
    "DOUBLE": float,
    "BOOLEAN": lambda text: {"true": True, "false": False}[text],
}


def parse_table(text: str) -> tuple[list[str], list[list[str]]]:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    cells = [[cell.strip() for cell in line.split("|")] for line in lines]
    cells = [row for row in cells if not all(set(c) <= {"-", "+"} for c in row)]
    return cells[0], cells[1:]


class SpecArea:
    """A warehouse with one ward W1 in the area (every 5-year band 1,000 people in 2015: 19,000
    in all, 15,400 aged 18+ counting 2 of the 5 years of 15-19, 6,000 aged 65+), a ward X9
    outside the area, and practice P1."""

    def __init__(self, path, on=None) -> None:
        self.path = path
        self.on = on  # the warehouse file -> the Engine to run the metrics on; None: DuckDB
        self.ids = itertools.count(1)
        with duckdb.connect(str(path)) as con:
            schema.create_all(con)
            con.execute("INSERT INTO geography VALUES ('E01000001', 'W1', 'Ward one', 'North', 3)")
            con.execute("INSERT INTO practices VALUES ('P1', 'Practice one', 'North')")
            for ward, per_sex in (("W1", 500), ("X9", 9000)):
                for band, sex in itertools.product(BANDS, ("1", "2")):
                    con.execute(
                        "INSERT INTO population VALUES (?, 2015, ?, ?, ?)",
                        [ward, sex, band, per_sex],
                    )

    def add(self, table: str, text: str) -> None:
        header, rows = parse_table(text)
        with duckdb.connect(str(self.path)) as con:
            types = dict(
                con.execute(
                    "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ?",
                    [table],
                ).fetchall()
            )
            for cells in rows:
                values = dict(DEFAULTS.get(table, {}))
                if table in GENERATED_IDS:
                    values[GENERATED_IDS[table]] = record_token(f"id{next(self.ids)}")
                for name, cell in zip(header, cells, strict=True):
                    parse = PARSERS.get(types[name], str)
                    if name in schema.SOURCE_RECORD_IDS:  # written as sent, landed as a token
                        parse = record_token
                    if name == "pseudo_id":  # written as a pseudonym, landed as a number
                        parse = lambda cell: person_numbers(con, [cell])[0]  # noqa: E731
                    values[name] = parse(cell) if cell else None
                names = ", ".join(values)
                marks = ", ".join("?" for _ in values)
                con.execute(
                    f"INSERT INTO {table} ({names}) VALUES ({marks})", list(values.values())
                )

    def records(self, metric_ids: list[str], months=FY_2015, by: str | None = None) -> list[dict]:
        """The engine's records (on `self.on`, DuckDB unless a Spark suite says so), after
        checking that the reference computes the very same records."""
        with store.reading(self.path) as con:
            expected = reference.compute_metrics(con, metric_ids, months=months, by=by)
            if self.on is None:
                computed = engine.compute_metrics(con, metric_ids, months=months, by=by)
        if self.on is not None:
            computed = engine.compute_metrics(self.on(self.path), metric_ids, months, by=by)
        assert_same_records(computed, expected)
        return computed

    def metric(self, metric_id: str, months=FY_2015) -> dict[str, dict]:
        """The engine's records of one metric by period label (checked against the reference)."""
        return {r["period"]: r for r in self.records([metric_id], months)}


def rounded(value):
    if isinstance(value, float):
        return round(value, 9)
    if isinstance(value, dict):
        return {k: rounded(v) for k, v in value.items()}
    return value


def assert_same_records(computed: list[dict], expected: list[dict]) -> None:
    def keyed(records):
        return {(r["id"], r["grain"], r["period"], r.get("group")): rounded(r) for r in records}

    engine_records, reference_records = keyed(computed), keyed(expected)
    assert engine_records.keys() == reference_records.keys()
    for key, record in engine_records.items():
        other = reference_records[key]
        assert record == other, f"{key}: engine {record} != reference {other}"


def approx(value: float):
    return pytest.approx(value, rel=1e-9)


@pytest.fixture(name="area")
def area_fixture(tmp_path, request) -> SpecArea:
    """A spec area; a test module that sets `ENGINE` (the Spark suite, tests/spark) runs the
    metrics on the engine it gives for the warehouse file."""
    return SpecArea(tmp_path / "warehouse.duckdb", getattr(request.module, "ENGINE", None))
