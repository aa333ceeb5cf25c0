"""Small hand-built warehouses for the risk tests (helpers only, imported by test_risk_*.py).

`Warehouse` inserts exact rows; `synthetic_area` builds a few hundred people whose hidden
frailty drives their conditions, services and admissions from 2013-04 to 2016-03, so that
models have something to learn and the tests run in seconds.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import duckdb
import numpy as np
import pyarrow as pa
from record_tokens import person_numbers, tokenised

from joinedup import contract
from joinedup.warehouse import pseudonyms, schema

PRACTICES = (
    ("P1", "Practice one", "North"),
    ("P2", "Practice two", "North"),
    ("P3", "Three", "South"),
)
ACTIVITY_COSTS = {
    "NEL_SPELL": 1800.0,
    "EL_SPELL": 1200.0,
    "DAY_CASE": 700.0,
    "AE_ATTENDANCE": 130.0,
    "GP_APPOINTMENT": 30.0,
    "COMMUNITY_CONTACT": 50.0,
    "MH_CONTACT": 100.0,
    "AMBULANCE_CONVEYED": 250.0,
    "PRESCRIPTION_ITEM": 10.0,
    "NHS111_CALL": 12.0,
    "OOH_CONTACT": 70.0,
    "COMMUNITY_BED_DAY": 300.0,
    "AMBULANCE_SEE_AND_TREAT": 180.0,
    "AMBULANCE_HEAR_AND_TREAT": 40.0,
}
START, MONTHS = date(2013, 4, 1), 36
# A row's typical values by table, so that a builder or a test gives only what it is about.
TYPICAL = {
    "acute_apc": {"provider_code": "RZA", "patient_classification": "1", "primary_diagnosis": "R69"},
    "acute_ae": {"provider_code": "RZA", "arrival_mode": "2", "disposal": "HOM"},
    "gp_conditions": {"practice_code": "P1"},
    "gp_medications": {"practice_code": "P1", "repeat": "Y"},
    "gp_appointments": {"practice_code": "P1", "staff_role": "GP", "mode": "FACE_TO_FACE",
                        "status": "ATTENDED"},
    "social_care_events": {"client_type": "SERVICE_USER"},
    "community_contacts": {"service": "FALLS", "contact_mode": "FACE_TO_FACE"},
    "mental_health_contacts": {"team_type": "MEMORY_ASSESSMENT"},
    "urgent_care_contacts": {"service": "NHS111", "outcome": "SELF_CARE"},
    "delayed_transfers": {"provider_code": "RZA", "reason": "A", "agency": "NHS"},
}  # fmt: skip
# Each feed's own record id (the first sender's id among its columns): a fresh one per row.
RECORD_ID = {
    f.name: next((c for c in f.column_names if c in schema.SOURCE_RECORD_IDS), None)
    for f in contract.feeds().values()
}


class Warehouse:
    def __init__(self, path) -> None:
        self.path = path
        self._con = duckdb.connect(str(path))
        self._pending: dict[tuple[str, tuple[str, ...]], list[tuple]] = {}
        schema.create_all(self._con)
        self.insert_rows("practices", ["practice_code", "practice_name", "locality"], PRACTICES)
        years = ("2013/14", "2014/15", "2015/16", "2016/17")
        self.insert_rows(
            "unit_costs",
            ["activity", "financial_year", "unit", "cost_gbp"],
            [(a, y, "each", c) for a, c in ACTIVITY_COSTS.items() for y in years],
        )
        self._ids = 0

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        """The connection, after every buffered row has been written."""
        for (table, columns), rows in self._pending.items():
            data = pa.table(
                {c: [tokenised(c, r[i]) for r in rows] for i, c in enumerate(columns)}
            )
            if "pseudo_id" in columns:
                given = [r[columns.index("pseudo_id")] for r in rows]
                numbers = pa.array(person_numbers(self._con, given), pa.int32())
                data = data.set_column(columns.index("pseudo_id"), "pseudo_id", numbers)
            self._con.register("incoming", data)
            self._con.execute(f"INSERT INTO {table} ({', '.join(columns)}) SELECT * FROM incoming")
            self._con.unregister("incoming")
        self._pending.clear()
        return self._con

    def pseudonyms(self, numbers) -> list[str]:
        """The test's pseudonyms (text) of person numbers (a FeatureTable's, stored scores')."""
        return list(pseudonyms.pseudonyms_of(self.con, numbers))

    def close(self) -> None:
        self.con.close()

    def insert_rows(self, table: str, columns: list[str], rows) -> None:
        self._pending.setdefault((table, tuple(columns)), []).extend(rows)

    def insert(self, table: str, **values) -> None:
        self.insert_rows(table, list(values), [tuple(values.values())])

    def row(self, table: str, pid, **values) -> None:
        """A row of `table` for person `pid`: its typical values, a fresh record id unless
        `values` gives one, then `values`."""
        record_id = RECORD_ID.get(table)
        fresh = {record_id: self.next_id()} if record_id and record_id not in values else {}
        self.insert(table, pseudo_id=pid, **{**TYPICAL.get(table, {}), **fresh, **values})

    def next_id(self) -> str:
        self._ids += 1
        return f"E{self._ids}"

    def person(
        self, pid, birth_month="1940-06", sex="2", practice="P1", registered=date(2000, 1, 1), imd=5
    ) -> None:
        self.insert("person", pseudo_id=pid, sex=sex, birth_month=birth_month)
        self.register(pid, sex, practice, registered, imd)

    def register(self, pid, sex="2", practice="P1", registered=date(2000, 1, 1), imd=5) -> None:
        self.insert(
            "gp_register",
            pseudo_id=pid,
            sex=sex,
            practice_code=practice,
            registration_date=registered,
            imd_decile=imd,
            postcode_in_area=True,
        )

    def spell(self, pid, admitted: date, days=3, method="21", specialty="300", cost=None):
        discharged = admitted + timedelta(days=days)
        self.row("acute_apc", pid, admission_date=admitted, discharge_date=discharged,
                 admission_method=method, main_specialty=specialty, spell_cost=cost)  # fmt: skip

    def ae(self, pid, arrived: date):
        self.row("acute_ae", pid, arrival_datetime=datetime.combine(arrived, datetime.min.time()))

    def condition(self, pid, code, diagnosed: date, resolved=None):
        self.row("gp_conditions", pid, condition=code, diagnosed_date=diagnosed,
                 resolved_date=resolved)  # fmt: skip

    def medicine(self, pid, bnf, issued: date):
        self.row("gp_medications", pid, bnf_code=bnf, issue_date=issued)

    def service(
        self,
        pid,
        start: date,
        end=None,
        service_type="LTS_COMMUNITY",
        component="HOME_CARE",
        placement=None,
        weekly_cost=200.0,
        reason="PHYS_MOBILITY",
    ):
        self.row("social_care_events", pid, primary_support_reason=reason, event_type="SERVICE",
                 event_start_date=start, event_end_date=end, service_type=service_type,
                 service_component=component, placement_type=placement,
                 weekly_cost=weekly_cost)  # fmt: skip

    def carer(self, pid, start: date, end=None):
        """Carer support for the person's carer, on the person's record (a CARER client)."""
        self.row("social_care_events", pid, client_type="CARER", event_type="SERVICE",
                 event_start_date=start, event_end_date=end, service_type="CARER_SUPPORT",
                 service_component="OTHER", weekly_cost=35.0)  # fmt: skip

    def assessment(self, pid, day: date, reason="PHYS_MOBILITY"):
        self.row("social_care_events", pid, primary_support_reason=reason,
                 event_type="ASSESSMENT", event_start_date=day, event_end_date=day,
                 event_outcome="LONG_TERM_SUPPORT")  # fmt: skip

    def objection(self, pid, kind="NDOO", recorded=date(2010, 1, 1), withdrawn=None):
        self.insert(
            "objections",
            pseudo_id=pid,
            objection_type=kind,
            recorded_date=recorded,
            withdrawn_date=withdrawn,
        )


def _day(rng, month: int) -> date:
    first = date(
        START.year + (START.month - 1 + month) // 12, (START.month - 1 + month) % 12 + 1, 1
    )
    return first + timedelta(days=int(rng.integers(0, 28)))


def synthetic_area(path, people: int = 600, seed: int = 0) -> Warehouse:
    """People with a hidden frailty that drives every kind of event, month by month."""
    rng = np.random.default_rng(seed)
    w = Warehouse(path)
    registers = ("HYP", "DM", "COPD", "HF", "CKD", "DEM", "AF")
    for i in range(people):
        pid = f"p{i:04d}"
        age = int(rng.integers(20, 96))
        frailty = rng.normal() + (age - 60) / 20
        dependent = frailty + rng.normal() > 1.5  # needs social care; adds to admission risk
        w.person(
            pid,
            birth_month=f"{2013 - age}-{int(rng.integers(1, 13)):02d}",
            sex=str(int(rng.integers(1, 3))),
            practice=PRACTICES[i % 3][0],
            imd=int(rng.integers(1, 11)),
        )
        for code in registers:
            if rng.random() < 1 / (1 + np.exp(-(frailty - 1.5))):
                w.condition(pid, code, date(2010, 1, 1))
        monthly = np.exp(-4.2 + 0.8 * frailty + (0.7 if dependent else 0))
        if dependent:
            w.service(pid, _day(rng, int(rng.integers(0, 12))))
        for month in range(MONTHS):
            for _ in range(rng.poisson(monthly)):
                w.spell(pid, _day(rng, month))
            for _ in range(rng.poisson(monthly * 1.5)):
                w.ae(pid, _day(rng, month))
            for _ in range(rng.poisson(0.3 * max(frailty, 0))):
                w.medicine(
                    pid,
                    f"0{int(rng.integers(1, 10))}0{int(rng.integers(1, 9))}0000",
                    _day(rng, month),
                )
            if dependent and rng.random() < 0.004 * np.exp(frailty):
                w.service(
                    pid,
                    _day(rng, month),
                    service_type="LTS_NURSING",
                    component="NURSING_PLACEMENT",
                    placement="PERMANENT",
                    weekly_cost=700.0,
                )
    return w
