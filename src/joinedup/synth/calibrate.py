"""`joinedup calibrate DIR`: the generated area's yearly figures against the published ones
(`../shared/calibration.md`), with pass or fail for each.

The figures are computed from the generated files: each feed is read with its contract types
(rows the generator broke on purpose are left out, as landing would quarantine them) and joined
to the truth's person of every row, so that this report measures the simulation itself, not the
linkage. Residency follows metrics.md: the row's own postcode, else the person's latest
gp_register postcode on or before the event.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb

from joinedup import contract
from joinedup.errors import BadInput, CheckFailed
from joinedup.synth.config import REFERENCE_PEOPLE

FEEDS = ("acute_apc", "acute_ae", "social_care_events", "delayed_transfers", "deaths",
         "eol_register", "gp_register", "gp_conditions", "community_contacts", "urgent_care_contacts")
SQL_TYPES = {"date": "DATE", "datetime": "TIMESTAMP", "integer": "BIGINT", "decimal": "DOUBLE"}
EVENT_DATE = {"acute_apc": "admission_date", "acute_ae": "arrival_datetime",
              "social_care_events": "event_start_date", "delayed_transfers": "ready_date",
              "community_contacts": "contact_date", "urgent_care_contacts": "contact_datetime"}


@dataclass(frozen=True)
class Row:
    figure: str
    year: str
    target: float
    low: float
    high: float
    value: float

    @property
    def passed(self) -> bool:
        return self.low <= self.value <= self.high


def load_files(directory: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    for name in ("population", "postcode_lookup"):
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM read_csv('{directory / name}.csv', header=true)")
    con.execute(f"CREATE TABLE row_person AS SELECT * FROM read_csv('{directory}/truth/row_person.csv', "
                "header=true, columns={'feed':'VARCHAR','line':'BIGINT','person_id':'BIGINT'})")
    con.execute(f"CREATE TABLE broken AS SELECT DISTINCT feed, CAST(line AS BIGINT) AS line FROM read_csv("
                f"'{directory}/truth/broken_rows.csv', header=true, all_varchar=true)")
    for name in FEEDS:
        _load_feed(con, directory, name)
    _residency(con)
    return con


def _load_feed(con, directory: Path, name: str) -> None:
    feed = contract.feed(name)
    casts = ", ".join(
        f"TRY_CAST(\"{c.name}\" AS {SQL_TYPES[c.base_type]}) AS \"{c.name}\""
        if c.base_type in SQL_TYPES else f'"{c.name}"' for c in feed.columns)
    con.execute(f"""
        CREATE TABLE {name} AS
        WITH raw AS (SELECT *, row_number() OVER () + 1 AS line
                     FROM read_csv('{directory / name}.csv', header=true, all_varchar=true))
        SELECT {casts}, p.person_id, raw.line FROM raw
        JOIN row_person p ON p.feed = '{name}' AND p.line = raw.line
        WHERE raw.line NOT IN (SELECT line FROM broken WHERE feed = '{name}')""")


def _residency(con) -> None:
    for name, date_column in EVENT_DATE.items():
        con.execute(f"""
            ALTER TABLE {name} ADD COLUMN resident BOOLEAN;
            UPDATE {name} SET resident = coalesce(
                (SELECT true FROM postcode_lookup l WHERE l.postcode = {name}.postcode),
                CASE WHEN {name}.postcode IS NOT NULL THEN false END,
                (SELECT l.postcode IS NOT NULL FROM gp_register g
                   LEFT JOIN postcode_lookup l ON l.postcode = g.postcode
                  WHERE g.person_id = {name}.person_id
                    AND g.registration_date <= CAST({name}.{date_column} AS DATE)
                  ORDER BY g.registration_date DESC LIMIT 1),
                false)""")
    con.execute("""
        CREATE TABLE resident_deaths AS SELECT d.* FROM deaths d
        WHERE (SELECT l.postcode IS NOT NULL FROM gp_register g
                 LEFT JOIN postcode_lookup l ON l.postcode = g.postcode
                WHERE g.person_id = d.person_id AND g.registration_date <= d.date_of_death
                ORDER BY g.registration_date DESC LIMIT 1)""")


def financial_years(con) -> list[tuple[str, str, str]]:
    """(label, first day, last day) of each complete financial year after the first: the first
    year lacks the history that last-year-of-life and readmission figures look back on."""
    first_year, last_year = con.execute("SELECT min(year), max(year) FROM population").fetchone()
    last_day = str(con.execute("SELECT max(admission_date) FROM acute_apc").fetchone()[0])
    years = []
    for year in range(first_year + 1, last_year + 1):
        start, end = f"{year}-04-01", f"{year + 1}-03-31"
        if end <= last_day:
            years.append((f"{year}/{str(year + 1)[2:]}", start, end))
    return years


FIGURE_SQL = {
    "aged 65+ (% of residents)": """
        SELECT 100.0 * sum(population) FILTER (WHERE age_band >= '65' AND age_band NOT LIKE '5%'
               AND age_band NOT LIKE '6-%' AND length(age_band) > 3) / sum(population)
        FROM population WHERE year = $y""",
    "aged 75+": """SELECT sum(population) FROM population WHERE year = $y
                   AND age_band IN ('75-79','80-84','85-89','90+')""",
    "people with a long-term condition": """
        SELECT count(DISTINCT c.person_id) FROM gp_conditions c
        WHERE c.diagnosed_date <= $mid AND (c.resolved_date IS NULL OR c.resolved_date > $mid)
          AND c.condition NOT IN ('PC', 'DEP') AND c.person_id IN (SELECT person_id FROM registered_mid)""",
    "dementia: estimated 65+ with dementia": "SELECT 0.071 * count(*) FROM registered_mid WHERE age >= 65",
    "dementia: on the GP register": """
        SELECT count(DISTINCT c.person_id) FROM gp_conditions c JOIN registered_mid r USING (person_id)
        WHERE c.condition = 'DEM' AND c.diagnosed_date <= $mid AND r.age >= 65""",
    "adults receiving council-funded social care": """
        SELECT count(DISTINCT person_id) FROM social_care_events
        WHERE event_type = 'SERVICE' AND client_type = 'SERVICE_USER' AND event_start_date <= $end
          AND (event_end_date IS NULL OR event_end_date >= $start) AND resident""",
    "A&E attendances": """SELECT count(*) FROM acute_ae WHERE resident
                          AND CAST(arrival_datetime AS DATE) BETWEEN $start AND $end""",
    "A&E conversion (% admitted)": """
        SELECT 100.0 * count(*) FILTER (WHERE disposal = 'ADM') / count(*) FROM acute_ae
        WHERE resident AND CAST(arrival_datetime AS DATE) BETWEEN $start AND $end""",
    "non-elective (G&A) admissions": """
        SELECT count(*) FROM acute_apc WHERE resident AND admission_date BETWEEN $start AND $end
          AND admission_method IN ('21','22','23','24','25','28','2A','2B','2C','2D')
          AND main_specialty NOT IN ('501','560') AND NOT (main_specialty BETWEEN '700' AND '715')""",
    "permanent admissions 65+ to residential/nursing care": """
        SELECT count(DISTINCT s.person_id) FROM social_care_events s
        WHERE s.resident AND s.event_type = 'SERVICE' AND s.placement_type = 'PERMANENT'
          AND s.service_type IN ('LTS_RESIDENTIAL','LTS_NURSING')
          AND s.event_start_date BETWEEN $start AND $end
          AND s.person_id IN (SELECT person_id FROM ages WHERE age_at(s.event_start_date) >= 65)
          AND NOT EXISTS (SELECT 1 FROM social_care_events p WHERE p.person_id = s.person_id
                AND p.event_type = 'SERVICE' AND p.placement_type = 'PERMANENT'
                AND p.service_type IN ('LTS_RESIDENTIAL','LTS_NURSING')
                AND p.event_start_date <= s.event_start_date - 1
                AND (p.event_end_date IS NULL OR p.event_end_date >= s.event_start_date - 1))""",
    "still at home 91 days after reablement (%)": "SELECT still_home FROM reablement",
    "people delayed in a year": """SELECT count(DISTINCT person_id) FROM delayed_transfers
        WHERE resident AND ready_date <= $end AND (transfer_date IS NULL OR transfer_date > $start)""",
    "deaths (% of residents)": """
        SELECT 100.0 * count(*) / (SELECT sum(population) FROM population WHERE year = $y)
        FROM resident_deaths WHERE date_of_death BETWEEN $start AND $end""",
    "deaths in hospital (%)": """SELECT 100.0 * count(*) FILTER (WHERE place_of_death = 'HOSPITAL') / count(*)
        FROM resident_deaths WHERE date_of_death BETWEEN $start AND $end""",
    "emergency admissions in the last 12 months of life (EoL register)": """
        SELECT avg(n) FROM (
          SELECT d.person_id, count(a.person_id) AS n FROM resident_deaths d
          JOIN eol_register e ON e.person_id = d.person_id AND e.added_date <= d.date_of_death
          LEFT JOIN acute_apc a ON a.person_id = d.person_id
               AND a.admission_method IN ('21','22','23','24','25','28','2A','2B','2C','2D')
               AND a.admission_date BETWEEN d.date_of_death - 365 AND d.date_of_death
          WHERE d.date_of_death BETWEEN $start AND $end GROUP BY d.person_id)""",
    "people receiving a multi-disciplinary team review": """
        SELECT count(DISTINCT person_id) FROM community_contacts
        WHERE service = 'COMMUNITY_MATRON' AND contact_date BETWEEN $start AND $end""",
    "emergency admissions for injurious falls, 80+ (per 100,000)": """
        SELECT 100000.0 * count(*) / (SELECT sum(population) FROM population WHERE year = $y
                                      AND age_band IN ('80-84','85-89','90+'))
        FROM acute_apc a JOIN ages USING (person_id)
        WHERE a.resident AND a.admission_date BETWEEN $start AND $end
          AND a.admission_method IN ('21','22','23','24','25','28','2A','2B','2C','2D')
          AND age_at(a.admission_date) >= 80 AND a.primary_diagnosis SIMILAR TO '[ST].*'
          AND regexp_matches(coalesce(a.secondary_diagnoses, ''), '(^|;)W(0[0-9]|1[0-9])')""",
    "hospital inpatients staying over 7 days on a given day (acute)": """
        SELECT avg(n) FROM (SELECT d, count(a.spell_id) AS n FROM month_ends
          LEFT JOIN acute_apc a ON a.provider_code = 'RZA' AND a.admission_date < d - 7
               AND (a.discharge_date IS NULL OR a.discharge_date > d) AND a.resident
          WHERE d BETWEEN $start AND $end GROUP BY d)""",
    "hospital inpatients staying over 7 days on a given day (community)": """
        SELECT avg(n) FROM (SELECT d, count(a.spell_id) AS n FROM month_ends
          LEFT JOIN acute_apc a ON a.provider_code = 'RZC' AND a.admission_date < d - 7
               AND (a.discharge_date IS NULL OR a.discharge_date > d) AND a.resident
          WHERE d BETWEEN $start AND $end GROUP BY d)""",
}

# figure: (published value at 175,000 residents, tolerance, 'relative' | 'points' | 'absolute', scales)
TARGETS = {
    "aged 65+ (% of residents)": (18.3, 1.0, "points", False),
    "aged 75+": (9_000, 0.15, "relative", True),
    "people with a long-term condition": (32_116, 0.15, "relative", True),
    "dementia: estimated 65+ with dementia": (2_503, 0.15, "relative", True),
    "dementia: on the GP register": (1_139, 0.15, "relative", True),
    "adults receiving council-funded social care": (4_000, 0.20, "relative", True),
    "A&E attendances": (54_000, 0.10, "relative", True),
    "A&E conversion (% admitted)": (38.0, 3.0, "points", False),
    "non-elective (G&A) admissions": (18_645, 0.10, "relative", True),
    "permanent admissions 65+ to residential/nursing care": (200, 0.15, "relative", True),
    "still at home 91 days after reablement (%)": (80.0, 5.0, "points", False),
    "people delayed in a year": (41, 0.50, "relative", True),
    "deaths (% of residents)": (1.0, 0.15, "relative", False),
    "deaths in hospital (%)": (60.0, 8.0, "points", False),
    "emergency admissions in the last 12 months of life (EoL register)": (3.0, 0.5, "points", False),
    "people receiving a multi-disciplinary team review": (3_720, 0.25, "relative", True),
    "emergency admissions for injurious falls, 80+ (per 100,000)": (1_592, 0.20, "relative", False),
    "hospital inpatients staying over 7 days on a given day (acute)": (203, 0.25, "relative", True),
    "hospital inpatients staying over 7 days on a given day (community)": (29, 0.25, "relative", True),
}


def _year_tables(con, start: str, end: str, mid: str) -> None:
    con.execute(f"""
        CREATE OR REPLACE TABLE registered_mid AS
        SELECT DISTINCT g.person_id, date_diff('year', g.date_of_birth, DATE '{mid}')
               - CASE WHEN strftime(g.date_of_birth, '%m-%d') > strftime(DATE '{mid}', '%m-%d') THEN 1 ELSE 0 END AS age
        FROM gp_register g
        WHERE g.registration_date <= DATE '{mid}' AND (g.deregistration_date IS NULL OR g.deregistration_date > DATE '{mid}')
          AND g.person_id NOT IN (SELECT person_id FROM deaths WHERE date_of_death <= DATE '{mid}');
        CREATE OR REPLACE TABLE month_ends AS
        SELECT CAST(d AS DATE) - 1 AS d FROM range(DATE '{start}' + INTERVAL 1 MONTH,
                                                   DATE '{end}' + INTERVAL 2 DAY, INTERVAL 1 MONTH) t(d);
        CREATE OR REPLACE TABLE reablement AS
        WITH discharges AS (
            SELECT a.person_id, a.discharge_date FROM acute_apc a JOIN ages USING (person_id)
            WHERE a.resident AND a.discharge_date BETWEEN DATE '{start[:4]}-10-01' AND DATE '{start[:4]}-12-31'
              AND coalesce(a.discharge_method, '') <> '4' AND coalesce(a.discharge_destination, '') <> '79'
              AND age_at(a.discharge_date) >= 65),
        starts AS (
            SELECT d.person_id, d.discharge_date FROM discharges d
            WHERE EXISTS (SELECT 1 FROM social_care_events s WHERE s.person_id = d.person_id
                    AND s.event_type = 'SERVICE' AND s.service_type = 'STS_REABLEMENT'
                    AND s.event_start_date BETWEEN d.discharge_date AND d.discharge_date + 7)
               OR EXISTS (SELECT 1 FROM community_contacts c WHERE c.person_id = d.person_id
                    AND c.service IN ('INTERMEDIATE_CARE','REHABILITATION')
                    AND c.contact_date BETWEEN d.discharge_date AND d.discharge_date + 7)),
        cohort AS (SELECT person_id, min(discharge_date) + 91 AS d FROM starts GROUP BY person_id)
        SELECT 100.0 * count(*) FILTER (WHERE
                 NOT EXISTS (SELECT 1 FROM deaths x WHERE x.person_id = c.person_id AND x.date_of_death <= c.d)
             AND NOT EXISTS (SELECT 1 FROM acute_apc h WHERE h.person_id = c.person_id AND h.admission_date <= c.d
                             AND (h.discharge_date IS NULL OR h.discharge_date > c.d))
             AND NOT EXISTS (SELECT 1 FROM social_care_events p WHERE p.person_id = c.person_id
                             AND p.event_type = 'SERVICE' AND p.placement_type = 'PERMANENT'
                             AND p.service_type IN ('LTS_RESIDENTIAL','LTS_NURSING')
                             AND p.event_start_date <= c.d AND (p.event_end_date IS NULL OR p.event_end_date >= c.d))
               ) / count(*) AS still_home, count(*) AS cohort
        FROM cohort c""")


def calibration_rows(directory: Path) -> list[Row]:
    con = load_files(directory)
    people = con.execute(f"SELECT count(*) FROM read_csv('{directory}/truth/people.csv', header=true, "
                         "all_varchar=true) WHERE resident_at_start = '1'").fetchone()[0]
    scale = people / REFERENCE_PEOPLE
    con.execute("""CREATE TABLE ages AS SELECT DISTINCT ON (person_id) person_id, date_of_birth AS born
                   FROM gp_register ORDER BY person_id, registration_date DESC""")
    con.execute("""CREATE MACRO age_at(d) AS date_diff('year', born, d)
                   - CASE WHEN strftime(born, '%m-%d') > strftime(d, '%m-%d') THEN 1 ELSE 0 END""")
    rows = [Row("resident population at the start", "-", REFERENCE_PEOPLE * scale,
                REFERENCE_PEOPLE * scale, REFERENCE_PEOPLE * scale, people)]
    for label, start, end in financial_years(con):
        year = int(label[:4])
        mid = f"{year}-09-30"
        _year_tables(con, start, end, mid)
        params = {"start": start, "end": end, "mid": mid}
        for figure, sql in FIGURE_SQL.items():
            typed = sql
            for k in ("start", "end", "mid"):
                typed = typed.replace(f"${k}", f"DATE '{params[k]}'")
            value = con.execute(typed.replace("$y", str(year))).fetchone()[0]
            target, tolerance, kind, scales = TARGETS[figure]
            target = target * scale if scales else target
            low, high = ((target * (1 - tolerance), target * (1 + tolerance)) if kind == "relative"
                         else (target - tolerance, target + tolerance))
            rows.append(Row(figure, label, round(target, 2), round(low, 2), round(high, 2),
                            round(float(value or 0), 2)))
    return rows


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("directory", type=Path, help="a folder written by `joinedup synth`")
    parser.add_argument("--format", choices=("text", "json"), default="text")


def run(args: argparse.Namespace) -> int:
    directory: Path = args.directory
    if not (directory / "truth" / "row_person.csv").exists():
        raise BadInput(f"{directory}: not a generated area (no truth/row_person.csv)")
    rows = calibration_rows(directory)
    if args.format == "json":
        print(json.dumps([asdict(r) | {"passed": r.passed} for r in rows], indent=2))
    else:
        print(f"{'figure':<68} {'year':<8} {'target':>10} {'range':>21} {'value':>10}  result")
        for r in rows:
            print(f"{r.figure:<68} {r.year:<8} {r.target:>10,.1f} {r.low:>10,.1f}-{r.high:<10,.1f} "
                  f"{r.value:>10,.1f}  {'pass' if r.passed else 'FAIL'}")
    failed = [r for r in rows if not r.passed]
    if failed:
        raise CheckFailed(f"{len(failed)} of {len(rows)} calibration figures outside tolerance")
    print(f"all {len(rows)} calibration figures within tolerance", file=sys.stderr)
    return 0
