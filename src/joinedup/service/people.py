"""Tier P content (GOVERNANCE.md): the cohort builder, a person's pseudonymised timeline, the risk
pyramid and exports. Only the tier P columns ever leave this module; people with an active
national data opt-out are not in the base table at all."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import re
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.parquet as pq

from joinedup.errors import BadInput
from joinedup.governance import disclosure
from joinedup.governance.objections import still_opted_out_sql
from joinedup.service.warehouse import Snapshot

PAGE_SIZE = 50
BASE = "memory.cohort_base"
# Built with the base, once per snapshot: a cohort's activity by month is one filtered scan (no
# join per request), and a person's timeline a lookup in a table sorted by pseudonym.
ACTIVITY = "memory.cohort_activity"
TIMELINE = "memory.person_timeline"
# The person list's columns: exactly the tier P set (no date finer than a month, no identifier).
PERSON_COLUMNS = ("pseudonym", "age_band", "sex", "ward", "lsoa_code", "locality", "imd_decile",
                  "practice_code", "ltc_count", "segment", "social_care_status", "high_cost",
                  "risk_tier", "emergency_admission_risk", "events", "cost_gbp")  # fmt: skip
# filter -> column of the base table; values are checked against the base's own values
FILTERS = {
    "year": "financial_year",
    "age_band": "age_band",
    "sex": "sex",
    "locality": "locality",
    "ward": "ward",
    "practice": "practice_code",
    "ltc_count": "ltc_band",
    "social_care": "social_care_status",
    "segment": "segment",
    "risk_tier": "risk_tier",
    "high_cost": "high_cost_flag",
}
ACTIVITY_FILTER = "activity"  # an organisation type with activity in the year


def _age_band_sql() -> str:
    # whole years at the end of the financial year (31 March), from the birth month
    age = ("(CAST(substr(s.financial_year, 1, 4) AS INTEGER) + 1) * 12 + 3"
           " - (CAST(substr(p.birth_month, 1, 4) AS INTEGER) * 12 + CAST(substr(p.birth_month, 6, 2) AS INTEGER))")  # fmt: skip
    band = f"LEAST(CAST(floor(({age}) / 12 / 5) AS INTEGER) * 5, 90)"
    return f"CASE WHEN {band} >= 90 THEN '90+' ELSE {band} || '-' || ({band} + 4) END"


def _base_sql(has_risk: bool) -> str:
    risk = (
        "SELECT pseudo_id, tier, emergency_admission FROM risk_scores"
        " WHERE index_date = (SELECT max(index_date) FROM risk_scores)"
        if has_risk
        else "SELECT NULL::INTEGER AS pseudo_id, NULL::VARCHAR AS tier, NULL::DOUBLE AS emergency_admission"
    )
    return f"""
    CREATE OR REPLACE TABLE {BASE} AS
    WITH opted_out AS ({still_opted_out_sql()}),
    reg AS (SELECT pseudo_id, practice_code, ward_code, lsoa_code, imd_decile,
                   row_number() OVER (PARTITION BY pseudo_id ORDER BY registration_date DESC) AS rn
            FROM gp_register WHERE pseudo_id IS NOT NULL),
    wards AS (SELECT ward_code, any_value(ward_name) AS ward_name FROM geography GROUP BY ward_code),
    risk AS ({risk}),
    activity AS (SELECT pseudo_id, period, sum(events) AS events FROM person_year_cost GROUP BY ALL)
    SELECT s.pseudo_id, n.pseudonym, s.financial_year, {_age_band_sql()} AS age_band, p.sex, s.locality,
           w.ward_name AS ward, r.lsoa_code, r.imd_decile, r.practice_code, s.ltc_count,
           s.ltc_band, s.ltc_band AS segment, s.social_care_status, s.high_cost,
           CASE WHEN s.high_cost THEN 'yes' ELSE 'no' END AS high_cost_flag,
           k.tier AS risk_tier, round(k.emergency_admission, 3) AS emergency_admission_risk,
           coalesce(a.events, 0) AS events, round(s.total_cost, 2) AS cost_gbp
    FROM person_year_segment s
    JOIN person p ON p.pseudo_id = s.pseudo_id
    JOIN pseudonyms n ON n.pseudo_id = s.pseudo_id
    LEFT JOIN reg r ON r.pseudo_id = s.pseudo_id AND r.rn = 1
    LEFT JOIN wards w ON w.ward_code = r.ward_code
    LEFT JOIN risk k ON k.pseudo_id = s.pseudo_id
    LEFT JOIN activity a ON a.pseudo_id = s.pseudo_id AND a.period = s.financial_year
    WHERE s.resident AND NOT coalesce(s.national_opt_out, false)
      AND s.pseudo_id NOT IN (SELECT pseudo_id FROM opted_out)
    ORDER BY s.financial_year, age_band, p.sex, s.locality"""  # the common filters skip blocks


DERIVED_SQL = (
    f"CREATE INDEX cohort_base_person ON {BASE} (pseudonym)",  # a person's years: a look-up
    f"""CREATE OR REPLACE TABLE {ACTIVITY} AS
    SELECT b.*, c.period AS month, c.org_type, c.events AS month_events, c.cost_gbp AS month_cost
    FROM person_month_cost c
    JOIN calendar_month m ON m.month = c.period
    JOIN {BASE} b ON b.pseudo_id = c.pseudo_id AND b.financial_year = m.financial_year
    ORDER BY b.financial_year, b.age_band, b.sex, b.locality""",  # sorted by the common filters: their blocks are skipped
    f"""CREATE OR REPLACE TABLE {TIMELINE} AS
    SELECT pseudo_id, month, org_type, activity, count(*) AS events, round(sum(cost_gbp), 2) AS cost_gbp
    FROM person_event WHERE pseudo_id IN (SELECT pseudo_id FROM {BASE})
    GROUP BY ALL ORDER BY pseudo_id, month, org_type, activity""",
)


def _tables(con) -> set[str]:
    return {
        r[0]
        for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = 'store'"
        ).fetchall()
    }


@dataclass(frozen=True)
class Options:
    """The values each filter may take (from the base table), and the default year."""

    values: dict[str, tuple[str, ...]]
    year: str
    has_risk: bool
    has_reasons: bool = False  # risk_scores holds each score's top reasons


def options(snap: Snapshot) -> Options:
    def build(con) -> Options:
        has_risk = "risk_scores" in _tables(con)
        con.execute(_base_sql(has_risk))
        for sql in DERIVED_SQL:
            con.execute(sql)
        values = {
            name: tuple(
                str(v) for (v,) in con.execute(
                    f"SELECT DISTINCT {column} FROM {BASE} WHERE {column} IS NOT NULL ORDER BY 1"
                ).fetchall()
            )
            for name, column in FILTERS.items()
        }  # fmt: skip
        values[ACTIVITY_FILTER] = tuple(
            v
            for (v,) in con.execute(
                "SELECT DISTINCT org_type FROM person_year_cost ORDER BY 1"
            ).fetchall()
        )
        has_reasons = has_risk and bool(
            con.execute(
                "SELECT 1 FROM duckdb_columns() WHERE database_name = 'store'"
                " AND table_name = 'risk_scores' AND column_name = 'reasons'"
            ).fetchall()
        )
        year = values["year"][-1] if values["year"] else ""
        return Options(values, year, has_risk, has_reasons)

    return snap.cached("cohort_options", build)


def parse_filters(query: dict[str, str], opts: Options) -> dict[str, str]:
    """The filters of a request, each checked against the values it may take."""
    chosen = {}
    for name in (*FILTERS, ACTIVITY_FILTER):
        value = (query.get(name) or "").strip()
        if not value:
            continue
        if value not in opts.values[name]:
            raise BadInput(f"query parameter {name}: not one of the values in the data")
        chosen[name] = value
    chosen.setdefault("year", opts.year)
    return chosen


def _where(filters: dict[str, str]) -> tuple[str, list]:
    clauses, params = [], []
    for name, value in filters.items():
        if name == ACTIVITY_FILTER:
            clauses.append(
                "b.pseudo_id IN (SELECT pseudo_id FROM person_year_cost WHERE period = ? AND org_type = ? AND events > 0)"
            )
            params += [filters["year"], value]
        else:
            clauses.append(f"b.{FILTERS[name]} = ?")  # every filter column is VARCHAR
            params.append(value)
    return " AND ".join(clauses) or "TRUE", params


def cohort(snap: Snapshot, filters: dict[str, str], page: int = 1) -> dict:
    """The cohort's size, its activity and spend by organisation type and month, one page of people."""
    options(snap)
    con = snap.con
    where, params = _where(filters)
    (count,) = con.execute(f"SELECT count(*) FROM {BASE} b WHERE {where}", params).fetchone()
    pages = max(1, -(-count // PAGE_SIZE))
    page = min(max(page, 1), pages)
    columns = ", ".join(f"b.{c}" for c in PERSON_COLUMNS)
    rows = con.execute(
        f"SELECT {columns} FROM {BASE} b WHERE {where} ORDER BY b.cost_gbp DESC, b.pseudonym LIMIT ? OFFSET ?",
        [*params, PAGE_SIZE, (page - 1) * PAGE_SIZE],
    ).fetchall()
    activity = con.execute(
        f"""SELECT month, org_type, sum(month_events), round(sum(month_cost), 2)
        FROM {ACTIVITY} b WHERE {where} GROUP BY ALL ORDER BY 1, 2""",
        params,
    ).fetchall()
    return {
        "count": int(count),
        "filters": filters,
        "page": page,
        "pages": pages,
        "people": [dict(zip(PERSON_COLUMNS, row, strict=True)) for row in rows],
        "activity": [
            {"month": m, "org_type": o, "events": int(e), "cost_gbp": float(c)}
            for m, o, e, c in activity
        ],
    }


def members(snap: Snapshot, filters: dict[str, str]) -> set[str]:
    """Every pseudonym of the cohort (for the evaluator; never shown: it publishes aggregates)."""
    options(snap)
    where, params = _where(filters)
    rows = snap.con.execute(f"SELECT b.pseudonym FROM {BASE} b WHERE {where}", params).fetchall()
    return {pseudonym for (pseudonym,) in rows}


def person(snap: Snapshot, pseudonym: str) -> dict | None:
    """One person's pseudonymised timeline across organisations by month, with cost; None for an
    unknown or opted-out person."""
    options(snap)
    con = snap.con
    columns = ", ".join(c for c in PERSON_COLUMNS if c not in ("pseudonym",))
    years = con.execute(
        f"SELECT pseudo_id, financial_year, {columns} FROM {BASE} WHERE pseudonym = ?"
        " ORDER BY financial_year",
        [pseudonym],
    ).fetchall()
    if not years:
        return None
    number = years[0][0]  # the warehouse's number for the person
    years = [row[1:] for row in years]
    months = con.execute(
        f"SELECT month, org_type, activity, events, cost_gbp FROM {TIMELINE} WHERE pseudo_id = ? ORDER BY 1, 2, 3",
        [number],
    ).fetchall()
    names = ("financial_year", *(c for c in PERSON_COLUMNS if c != "pseudonym"))
    reasons = _reasons(con, number, years[-1][1]) if options(snap).has_reasons else []
    return {
        "pseudonym": pseudonym,
        "years": [dict(zip(names, row, strict=True)) for row in years],
        "risk_reasons": reasons,
        "timeline": [
            {"month": m, "org_type": o, "activity": a, "events": int(e), "cost_gbp": float(c or 0)}
            for m, o, a, e, c in months
        ],
    }


EXACT_AGE = re.compile(r"\bage \((\d+)\)")


def _reasons(con, number: int, age_band: str) -> list[str]:
    """The latest emergency admission score's top reasons, most first; an age in a reason is
    shown as the person's 5-year band (tier P shows no exact age)."""
    row = con.execute(
        "SELECT reasons FROM risk_scores WHERE pseudo_id = ? ORDER BY index_date DESC LIMIT 1",
        [number],
    ).fetchone()
    if row is None or not row[0]:
        return []
    return [EXACT_AGE.sub(f"age {age_band}", r.strip()) for r in row[0].split(";") if r.strip()]


def pyramid(snap: Snapshot) -> dict:
    """People per risk tier by locality (latest scores, opted-out people left out), tier A gated."""

    from joinedup.risk.tiers import TIER_NAMES  # here: it imports the risk models' dependencies

    def build(con) -> dict:
        if not options(snap).has_risk:
            return {"index_date": None, "tiers": list(TIER_NAMES), "localities": []}
        (index,) = con.execute("SELECT max(index_date) FROM risk_scores").fetchone()
        rows = con.execute(
            f"""SELECT locality, tier, count(*) FROM risk_scores
            WHERE index_date = ? AND pseudo_id NOT IN ({still_opted_out_sql()}) GROUP BY ALL""",
            [index],
        ).fetchall()
        raw: dict[str, dict[str, int]] = {}
        for locality, tier, n in rows:
            raw.setdefault(locality or "unknown", dict.fromkeys(TIER_NAMES, 0))[tier] = int(n)
        localities = [
            {
                "locality": name,
                "total": disclosure.count(sum(parts.values())),
                "tiers": disclosure.parts(parts),
            }
            for name, parts in sorted(raw.items())
        ]
        return {
            "index_date": index.isoformat(),
            "tiers": list(TIER_NAMES),
            "localities": localities,
        }

    return snap.cached("pyramid", build)


def tile(snap: Snapshot, filters: dict[str, str]) -> dict:
    """A saved cohort published to the board: its size and spend through the tier A gate."""
    result = cohort(snap, filters, page=1)
    spend = sum(a["cost_gbp"] for a in result["activity"])
    people = disclosure.count(result["count"])
    return {
        "filters": filters,
        "people": people,
        "spend_gbp": disclosure.rounded_money(spend) if people else None,
    }


# --- exports ------------------------------------------------------------------------------------


def export_pseudonym(secret: bytes, recipient: str, purpose: str, pseudo_id: str) -> str:
    """Keyed by recipient and purpose: two exports cannot be joined to each other or the warehouse."""
    message = f"{recipient}\x00{purpose}\x00{pseudo_id}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()[:32]


def export(snap: Snapshot, filters: dict[str, str], secret: bytes, recipient: str,
           purpose: str, fmt: str) -> tuple[bytes, int]:  # fmt: skip
    """Every person of the cohort (tier P columns, export pseudonyms) as CSV or Parquet bytes."""
    options(snap)
    con = snap.con
    where, params = _where(filters)
    columns = ", ".join(f"b.{c}" for c in PERSON_COLUMNS)
    rows = con.execute(
        f"SELECT {columns} FROM {BASE} b WHERE {where} ORDER BY 1", params
    ).fetchall()
    rows = [(export_pseudonym(secret, recipient, purpose, r[0]), *r[1:]) for r in rows]
    if fmt == "parquet":
        table = pa.table({c: [r[i] for r in rows] for i, c in enumerate(PERSON_COLUMNS)})
        sink = io.BytesIO()
        pq.write_table(table, sink)
        return sink.getvalue(), len(rows)
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(PERSON_COLUMNS)
    writer.writerows(rows)
    return text.getvalue().encode(), len(rows)
