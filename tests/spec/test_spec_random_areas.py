"""The engine and the reference agree on every record of every metric over small random
warehouses dense with edge cases: blank postcodes, open spells and services, same-day events,
nested placements, deaths, deregistrations and ages around 65."""

import random
from datetime import date, datetime, time, timedelta

import duckdb
import pyarrow
import pytest
from record_tokens import person_numbers, record_token
from spec_area import assert_same_records

from joinedup.metrics import engine, reference
from joinedup.warehouse import schema, store

START = date(2014, 9, 1)
SPAN = 600  # days, to the end of April 2016


def some_day(rng: random.Random, start=START, span=SPAN) -> date:
    return start + timedelta(days=rng.randrange(span))


def maybe(rng: random.Random, value, chance=0.8):
    return value if rng.random() < chance else None


def later(rng: random.Random, day: date, most: int):
    return maybe(rng, day + timedelta(days=rng.randrange(most)))


def person_rows(rng: random.Random, pid: str) -> dict[str, list[dict]]:
    in_area = [True, True, True, False, None]
    age = rng.randrange(14, 96) if rng.random() < 0.2 else rng.randrange(60, 96)
    rows: dict[str, list[dict]] = {
        "person": [
            {
                "pseudo_id": pid,
                "sex": rng.choice(["1", "2"]),
                "birth_month": f"{2015 - age}-{rng.randrange(1, 13):02d}",
            }
        ],
        "gp_register": [],
        "acute_apc": [],
        "social_care_events": [],
    }
    for _ in range(rng.randrange(3)):
        registered = some_day(rng, date(2013, 1, 1), 1200)
        rows["gp_register"].append(
            {
                "pseudo_id": pid,
                "practice_code": rng.choice(["P1", "P2", "Q9"]),
                "registration_date": registered,
                "deregistration_date": maybe(rng, later(rng, registered, 900), 0.3),
                "postcode_in_area": rng.random() < 0.8,
            }
        )
    for n in range(rng.randrange(5)):
        admitted = some_day(rng)
        rows["acute_apc"].append(
            {
                "pseudo_id": pid,
                "spell_id": record_token(f"{pid}-s{n}"),
                "provider_code": rng.choice(["RZA", "RZC"]),
                "admission_date": admitted,
                "discharge_date": later(rng, admitted, 15),
                "ready_for_discharge_date": maybe(
                    rng, admitted + timedelta(rng.randrange(15)), 0.5
                ),
                "admission_method": rng.choice(["21", "22", "2A", "28", "11", "12", "31"]),
                "patient_classification": "1",
                "main_specialty": rng.choice(["300", "430", "501", "560", "700", "715", "716"]),
                "primary_diagnosis": rng.choice(["S720", "T141", "R69", "s06"]),
                "secondary_diagnoses": rng.choice([None, "W19X", "I10; W010", "W20X", "I10"]),
                "discharge_method": rng.choice(["1", "1", "4", None]),
                "discharge_destination": rng.choice(["19", "19", "79", None]),
                "age_at_admission_date": age,
                "age_at_discharge_date": age + rng.choice([0, 0, 1]),
                "postcode_in_area": rng.choice(in_area),
            }
        )
    for n in range(rng.randrange(4)):
        started = some_day(rng, date(2014, 1, 1), 850)
        discharges = [s["discharge_date"] for s in rows["acute_apc"] if s["discharge_date"]]
        if discharges and rng.random() < 0.6:  # straight from hospital, or a day or two later
            started = rng.choice(discharges) + timedelta(rng.randrange(3))
        service = rng.choice(["LTS_RESIDENTIAL", "LTS_NURSING", "STS_REABLEMENT", "LTS_COMMUNITY"])
        rows["social_care_events"].append(
            {
                "pseudo_id": pid,
                "event_id": record_token(f"{pid}-e{n}"),
                "client_type": rng.choice(["SERVICE_USER", "SERVICE_USER", "CARER"]),
                "event_type": rng.choice(["SERVICE", "SERVICE", "SERVICE", "REVIEW", "ASSESSMENT"]),
                "event_start_date": started,
                "event_end_date": later(rng, started, 200),
                "service_type": service,
                "placement_type": rng.choice(["PERMANENT", "PERMANENT", "RESPITE", None]),
                "delivery_mechanism": rng.choice(
                    [None, "DIRECT_PAYMENT", "MANAGED_PERSONAL_BUDGET", "COUNCIL_COMMISSIONED"]
                ),
                "event_outcome": rng.choice(
                    [None, "NO_SERVICES", "ONGOING_LOW_LEVEL", "LONG_TERM_SUPPORT", "DECEASED"]
                ),
                "age_at_event_start_date": age + rng.choice([-1, 0]),
                "postcode_in_area": rng.choice(in_area),
            }
        )
    rows["community_contacts"] = [
        {
            "pseudo_id": pid,
            "contact_id": record_token(f"{pid}-c{n}"),
            "contact_date": some_day(rng),
            "service": rng.choice(["REHABILITATION", "INTERMEDIATE_CARE", "DISTRICT_NURSING"]),
            "contact_mode": "FACE_TO_FACE",
            "postcode_in_area": rng.choice(in_area),
        }
        for n in range(rng.randrange(4))
    ]
    rows["acute_ae"] = [
        {
            "pseudo_id": pid,
            "attendance_id": record_token(f"{pid}-a{n}"),
            "provider_code": "RZA",
            "arrival_datetime": arrival,
            "departure_datetime": maybe(rng, arrival + timedelta(minutes=rng.randrange(200, 280))),
            "arrival_mode": "1",
            "from_care_home": rng.choice(["Y", "N", None]),
            "disposal": rng.choice(["ADM", "HOM", "CHM"]),
            "postcode_in_area": rng.choice(in_area),
        }
        for n, arrival in enumerate(
            datetime.combine(some_day(rng), time(rng.randrange(24), 30))
            for _ in range(rng.randrange(3))
        )
    ]
    rows["urgent_care_contacts"] = [
        {
            "pseudo_id": pid,
            "contact_id": record_token(f"{pid}-u{n}"),
            "service": rng.choice(["AMBULANCE", "NHS111"]),
            "contact_datetime": f"{some_day(rng)} 08:00:00",
            "from_care_home": rng.choice(["Y", "N", None]),
            "outcome": rng.choice(["CONVEYED", "CONVEYED", "SEE_AND_TREAT"]),
            "postcode_in_area": rng.choice(in_area),
        }
        for n in range(rng.randrange(3))
    ]
    ready = some_day(rng)
    rows["delayed_transfers"] = [
        {
            "pseudo_id": pid,
            "delay_id": record_token(f"{pid}-d{n}"),
            "provider_code": "RZA",
            "ready_date": ready,
            "transfer_date": later(rng, ready, 40),
            "reason": rng.choice(["A", "DI", "E"]),
            "agency": rng.choice(["NHS", "SC", "BOTH"]),
            "age_at_ready_date": rng.choice([17, 18, 70]),
            "postcode_in_area": rng.choice(in_area),
        }
        for n in range(rng.randrange(2))
    ]
    died = some_day(rng)
    rows["deaths"] = (
        [
            {
                "pseudo_id": pid,
                "date_of_death": died,
                "place_of_death": rng.choice(["HOME", "CARE_HOME", "HOSPITAL", "HOSPICE"]),
            }
        ]
        if rng.random() < 0.25
        else []
    )
    rows["eol_register"] = (
        [
            {
                "pseudo_id": pid,
                "added_date": some_day(rng, date(2013, 6, 1), 700),
                "preferred_place_of_death": rng.choice([None, "HOME", "HOSPITAL", "HOSPICE"]),
            }
        ]
        if rng.random() < 0.4
        else []
    )
    rows["gp_conditions"] = (
        [
            {
                "pseudo_id": pid,
                "practice_code": "P1",
                "condition": rng.choice(["DEM", "DEM", "HF"]),
                "diagnosed_date": some_day(rng, date(2012, 1, 1), 1500),
                "resolved_date": maybe(rng, some_day(rng), 0.2),
            }
        ]
        if rng.random() < 0.4
        else []
    )
    return rows


# Wards by postcode: W1's decile is 1 (two postcodes of three), W2's 8 (a tie of 8 and 9 goes
# to the lower), W3's locality North (a tie with South goes to the lower name).
GEOGRAPHY = [
    ("E01", "W1", "One", "North", 1),
    ("E01", "W1", "One", "North", 1),
    ("E01", "W1", "One", "North", 2),
    ("E02", "W2", "Two", "South", 9),
    ("E02", "W2", "Two", "South", 8),
    ("E03", "W3", "Three", "South", 5),
    ("E03", "W3", "Three", "North", 5),
]


def place_and_age(rng: random.Random, tables: dict[str, list[dict]]) -> None:
    """Give every row with a postcode its ward (in the area or not), and the ages the
    breakdowns by age band read."""
    born = {p["pseudo_id"]: int(p["birth_month"][:4]) for p in tables["person"]}
    for rows in tables.values():
        for row in rows:
            if "postcode_in_area" in row:
                inside = row["postcode_in_area"]
                row["ward_code"] = rng.choice(["W1", "W2", "W3"]) if inside else None
                if inside is False:
                    row["ward_code"] = rng.choice(["X9", None])
    for table, column in (
        ("acute_ae", "age_at_arrival_datetime"),
        ("deaths", "age_at_date_of_death"),
        ("social_care_events", "age_at_event_end_date"),
    ):
        for row in tables[table]:
            row[column] = 2015 - born[row["pseudo_id"]] + rng.choice([0, 1])


def build_random_area(path, seed: int, people: int = 200) -> None:
    rng = random.Random(seed)
    with duckdb.connect(str(path)) as con:
        schema.create_all(con)
        con.executemany("INSERT INTO geography VALUES (?, ?, ?, ?, ?)", GEOGRAPHY)
        con.execute("INSERT INTO practices VALUES ('P1', 'One', 'North'), ('P2', 'Two', 'South')")
        bands = [f"{low}-{low + 4}" for low in range(0, 90, 5)] + ["90+"]
        for year in (2014, 2015, 2016):
            for ward in ("W1", "W2", "W3", "X9"):
                for band in bands:
                    con.execute(
                        "INSERT INTO population VALUES (?, ?, '2', ?, ?)",
                        [ward, year, band, rng.randrange(50, 900)],
                    )
        con.execute(
            "INSERT INTO experience_survey (question_id, question_text, period, positive_responses,"
            " total_responses) VALUES ('GPPS_LTC_SUPPORT', 'q', '2015/16', 61, 97)"
        )
        tables: dict[str, list[dict]] = {}
        for n in range(people):
            for table, rows in person_rows(rng, f"p{n}").items():
                tables.setdefault(table, []).extend(rows)
        place_and_age(random.Random(seed), tables)
        pids = [f"p{n}" for n in range(people)]
        number = dict(zip(pids, person_numbers(con, pids), strict=True))
        for table, rows in tables.items():
            rows = [{**r, "pseudo_id": number[r["pseudo_id"]]} for r in rows]
            batch = pyarrow.Table.from_pylist(rows)  # noqa: F841 (read by DuckDB below)
            con.execute(
                f"INSERT INTO {table} ({', '.join(batch.column_names)}) SELECT * FROM batch"
            )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_engine_and_reference_agree_on_random_areas(tmp_path, seed):
    path = tmp_path / "random.duckdb"
    build_random_area(path, seed)
    with store.reading(path) as con:
        computed = engine.compute_metrics(con)
        expected = reference.compute_metrics(con)
    assert {r["id"] for r in computed} == set(engine.METRICS)
    for counted in ("readmissions_30d", "care_direct_from_hospital"):
        assert sum(r["numerator"] or 0 for r in computed if r["id"] == counted) > 0
    assert sum(r["denominator"] for r in computed if r["id"] == "preferred_place_of_death") > 0
    assert_same_records(computed, expected)


@pytest.mark.parametrize(("seed", "by"), list(enumerate(engine.BREAKDOWNS, start=4)))
def test_engine_and_reference_agree_on_every_breakdown_of_random_areas(tmp_path, seed, by):
    path = tmp_path / "random.duckdb"
    build_random_area(path, seed)
    with store.reading(path) as con:
        computed = engine.compute_metrics(con, by=by)
        expected = reference.compute_metrics(con, by=by)
    groups = {r["group"] for r in computed}
    assert len(groups - {None, "unknown"}) >= 2  # real groups, not all in one
    assert_same_records(computed, expected)
