"""The metric engine: every metric of `../shared/metrics.md` as SQL over the warehouse.

Each metric is one query built from common table expressions in engine-neutral SQL (standard
joins, EXISTS, window functions, `INTERVAL 'n' DAY`) in DuckDB's spelling, which the engine seam
(`joinedup.engine`) runs on DuckDB or, transpiled by SQLGlot, on Spark SQL. Reporting periods enter
every query as an inline VALUES table, so one join serves months, quarters and years alike.
Python only fills empty periods with zeros and divides numerators by denominators.

`reference.py` computes the same figures in plain Python; the spec tests hold the two together.

Where metrics.md leaves a choice, the engine (and the reference) read it so:
- periods: every month from the first to the last month holding half a typical (median) month's
  activity (`warehouse.coverage`, the rule the marts and the report use too: stray early or late
  rows and a partial last month add no periods), and every quarter and financial year
  touching those months; each metric at the grains metrics.md gives it;
- residency of a spell is judged at its admission date, of a death at its date, of a registered
  person at month end; eol_admissions counts every emergency spell of a resident who died;
- population aged 18+ takes 2 of the 5 years of the 15-19 band, rounded on the area's total;
- dementia's denominator is the expected count (7.1% of the registered 65+), not a whole number;
- eol_admissions' value is a mean (spells per person) with unit `count`; empty denominators give
  a null value;
- flow metrics: a spell's residency is judged at its admission date (long_stays, fit_days,
  weekend_discharges, and the discharge care_direct_from_hospital looks for), a reablement
  outcome's at its end date, a personal budget's and its holder's age at 31 March (age from the
  birth month, exact at a month end); fit_days counts deaths too (metrics.md asks only for a
  discharge); a person with several eol_register rows preferred each place listed before death;
- breakdowns of population rates: a group is reported where its numerator counts something;
  a practice's registered residents on 1 October are aged from their birth month (a birthday
  in October counts as had); dtoc_days' delays are grouped at their ready date; a long stay,
  a registered person and a personal budget holder on the snapshot day, aged that day from the
  birth month; a reablement cohort member at their first qualifying discharge (ties: lowest group).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable

import duckdb

from joinedup import contract
from joinedup import groupings as G
from joinedup.engine import engine_of
from joinedup.errors import StoreError, UserError
from joinedup.metrics import periods as P
from joinedup.metrics.catalogue import catalogue
from joinedup.warehouse.coverage import covered
from joinedup.warehouse.schema import warehouse_table_name

FOUR_HOURS = 240  # minutes from arrival to departure
LONG_STAY_DAYS = (7, 14, 21)
REABLEMENT_SUCCESS = ("NO_SERVICES", "UNIVERSAL_SIGNPOSTING", "ONGOING_LOW_LEVEL")
PERSONAL_BUDGET_MECHANISMS = ("DIRECT_PAYMENT", "MANAGED_PERSONAL_BUDGET")
CARER_EVENTS = ("ASSESSMENT", "REVIEW", "SERVICE")
FALLS_WEIGHTS = {
    "65-69": 5500,
    "70-74": 5000,
    "75-79": 4000,
    "80-84": 2500,
    "85-89": 1500,
    "90+": 1000,
}
DEMENTIA_EXPECTED_PREVALENCE = 0.071
DEFAULT_EXPERIENCE_QUESTION = "GPPS_LTC_SUPPORT"


METRICS = catalogue()  # id -> catalogue entry (grains, unit, ...), in output order


def record(
    metric_id, period: P.Period, numerator, denominator, value, breakdown=None, group=None
) -> dict:
    """One metric value in the output shape of metrics.md; `group` is (dimension, label) of a
    breakdown's group."""
    out = {
        "id": metric_id,
        "period": period.label,
        "grain": period.grain,
        "numerator": numerator,
        "denominator": denominator,
        "value": value,
        "unit": METRICS[metric_id].unit,
        "breakdown": breakdown or {},
    }
    if group:
        out["by"], out["group"] = group
    return out


def ratio(numerator, denominator, scale: float):
    return None if not denominator else numerator * scale / denominator


# --- SQL building blocks -------------------------------------------------------------------


def _quoted(values: Iterable[str]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def _plus_days(expression: str, days: int) -> str:
    return f"CAST({expression} + INTERVAL '{days}' DAY AS DATE)"


def _days_between(first: str, last: str) -> str:
    """Days from first to last (SQLGlot spells it for Spark)."""
    return f"date_diff('day', {first}, {last})"


EMERGENCY = f"admission_method IN ({_quoted(G.EMERGENCY_ADMISSION)})"
GENERAL_AND_ACUTE = f"main_specialty NOT IN ({_quoted(G.NOT_GENERAL_AND_ACUTE)})"
DISCHARGED_ALIVE = (
    "discharge_date IS NOT NULL AND COALESCE(discharge_method, '') <> '4'"
    " AND COALESCE(discharge_destination, '') <> '79'"
)


def _is_permanent_care(row: str) -> str:
    return (
        f"{row}.event_type = 'SERVICE' AND {row}.placement_type = 'PERMANENT'"
        f" AND {row}.service_type IN ({_quoted(G.PERMANENT_CARE_SERVICE)})"
    )


def _in_permanent_care(alias: str, day: str) -> str:
    return (
        "EXISTS (SELECT 1 FROM social_care_events care"
        f" WHERE care.pseudo_id = {alias}.pseudo_id AND {_is_permanent_care('care')}"
        f" AND care.event_start_date <= {day}"
        f" AND (care.event_end_date IS NULL OR care.event_end_date >= {day}))"
    )


def _periods_cte(periods: list[P.Period]) -> str:
    rows = ",\n    ".join(
        f"('{p.grain}', '{p.label}', DATE '{p.start}', DATE '{p.end}', {p.population_year})"
        for p in periods
    )
    return (
        f"periods AS (SELECT * FROM (VALUES\n    {rows}\n  )"
        " AS t(grain, period, start_date, end_date, pop_year))"
    )


def resident_ctes(
    name: str,
    source: str,
    event_date: str,
    where: str = "TRUE",
    own_postcode=True,
    by: str | None = None,
    age: str | None = None,
    day: str = "event_date",
) -> str:
    """CTEs ending in `name`: the rows of `source` (a table or CTE) matching `where` whose person
    was resident at `event_date` (metrics.md "Resident"): the row's own postcode_in_area, or when
    it is null the postcode of the person's latest gp_register row registered on or before the
    event date (rows registered that same latest day count as resident if any of them is).

    Each registration day holds from that day until the person's next registration day, so the
    fallback is one join on a person's address intervals.

    With `by` (a breakdown dimension) each row gains `grp`, its group (`_group`) on `day`, the
    column of the day the metric counts it by; `age` is the column of its age that day."""
    own = "t.postcode_in_area" if own_postcode else "CAST(NULL AS BOOLEAN)"
    group = f", {_group(by, age, day, own_postcode)} AS grp" if by else ""
    practice = ""
    if by == "practice":  # the latest registration active that day, by one join (not per row)
        # per person and day (not per row: a row number without an order differs between
        # engines, and between two reads of one CTE on Spark)
        group = ", COALESCE(pr.practice_code, 'unregistered') AS grp"
        practice = f"""
{name}_practice AS (
  SELECT pseudo_id, day, practice_code FROM (
    SELECT r.pseudo_id, r.day, g.practice_code, ROW_NUMBER() OVER (
      PARTITION BY r.pseudo_id, r.day ORDER BY g.registration_date DESC, g.practice_code) AS latest
    FROM (SELECT DISTINCT pseudo_id, {day} AS day FROM {name}_rows) r
    JOIN gp_register g ON g.pseudo_id = r.pseudo_id AND g.registration_date <= r.day
     AND (g.deregistration_date IS NULL OR g.deregistration_date > r.day)) t
  WHERE latest = 1),"""
    joined = (
        f"\n  LEFT JOIN {name}_practice pr ON pr.pseudo_id = r.pseudo_id AND pr.day = r.{day}"
        if practice
        else ""
    )
    return f"""{name}_rows AS (
  SELECT t.*, {event_date} AS event_date, {own} AS own_in_area FROM {source} t
  WHERE {where}),
{name}_registration_days AS (
  SELECT pseudo_id, registration_date, MAX(CASE WHEN postcode_in_area THEN 1 ELSE 0 END) AS in_area,
         MIN(CASE WHEN postcode_in_area THEN ward_code END) AS ward
  FROM gp_register
  WHERE pseudo_id IN (SELECT pseudo_id FROM {name}_rows WHERE own_in_area IS NULL)
  GROUP BY pseudo_id, registration_date),
{name}_addresses AS (
  SELECT pseudo_id, in_area, ward, registration_date AS valid_from,
         LEAD(registration_date) OVER (PARTITION BY pseudo_id ORDER BY registration_date) AS valid_until
  FROM {name}_registration_days),{practice}
{name} AS (
  SELECT r.*{group} FROM {name}_rows r
  LEFT JOIN {name}_addresses a ON r.own_in_area IS NULL AND a.pseudo_id = r.pseudo_id
   AND a.valid_from <= r.event_date AND (a.valid_until IS NULL OR r.event_date < a.valid_until){joined}
  WHERE COALESCE(r.own_in_area, a.in_area = 1, FALSE))"""


BREAKDOWNS = ("locality", "ward", "imd_decile", "practice", "age_band", "sex")
# A ward's locality and deprivation decile: those of most of its postcodes, ties to the lower.
WARD_GROUP_CTES = [
    f"""ward_{column} AS (SELECT ward_code, {column} FROM (
  SELECT ward_code, {column}, ROW_NUMBER() OVER (
    PARTITION BY ward_code ORDER BY COUNT(*) DESC, {column}) AS rank
  FROM geography GROUP BY ward_code, {column}) t WHERE rank = 1)"""
    for column in ("locality", "imd_decile")
]


def _group(by: str, age: str | None, day: str, own_postcode: bool) -> str:
    """The group of row `r` (address `a`) in dimension `by` (metrics.md "Breakdowns"); a row
    without one (no sex, no age) falls in `unknown`."""
    ward = "COALESCE(r.ward_code, a.ward)" if own_postcode else "a.ward"
    practice = (
        "COALESCE((SELECT g.practice_code FROM gp_register g WHERE g.pseudo_id = r.pseudo_id"
        f" AND g.registration_date <= r.{day}"
        f" AND (g.deregistration_date IS NULL OR g.deregistration_date > r.{day})"
        " ORDER BY g.registration_date DESC, g.practice_code LIMIT 1), 'unregistered')"
    )
    expressions = {
        "ward": ward,
        "locality": f"(SELECT w.locality FROM ward_locality w WHERE w.ward_code = {ward})",
        "imd_decile": "(SELECT CAST(w.imd_decile AS VARCHAR) FROM ward_imd_decile w"
        f" WHERE w.ward_code = {ward})",
        "practice": practice,
        "age_band": f"CASE WHEN r.{age} >= 90 THEN '90+' ELSE CAST(r.{age} // 5 * 5 AS VARCHAR)"
        f" || '-' || CAST(r.{age} // 5 * 5 + 4 AS VARCHAR) END",
        "sex": "(SELECT x.sex FROM person x WHERE x.pseudo_id = r.pseudo_id)",
    }
    return f"COALESCE({expressions[by]}, 'unknown')"


BANDS_CTE = """bands AS (
  SELECT year, grp, age_band, population,
    CAST(CASE WHEN age_band LIKE '%+' THEN REPLACE(age_band, '+', '')
              ELSE SUBSTR(age_band, 1, POSITION('-' IN age_band) - 1) END AS INTEGER) AS age_from,
    CASE WHEN age_band LIKE '%+' THEN NULL
         ELSE CAST(SUBSTR(age_band, POSITION('-' IN age_band) + 1) AS INTEGER) END AS age_to
  FROM area_population)"""
# The population of each group of a dimension, by year and five-year band (metrics.md
# "Breakdowns"): the `population` rows of the area's wards, grouped.
WARDS = "area_code IN (SELECT ward_code FROM geography)"
POPULATION_GROUPS = {
    None: ("CAST(NULL AS VARCHAR)", ""),
    "ward": ("area_code", ""),
    "locality": ("w.locality", " JOIN ward_locality w ON w.ward_code = area_code"),
    "imd_decile": (
        "CAST(w.imd_decile AS VARCHAR)",
        " JOIN ward_imd_decile w ON w.ward_code = area_code",
    ),
    "sex": ("CAST(sex AS VARCHAR)", ""),
    "age_band": ("age_band", ""),
}
# A practice's population: its registered residents on 1 October of the year (alive, the latest
# registration active that day, resident by the postcode fallback that day), in five-year bands
# of their age that day from the birth month (a birthday in October counts as had).
PRACTICE_POPULATION = """registered_days AS (
  SELECT DISTINCT pop_year AS year,
    CAST(CAST(pop_year AS VARCHAR) || '-10-01' AS DATE) AS day FROM periods),
registrations_by_day AS (
  SELECT d.year, d.day, g.pseudo_id, g.practice_code, g.registration_date, g.postcode_in_area,
    CASE WHEN g.deregistration_date IS NULL OR g.deregistration_date > d.day
      THEN g.registration_date END AS active_from
  FROM registered_days d JOIN gp_register g ON g.registration_date <= d.day),
registered_latest AS (
  SELECT year, pseudo_id, MAX(registration_date) AS latest, MAX(active_from) AS latest_active
  FROM registrations_by_day GROUP BY year, pseudo_id),
registered_people AS (
  SELECT r.year, r.day, r.pseudo_id,
    MIN(CASE WHEN r.active_from = l.latest_active THEN r.practice_code END) AS practice_code,
    MAX(CASE WHEN r.registration_date = l.latest AND r.postcode_in_area THEN 1 ELSE 0 END)
      AS in_area
  FROM registrations_by_day r JOIN registered_latest l
    ON l.year = r.year AND l.pseudo_id = r.pseudo_id AND l.latest_active IS NOT NULL
  GROUP BY r.year, r.day, r.pseudo_id),
registered_ages AS (
  SELECT r.year, r.practice_code,
    r.year - CAST(SUBSTR(b.birth_month, 1, 4) AS INTEGER)
      - CASE WHEN CAST(SUBSTR(b.birth_month, 6, 2) AS INTEGER) > 10 THEN 1 ELSE 0 END AS age
  FROM registered_people r
  JOIN person b ON b.pseudo_id = r.pseudo_id
  LEFT JOIN (SELECT pseudo_id, MIN(date_of_death) AS died FROM deaths GROUP BY pseudo_id) d
    ON d.pseudo_id = r.pseudo_id
  WHERE r.in_area = 1 AND (d.died IS NULL OR d.died > r.day)),
area_population AS (
  SELECT year, practice_code AS grp,
    CASE WHEN age >= 90 THEN '90+' ELSE CAST(age // 5 * 5 AS VARCHAR) || '-'
      || CAST(age // 5 * 5 + 4 AS VARCHAR) END AS age_band, COUNT(*) AS population
  FROM registered_ages WHERE age >= 0 GROUP BY year, practice_code, age_band)"""


def population_ctes(by: str | None) -> list[str]:
    """CTEs ending in `bands`: (year, grp, age_band, population, age_from, age_to)."""
    if by == "practice":
        return [PRACTICE_POPULATION, BANDS_CTE]
    group, join = POPULATION_GROUPS[by]
    return [
        f"area_population AS (SELECT year, {group} AS grp, age_band, SUM(population) AS population"
        f" FROM population{join} WHERE {WARDS} GROUP BY year, {group}, age_band)",
        BANDS_CTE,
    ]


def _population_aged(min_age: int) -> str:
    """Population aged min_age+ summed over `bands`; a band straddling min_age counts pro rata
    (2 of the 5 years of 15-19 are 18+), rounded once on the area's total."""
    return (
        f"SUM(CASE WHEN age_from >= {min_age} THEN population"
        f" WHEN age_to >= {min_age}"
        f" THEN ROUND(population * (age_to - {min_age} + 1.0) / (age_to - age_from + 1.0))"
        " ELSE 0 END)"
    )


# --- the engine ------------------------------------------------------------------------------


class Engine:
    """Runs metric queries on one warehouse connection for a fixed list of periods, for the
    whole area or (`by`) for the groups of one breakdown dimension."""

    def __init__(self, con, periods: list[P.Period], by: str | None = None) -> None:
        self.con = engine_of(con)
        self.periods = periods
        self.by = by
        self._populations: dict[str, dict] = {}  # computed once: a practice's costs a scan

    def carry(self, alias: str) -> str:
        """The select-list tail that carries a row's group through a CTE (nothing without `by`)."""
        return f", {alias}.grp" if self.by else ""

    def of_grains(self, grains: tuple[str, ...]) -> list[P.Period]:
        return [p for p in self.periods if p.grain in grains]

    def query(self, ctes: list[str], select: str) -> list[tuple]:
        groups = WARD_GROUP_CTES if self.by else []
        sql = "WITH " + ",\n".join([_periods_cte(self.periods), *groups, *ctes]) + "\n" + select
        try:
            return self.con.execute(sql).fetchall()
        except self.con.errors as error:
            raise StoreError(f"a metric query failed on this warehouse: {error}") from error

    def by_period(self, ctes: list[str], select: str) -> dict[str, tuple]:
        """Rows keyed by their first column, the period label."""
        return {row[0]: row[1:] for row in self.query(ctes, select)}

    def population(self) -> dict[tuple[int, str | None], dict[str, int]]:
        """Population by (year, group): all ages, aged 18+ and aged 65+; the area's under group
        None without `by`, each group's with it."""
        return self._population_tables()["totals"]

    def band_population(self) -> dict[tuple[int, str | None, str], int]:
        """Population by (year, group, five-year band)."""
        return self._population_tables()["bands"]

    def _population_tables(self) -> dict[str, dict]:
        """Both, from one query (a practice's population is a scan of the registrations)."""
        if not self._populations:
            rows = self.query(
                population_ctes(self.by),
                f"SELECT year, grp, age_band, SUM(population), {_population_aged(18)},"
                f" {_population_aged(65)} FROM bands"
                " GROUP BY GROUPING SETS ((year, grp, age_band), (year, grp))",
            )
            self._populations["totals"] = {
                (int(y), g): {"all": int(a), "18+": int(b), "65+": int(c)}
                for y, g, band, a, b, c in rows
                if band is None
            }
            self._populations["bands"] = {
                (int(y), g, band): int(a) for y, g, band, a, _, _ in rows if band is not None
            }
        return self._populations


def nel_admissions(engine: Engine) -> list[dict]:
    group = "n.grp" if engine.by else "NULL"
    rows = engine.query(
        [
            resident_ctes(
                "nel",
                "acute_apc",
                "admission_date",
                f"{EMERGENCY} AND {GENERAL_AND_ACUTE}",
                by=engine.by,
                age="age_at_admission_date",
            )
        ],
        f"SELECT p.period, {group}, COUNT(*) FROM periods p"
        " JOIN nel n ON n.admission_date BETWEEN p.start_date AND p.end_date"
        f" GROUP BY p.period, {group}",
    )
    counts = {(period, grp): n for period, grp, n in rows}
    rates = {
        (r["period"], r.get("group")): r
        for r in _per_population(engine, "nel_admissions_rate", counts, "all")
    }
    records = []
    for rate in rates.values():
        count = rate["numerator"]
        period = P.parse(rate["period"])
        group = (engine.by, rate["group"]) if engine.by else None
        records += [record("nel_admissions", period, count, None, count, group=group), rate]
    return records


def _per_population(
    engine: Engine, metric_id: str, counts: dict, age: str, breakdowns=None, empty=None
) -> list[dict]:
    """Records of a count per 100,000 of a population (age: all, 18+ or 65+): the area's for
    every period of the metric's grains, or each group's with something counted (its population
    null where it has none: unregistered, unknown). counts and breakdowns: (period, group) ->."""
    population = engine.population()

    def one(period: P.Period, grp) -> dict:
        n = counts.get((period.label, grp), 0)
        people = population.get((period.population_year, grp), {}).get(age)
        breakdown = (breakdowns or {}).get((period.label, grp), empty)
        group = (engine.by, grp) if engine.by else None
        return record(metric_id, period, n, people, ratio(n, people, 100_000), breakdown, group)

    periods = engine.of_grains(METRICS[metric_id].grains)
    if not engine.by:
        return [one(p, None) for p in periods]
    return [
        one(p, g) for p in periods for g in sorted(g for label, g in counts if label == p.label)
    ]


def _care_admissions(engine: Engine) -> list[str]:
    """CTEs ending in `admissions`: the qualifying admissions of res_admissions_65, one row each."""
    day_before = _plus_days("a.event_start_date", -1)
    return [
        resident_ctes(
            "placements",
            "social_care_events",
            "event_start_date",
            f"{_is_permanent_care('t')} AND t.age_at_event_start_date >= 65",
            by=engine.by,
            age="age_at_event_start_date",
        ),
        f"admissions AS (SELECT a.pseudo_id, a.event_start_date{engine.carry('a')} FROM placements a"
        f" WHERE NOT {_in_permanent_care('a', day_before)})",
    ]


def res_admissions_65(engine: Engine) -> list[dict]:
    group = "a.grp" if engine.by else "NULL"
    rows = engine.query(
        _care_admissions(engine),
        f"SELECT p.period, {group}, COUNT(DISTINCT a.pseudo_id) FROM periods p"
        " JOIN admissions a ON a.event_start_date BETWEEN p.start_date AND p.end_date"
        f" GROUP BY p.period, {group}",
    )
    counts = {(period, grp): n for period, grp, n in rows}
    return _per_population(engine, "res_admissions_65", counts, "65+")


def reablement_91d(engine: Engine) -> list[dict]:
    day_d = _plus_days("c.discharge_date", 91)
    first = ", grp" if engine.by else ""  # ties on the day: the lowest group
    ctes = [
        resident_ctes(
            "discharges",
            "acute_apc",
            "admission_date",
            f"{DISCHARGED_ALIVE} AND age_at_discharge_date >= 65",
            by=engine.by,
            age="age_at_discharge_date",
            day="discharge_date",
        ),
        "reablement_starts AS ("
        " SELECT pseudo_id, event_start_date AS start_date FROM social_care_events"
        " WHERE event_type = 'SERVICE' AND service_type = 'STS_REABLEMENT'"
        " UNION ALL SELECT pseudo_id, contact_date FROM community_contacts"
        " WHERE service IN ('INTERMEDIATE_CARE', 'REHABILITATION'))",
        f"qualifying AS (SELECT p.period, d.pseudo_id, d.discharge_date{engine.carry('d')}"
        " FROM periods p JOIN discharges d"
        f" ON d.discharge_date >= {_plus_days('p.start_date', 183)}"  # 1 October
        f" AND d.discharge_date <= {_plus_days('p.start_date', 274)}"  # 31 December
        " WHERE p.grain = 'year' AND EXISTS (SELECT 1 FROM reablement_starts s"
        " WHERE s.pseudo_id = d.pseudo_id AND s.start_date >= d.discharge_date"
        f" AND s.start_date <= {_plus_days('d.discharge_date', 7)}))",
        # a person's first qualifying discharge of the window (its group, with `by`)
        "cohort AS (SELECT * FROM (SELECT q.*, ROW_NUMBER() OVER (PARTITION BY period, pseudo_id"
        f" ORDER BY discharge_date{first}) AS nth FROM qualifying q) t WHERE nth = 1)",
        f"outcomes AS (SELECT c.period, {'c.grp' if engine.by else 'NULL'} AS grp, CASE WHEN"
        " NOT EXISTS (SELECT 1 FROM deaths x WHERE x.pseudo_id = c.pseudo_id"
        f"  AND x.date_of_death <= {day_d})"
        " AND NOT EXISTS (SELECT 1 FROM acute_apc h WHERE h.pseudo_id = c.pseudo_id"
        f"  AND h.admission_date <= {day_d}"
        f"  AND (h.discharge_date IS NULL OR h.discharge_date > {day_d}))"
        f" AND NOT {_in_permanent_care('c', day_d)} THEN 1 ELSE 0 END AS at_home FROM cohort c)",
    ]
    rows = engine.query(
        ctes, "SELECT period, grp, COUNT(*), SUM(at_home) FROM outcomes GROUP BY period, grp"
    )
    return _records(
        engine,
        "reablement_91d",
        {(period, grp): (cohort, int(at_home)) for period, grp, cohort, at_home in rows},
        (0, 0),
        lambda cohort, at_home: (at_home, cohort, ratio(at_home, cohort, 100)),
    )


def dtoc_days(engine: Engine) -> list[dict]:
    # An episode covers [ready_date, transfer_date); an open one runs to the end of the period.
    after_period = _plus_days("p.end_date", 1)
    group = "d.grp" if engine.by else "NULL"
    first = "CASE WHEN d.ready_date > p.start_date THEN d.ready_date ELSE p.start_date END"
    last = (
        f"CASE WHEN d.transfer_date IS NOT NULL AND d.transfer_date < {after_period}"
        f" THEN d.transfer_date ELSE {after_period} END"
    )
    rows = engine.query(
        [
            resident_ctes(
                "delays",
                "delayed_transfers",
                "ready_date",
                "age_at_ready_date >= 18",
                by=engine.by,
                age="age_at_ready_date",
                day="ready_date",
            ),
            f"delay_days AS (SELECT p.period, {group} AS grp, d.agency, d.reason,"
            f" {_days_between(first, last)} AS days"
            " FROM periods p JOIN delays d ON d.ready_date <= p.end_date"
            " AND (d.transfer_date IS NULL"
            " OR (d.transfer_date > p.start_date AND d.transfer_date > d.ready_date))"
            " WHERE p.grain = 'month')",
        ],
        "SELECT period, grp, agency, reason, SUM(days) FROM delay_days"
        " GROUP BY period, grp, agency, reason",
    )
    days: dict[tuple, dict[str, dict[str, int]]] = defaultdict(
        lambda: {"agency": defaultdict(int), "reason": defaultdict(int)}
    )
    for period, grp, agency, reason, total in rows:
        days[(period, grp)]["agency"][agency] += int(total)
        days[(period, grp)]["reason"][reason] += int(total)
    counts = {key: sum(split["agency"].values()) for key, split in days.items()}
    breakdowns = {
        key: {name: dict(sorted(n.items())) for name, n in split.items()}
        for key, split in days.items()
    }
    return _per_population(
        engine, "dtoc_days", counts, "18+", breakdowns, {"agency": {}, "reason": {}}
    )


def patient_experience(engine: Engine, question: str = DEFAULT_EXPERIENCE_QUESTION) -> list[dict]:
    rows = engine.con.execute(
        "SELECT period, positive_responses, total_responses FROM experience_survey"
        " WHERE question_id = ? ORDER BY period",  # a stable order, run to run
        [question],
    ).fetchall()
    records = []
    for label, positive, total in rows:
        try:
            period = P.parse(label)
        except ValueError as error:
            raise StoreError(f"experience_survey: {error}") from error
        records.append(
            record("patient_experience", period, positive, total, ratio(positive, total, 100))
        )
    return records


def falls_65(engine: Engine) -> list[dict]:
    # A W00-W19 code among the ';'-separated secondary codes: one of them starts W0 or W1.
    secondary = "(';' || UPPER(REPLACE(COALESCE(secondary_diagnoses, ''), ' ', '')))"
    injury_by_fall = (
        f"{EMERGENCY} AND age_at_admission_date >= 65"
        " AND UPPER(SUBSTR(primary_diagnosis, 1, 1)) IN ('S', 'T')"
        f" AND ({secondary} LIKE '%;W0%' OR {secondary} LIKE '%;W1%')"
    )
    band = (
        "CASE "
        + " ".join(
            f"WHEN age_at_admission_date >= {_band_from(b)} THEN '{b}'"
            for b in sorted(FALLS_WEIGHTS, key=_band_from, reverse=True)
        )
        + " END"
    )
    group = "f.grp" if engine.by else "NULL"
    rows = engine.query(
        [
            resident_ctes(
                "falls",
                "acute_apc",
                "admission_date",
                injury_by_fall,
                by=engine.by,
                age="age_at_admission_date",
            )
        ],
        f"SELECT p.period, {group}, {band} AS band, COUNT(*) FROM periods p"
        " JOIN falls f ON f.admission_date BETWEEN p.start_date AND p.end_date"
        f" WHERE p.grain = 'year' GROUP BY p.period, {group}, band",
    )
    counts: dict[tuple, dict[str, int]] = defaultdict(dict)
    for period, grp, band_label, count in rows:
        counts[(period, grp)][band_label] = count
    population = engine.population()
    band_population = engine.band_population()

    def one(period: P.Period, grp) -> dict:
        year = period.population_year
        by_band = {b: counts[(period.label, grp)].get(b, 0) for b in FALLS_WEIGHTS}
        pops = {b: band_population.get((year, grp, b)) for b in FALLS_WEIGHTS}
        older = population.get((year, grp), {}).get("65+")
        if engine.by == "age_band":  # within one band: its crude rate
            value = ratio(by_band.get(grp, 0), pops.get(grp), 100_000)
        else:
            value = directly_standardised_rate(by_band, pops)
        group = (engine.by, grp) if engine.by else None
        return record(
            "falls_65", period, sum(by_band.values()), older, value, {"age_band": by_band}, group
        )

    periods = engine.of_grains(("year",))
    if not engine.by:
        return [one(p, None) for p in periods]
    return [
        one(p, g) for p in periods for g in sorted(g for label, g in counts if label == p.label)
    ]


def _band_from(band: str) -> int:
    """The first age of a band such as '65-69' or '90+'."""
    return int(band.rstrip("+").split("-")[0])


def directly_standardised_rate(counts: dict[str, int], pops: dict[str, int | None]):
    """sum(count/pop x weight) / sum(weight) x 100,000 over the falls age bands; None without
    a population for every band."""
    if any(not pops[band] for band in FALLS_WEIGHTS):
        return None
    weighted = sum(counts[band] / pops[band] * w for band, w in FALLS_WEIGHTS.items())
    return weighted / sum(FALLS_WEIGHTS.values()) * 100_000


def readmissions_30d(engine: Engine) -> list[dict]:
    readmitted = (
        "EXISTS (SELECT 1 FROM emergency_spells e WHERE e.pseudo_id = r.pseudo_id"
        " AND NOT (e.provider_code = r.provider_code AND e.spell_id = r.spell_id)"
        " AND e.admission_date >= r.discharge_date"
        f" AND e.admission_date <= {_plus_days('r.discharge_date', 29)})"
    )
    ctes = [
        resident_ctes("emergency_spells", "acute_apc", "admission_date", EMERGENCY),
        *_counted(
            engine,
            "index_spells",
            "acute_apc",
            "admission_date",
            f"{DISCHARGED_ALIVE} AND main_specialty NOT IN ({_quoted(G.MATERNITY_SPECIALTY)})",
            _flag(readmitted),
            age="age_at_discharge_date",
            day="discharge_date",
        ),
    ]
    return _share(engine, "readmissions_30d", ctes, 100)


def dementia_dx_rate(engine: Engine) -> list[dict]:
    # Age at month end from the birth month, as HES ages people without a day of birth: 65 or
    # more when at least 65 x 12 months separate the birth month from the month.
    # A person's registration, deregistration, diagnosis and resolution days cut their time into
    # segments in which their active registrations, their latest registration (so residency
    # and practice) and their dementia do not change: each is decided once per segment, and the
    # months count the segments holding their ends (a month per person would be a county's
    # millions of rows).
    by_month = engine.by == "age_band"  # the one group that changes within a segment
    segment_by = None if by_month else engine.by
    keep = ", born" if by_month else engine.carry("r")  # what the group needs of a segment
    age = ", (m.month_number - s.born) // 12 AS age_at_month_end" if by_month else ""
    group = (
        _group("age_band", "age_at_month_end", "month_end", False)
        if by_month
        else ("r.grp" if engine.by else "NULL")
    )
    covers = (  # row `{r}` holds on the day `{day}`
        "{r}.registration_date <= {day}"
        " AND ({r}.deregistration_date IS NULL OR {r}.deregistration_date > {day})"
    )
    ctes = [
        f"month_ends AS (SELECT period, {_month_number('end_date')} AS month_number"
        " FROM periods WHERE grain = 'month')",
        # People 65 or more by the last month: born (month number) and died (first death).
        "older AS (SELECT b.pseudo_id, b.born, x.died FROM (SELECT pseudo_id,"
        " CAST(SUBSTR(birth_month, 1, 4) AS INTEGER) * 12"
        " + CAST(SUBSTR(birth_month, 6, 2) AS INTEGER) AS born FROM person) b"
        " LEFT JOIN (SELECT pseudo_id, MIN(date_of_death) AS died FROM deaths"
        " GROUP BY pseudo_id) x ON x.pseudo_id = b.pseudo_id"
        " WHERE b.born <= (SELECT MAX(month_number) FROM month_ends) - 65 * 12)",
        "older_registrations AS (SELECT pseudo_id, practice_code, registration_date,"
        " deregistration_date FROM gp_register WHERE pseudo_id IN (SELECT pseudo_id FROM older))",
        "older_dementia AS (SELECT pseudo_id, diagnosed_date AS registration_date,"
        " resolved_date AS deregistration_date FROM gp_conditions"
        " WHERE condition = 'DEM' AND pseudo_id IN (SELECT pseudo_id FROM older))",
        "cuts AS (SELECT pseudo_id, registration_date AS day FROM older_registrations"
        " UNION SELECT pseudo_id, deregistration_date FROM older_registrations"
        " UNION SELECT pseudo_id, registration_date FROM older_dementia"
        " UNION SELECT pseudo_id, deregistration_date FROM older_dementia)",
        "segments AS (SELECT pseudo_id, day AS segment_start,"
        " LEAD(day) OVER (PARTITION BY pseudo_id ORDER BY day) AS segment_end"
        " FROM cuts WHERE day IS NOT NULL)",
        # registered throughout the segment with a practice of `practices`
        "registered_segments AS (SELECT s.*, o.born, o.died FROM segments s"
        " JOIN older o ON o.pseudo_id = s.pseudo_id WHERE EXISTS (SELECT 1"
        " FROM older_registrations g JOIN practices pr ON pr.practice_code = g.practice_code"
        f" WHERE g.pseudo_id = s.pseudo_id AND {covers.format(r='g', day='s.segment_start')}))",
        resident_ctes(
            "resident_segments",
            "registered_segments",
            "segment_start",
            own_postcode=False,
            by=segment_by,
            day="segment_start",
        ),
        # Each segment as the months whose ends it holds while its person is 65 or more and
        # alive, [first, stop) in month numbers; alike ones added up (no person in them now).
        "segment_months AS (SELECT first_month, stop_month, has_dementia"
        f"{keep}, COUNT(*) AS people FROM (SELECT r.*,"
        f" GREATEST({_month_number('r.segment_start')}, r.born + 65 * 12) AS first_month,"
        f" LEAST(COALESCE({_month_number('r.segment_end')}, {NEVER}),"
        f" COALESCE({_month_number('r.died')}, {NEVER})) AS stop_month,"
        " CASE WHEN EXISTS (SELECT 1 FROM older_dementia c"
        f" WHERE c.pseudo_id = r.pseudo_id AND {covers.format(r='c', day='r.segment_start')})"
        " THEN 1 ELSE 0 END AS has_dementia FROM resident_segments r) r"
        f" GROUP BY first_month, stop_month, has_dementia{keep})",
        f"registered_65 AS (SELECT m.period, s.*{age} FROM month_ends m JOIN segment_months s"
        " ON s.first_month <= m.month_number AND m.month_number < s.stop_month)",
    ]
    rows = engine.query(
        ctes,
        f"SELECT r.period, {group}, SUM(r.people), SUM(r.people * r.has_dementia)"
        f" FROM registered_65 r GROUP BY r.period, {group}",
    )

    def figures(registered: int, diagnosed: int) -> tuple:
        expected = registered * DEMENTIA_EXPECTED_PREVALENCE
        return diagnosed, expected, ratio(diagnosed, expected, 100)

    return _records(
        engine,
        "dementia_dx_rate",
        {(period, grp): (n, int(diagnosed)) for period, grp, n, diagnosed in rows},
        (0, 0),
        figures,
    )


def ae_attendances(engine: Engine) -> list[dict]:
    group = "a.grp" if engine.by else "NULL"
    origin = "COALESCE(a.from_care_home, 'unknown')"
    rows = engine.query(
        [
            resident_ctes(
                "attendances",
                "acute_ae",
                "CAST(arrival_datetime AS DATE)",
                by=engine.by,
                age="age_at_arrival_datetime",
            )
        ],
        f"SELECT p.period, {group}, {origin}, COUNT(*),"
        " SUM(CASE WHEN a.disposal = 'ADM' THEN 1 ELSE 0 END) FROM periods p"
        " JOIN attendances a ON a.event_date BETWEEN p.start_date AND p.end_date"
        f" WHERE p.grain = 'month' GROUP BY p.period, {group}, {origin}",
    )
    by_origin: dict[tuple, dict[str, int]] = defaultdict(dict)
    admitted: dict[tuple, int] = defaultdict(int)
    for period, grp, origin_label, count, adm in rows:
        by_origin[(period, grp)][origin_label] = count
        admitted[(period, grp)] += int(adm)
    counts = {
        key: (dict(sorted(origins.items())), admitted[key]) for key, origins in by_origin.items()
    }
    return [
        *_records(
            engine,
            "ae_attendances",
            counts,
            ({}, 0),
            lambda origins, _: (
                sum(origins.values()),
                None,
                sum(origins.values()),
                {"from_care_home": origins},
            ),
        ),
        *_records(
            engine,
            "ae_conversion",
            counts,
            ({}, 0),
            lambda origins, adm: (
                adm,
                sum(origins.values()),
                ratio(adm, sum(origins.values()), 100),
            ),
        ),
    ]


def care_home_emergencies(engine: Engine) -> list[dict]:
    group = "e.grp" if engine.by else "NULL"
    rows = engine.query(
        [
            resident_ctes(
                "ae",
                "acute_ae",
                "CAST(arrival_datetime AS DATE)",
                "from_care_home = 'Y'",
                by=engine.by,
                age="age_at_arrival_datetime",
            ),
            resident_ctes(
                "ambulance",
                "urgent_care_contacts",
                "CAST(contact_datetime AS DATE)",
                "service = 'AMBULANCE' AND from_care_home = 'Y'",
                by=engine.by,
                age="age_at_contact_datetime",
            ),
            f"care_home_events AS (SELECT 'ae' AS source, event_date{engine.carry('ae')} FROM ae"
            f" UNION ALL SELECT 'ambulance', event_date{engine.carry('ambulance')} FROM ambulance)",
        ],
        f"SELECT p.period, {group}, e.source, COUNT(*) FROM periods p"
        " JOIN care_home_events e ON e.event_date BETWEEN p.start_date AND p.end_date"
        f" WHERE p.grain = 'month' GROUP BY p.period, {group}, e.source",
    )
    by_source: dict[tuple, dict[str, int]] = defaultdict(lambda: {"ae": 0, "ambulance": 0})
    for period, grp, source, count in rows:
        by_source[(period, grp)][source] = count
    return _records(
        engine,
        "care_home_emergencies",
        {key: (sources,) for key, sources in by_source.items()},
        ({"ae": 0, "ambulance": 0},),
        lambda sources: (
            sum(sources.values()),
            None,
            sum(sources.values()),
            {"source": dict(sources)},
        ),
    )


def eol_home_deaths(engine: Engine) -> list[dict]:
    group = "d.grp" if engine.by else "NULL"
    at_home = "CASE WHEN d.place_of_death IN ('HOME', 'CARE_HOME') THEN 1 ELSE 0 END"
    on_register = (
        "CASE WHEN EXISTS (SELECT 1 FROM eol_register e WHERE e.pseudo_id = d.pseudo_id"
        " AND e.added_date <= d.date_of_death) THEN 1 ELSE 0 END"
    )
    rows = engine.query(
        [
            resident_ctes(
                "resident_deaths",
                "deaths",
                "date_of_death",
                own_postcode=False,
                by=engine.by,
                age="age_at_date_of_death",
            ),
            f"deaths_in_year AS (SELECT p.period, {group} AS grp, {at_home} AS at_home,"
            f" {on_register} AS on_register FROM periods p JOIN resident_deaths d"
            " ON d.date_of_death BETWEEN p.start_date AND p.end_date WHERE p.grain = 'year')",
        ],
        "SELECT period, grp, COUNT(*), SUM(at_home), SUM(on_register),"
        " SUM(on_register * at_home) FROM deaths_in_year GROUP BY period, grp",
    )
    return _records(
        engine,
        "eol_home_deaths",
        {(period, grp): tuple(int(v) for v in counts) for period, grp, *counts in rows},
        (0, 0, 0, 0),
        _home_deaths,
    )


def _home_deaths(deaths: int, home: int, registered: int, registered_home: int) -> tuple:
    on_register = {
        "numerator": registered_home,
        "denominator": registered,
        "value": ratio(registered_home, registered, 100),
    }
    return home, deaths, ratio(home, deaths, 100), {"eol_register": on_register}


def eol_admissions(engine: Engine) -> list[dict]:
    spells = (
        "SELECT COUNT(*) FROM acute_apc s WHERE s.pseudo_id = r.pseudo_id"
        f" AND s.{EMERGENCY}"
        f" AND s.admission_date >= {_plus_days('r.date_of_death', -365)}"
        " AND s.admission_date <= r.date_of_death"
    )
    ctes = _counted(
        engine,
        "registered_deaths",
        "deaths",
        "date_of_death",
        "EXISTS (SELECT 1 FROM eol_register e WHERE e.pseudo_id = t.pseudo_id"
        " AND e.added_date <= t.date_of_death)",
        f"({spells})",
        age="age_at_date_of_death",
        day="date_of_death",
        own_postcode=False,
    )
    return _share(engine, "eol_admissions", ctes, 1)


# --- hospital flow, seven-day services and outcomes (metrics.md) -------------------------------


def _counted(
    engine: Engine,
    name: str,
    source: str,
    event_date: str,
    where: str,
    hit: str,
    *,
    age: str,
    day: str = "event_date",
    own_postcode: bool = True,
    having: str = "",
) -> list[str]:
    """The CTEs a `_share` metric ends in: the resident rows of `source` matching `where` as
    `name` (alias `r`), then `counted` with each row's `day` (its column `day`), its `hit` and,
    with `by`, its group on that day; `having` filters the rows counted."""
    return [
        resident_ctes(
            name, source, event_date, where, own_postcode, by=engine.by, age=age, day=day
        ),
        f"counted AS (SELECT r.{day} AS day, {hit} AS hit{engine.carry('r')} FROM {name} r"
        f"{f' WHERE {having}' if having else ''})",
    ]


def _share(engine: Engine, metric_id: str, ctes: list[str], scale: float) -> list[dict]:
    """Records of a metric whose CTEs end in `counted` (one row per denominator event: its `day`,
    its `hit`, what it adds to the numerator, and its `grp` with `by`): per period of the
    metric's grains (and group), the hits over the events."""
    group = "c.grp" if engine.by else "NULL"
    rows = engine.query(
        ctes,
        f"SELECT p.period, {group}, COUNT(*), SUM(c.hit) FROM periods p"
        " JOIN counted c ON c.day BETWEEN p.start_date AND p.end_date"
        f" WHERE p.grain IN ({_quoted(METRICS[metric_id].grains)}) GROUP BY p.period, {group}",
    )
    return _records(
        engine,
        metric_id,
        {(period, grp): (int(hits), events) for period, grp, events, hits in rows},
        (0, 0),
        lambda hits, events: (hits, events, ratio(hits, events, scale)),
    )


def _records(engine: Engine, metric_id: str, counts: dict, empty: tuple, figures) -> list[dict]:
    """A metric's records from counts keyed (period label, group or None): for the area, every
    period of its grains (`empty` counts where nothing was counted); with `by`, each group with
    something counted in the period. figures(*counts) gives numerator, denominator, value and,
    optionally, breakdown."""
    periods = engine.of_grains(METRICS[metric_id].grains)
    if not engine.by:
        return [
            record(metric_id, p, *figures(*counts.get((p.label, None), empty))) for p in periods
        ]
    return [
        record(metric_id, p, *figures(*counts[(p.label, grp)]), group=(engine.by, grp))
        for p in periods
        for grp in sorted(g for label, g in counts if label == p.label)
    ]


def _flag(condition: str) -> str:
    return f"CASE WHEN {condition} THEN 1 ELSE 0 END"


def _weekend(day: str) -> str:
    """Saturday or Sunday: days since a Monday (1 January 1900), modulo 7, as every engine
    counts them (day-of-week functions number the days differently in DuckDB and Spark)."""
    return _days_between("DATE '1900-01-01'", day) + " % 7 >= 5"


def ae_4h(engine: Engine) -> list[dict]:
    within = f"r.departure_datetime <= r.arrival_datetime + INTERVAL '{FOUR_HOURS}' MINUTE"
    ctes = _counted(
        engine,
        "timed_attendances",
        "acute_ae",
        "CAST(arrival_datetime AS DATE)",
        "departure_datetime IS NOT NULL",
        _flag(within),
        age="age_at_arrival_datetime",
    )
    return _share(engine, "ae_4h", ctes, 100)


def long_stays(engine: Engine) -> list[dict]:
    # Day D is the month end; a stay's length on D is D - admission date; residency is judged
    # at admission, a group on D (age on D from the birth month).
    stay = _days_between("r.admission_date", "r.day_d")
    group = "r.grp" if engine.by else "NULL"
    rows = engine.query(
        [
            "stays_on_day AS (SELECT s.*, p.period, p.end_date AS day_d,"
            f" {_age_at_month_end('p.end_date')} AS age_on_day FROM periods p JOIN acute_apc s"
            f" ON s.admission_date <= {_plus_days('p.end_date', -LONG_STAY_DAYS[0])}"
            " AND (s.discharge_date IS NULL OR s.discharge_date > p.end_date)"
            " LEFT JOIN person b ON b.pseudo_id = s.pseudo_id"
            f" WHERE p.grain = 'month' AND s.{GENERAL_AND_ACUTE})",
            resident_ctes(
                "inpatients",
                "stays_on_day",
                "admission_date",
                by=engine.by,
                age="age_on_day",
                day="day_d",
            ),
        ],
        f"SELECT r.period, {group}, "
        + ", ".join(f"SUM({_flag(f'{stay} >= {days}')})" for days in LONG_STAY_DAYS)
        + f" FROM inpatients r GROUP BY r.period, {group}",
    )
    return _records(
        engine,
        "long_stays",
        {(period, grp): tuple(int(n) for n in counts) for period, grp, *counts in rows},
        (0,) * len(LONG_STAY_DAYS),
        lambda *counts: (
            counts[0],
            None,
            counts[0],
            {f"{days}+": n for days, n in zip(LONG_STAY_DAYS, counts, strict=True)},
        ),
    )


def fit_days(engine: Engine) -> list[dict]:
    ctes = _counted(
        engine,
        "fit_spells",
        "acute_apc",
        "admission_date",
        "discharge_date IS NOT NULL AND ready_for_discharge_date <= discharge_date",
        _days_between("r.ready_for_discharge_date", "r.discharge_date"),
        age="age_at_discharge_date",
        day="discharge_date",
    )
    return _share(engine, "fit_days", ctes, 1)


def weekend_discharges(engine: Engine) -> list[dict]:
    ctes = _counted(
        engine,
        "alive_discharges",
        "acute_apc",
        "admission_date",
        DISCHARGED_ALIVE,
        _flag(_weekend("r.discharge_date")),
        age="age_at_discharge_date",
        day="discharge_date",
    )
    return _share(engine, "weekend_discharges", ctes, 100)


def care_direct_from_hospital(engine: Engine) -> list[dict]:
    from_hospital = (
        "EXISTS (SELECT 1 FROM hospital_stays h WHERE h.pseudo_id = a.pseudo_id"
        f" AND h.discharge_date >= {_plus_days('a.event_start_date', -1)}"
        " AND h.discharge_date <= a.event_start_date)"
    )
    ctes = [
        *_care_admissions(engine),
        resident_ctes(
            "hospital_stays", "acute_apc", "admission_date", "discharge_date IS NOT NULL"
        ),
        f"counted AS (SELECT a.event_start_date AS day, {_flag(from_hospital)} AS hit"
        f"{engine.carry('a')} FROM admissions a)",
    ]
    return _share(engine, "care_direct_from_hospital", ctes, 100)


def preferred_place_of_death(engine: Engine) -> list[dict]:
    def preference(match: str) -> str:
        return (
            "EXISTS (SELECT 1 FROM eol_register e WHERE e.pseudo_id = r.pseudo_id"
            " AND e.added_date <= r.date_of_death AND e.preferred_place_of_death IS NOT NULL"
            f"{match})"
        )

    ctes = _counted(
        engine,
        "dying_residents",
        "deaths",
        "date_of_death",
        "TRUE",
        _flag(preference(" AND e.preferred_place_of_death = r.place_of_death")),
        age="age_at_date_of_death",
        day="date_of_death",
        own_postcode=False,
        having=preference(""),
    )
    return _share(engine, "preferred_place_of_death", ctes, 100)


def reablement_outcome(engine: Engine) -> list[dict]:
    ctes = _counted(
        engine,
        "reablement_ends",
        "social_care_events",
        "event_end_date",
        "event_type = 'SERVICE' AND service_type = 'STS_REABLEMENT'"
        " AND event_end_date IS NOT NULL AND event_outcome IS NOT NULL",
        _flag(f"r.event_outcome IN ({_quoted(REABLEMENT_SUCCESS)})"),
        age="age_at_event_end_date",
    )
    return _share(engine, "reablement_outcome", ctes, 100)


def conveyance(engine: Engine) -> list[dict]:
    group = "i.grp" if engine.by else "NULL"
    origin = "COALESCE(i.from_care_home, 'unknown')"
    conveyed = _flag("i.outcome = 'CONVEYED'")
    rows = engine.query(
        [
            resident_ctes(
                "incidents",
                "urgent_care_contacts",
                "CAST(contact_datetime AS DATE)",
                "service = 'AMBULANCE'",
                by=engine.by,
                age="age_at_contact_datetime",
            ),
        ],
        f"SELECT p.period, {group}, {origin}, COUNT(*),"
        f" SUM({conveyed}) FROM periods p"
        " JOIN incidents i ON i.event_date BETWEEN p.start_date AND p.end_date"
        f" WHERE p.grain = 'month' GROUP BY p.period, {group}, {origin}",
    )
    by_origin: dict[tuple, dict[str, tuple[int, int]]] = defaultdict(dict)
    for period, grp, origin_label, incidents, conveyed in rows:
        by_origin[(period, grp)][origin_label] = (int(conveyed), incidents)
    return _records(
        engine,
        "conveyance",
        {key: (dict(sorted(origins.items())),) for key, origins in by_origin.items()},
        ({},),
        _conveyed,
    )


def _conveyed(origins: dict[str, tuple[int, int]]) -> tuple:
    conveyed = sum(n for n, _ in origins.values())
    incidents = sum(d for _, d in origins.values())
    breakdown = {
        "from_care_home": {
            origin: {"numerator": n, "denominator": d, "value": ratio(n, d, 100)}
            for origin, (n, d) in origins.items()
        }
    }
    return conveyed, incidents, ratio(conveyed, incidents, 100), breakdown


NEVER = 10**6  # a month number after every month


def _month_number(day: str) -> str:
    """Year x 12 + month of a day: the day lies before the end of month m exactly when its
    month number is at most m's."""
    return f"(EXTRACT(YEAR FROM {day}) * 12 + EXTRACT(MONTH FROM {day}))"


def _age_at_month_end(day: str, person: str = "b") -> str:
    """Whole years at a month end `day` from the person's birth month (exact at a month end)."""
    born = (
        f"CAST(SUBSTR({person}.birth_month, 1, 4) AS INTEGER) * 12"
        f" + CAST(SUBSTR({person}.birth_month, 6, 2) AS INTEGER)"
    )
    return f"(EXTRACT(YEAR FROM {day}) * 12 + EXTRACT(MONTH FROM {day}) - ({born})) // 12"


def personal_budgets(engine: Engine) -> list[dict]:
    # People on 31 March (the year's last day), aged 18+ that day from their birth month.
    group = "c.grp" if engine.by else "NULL"
    ctes = [
        "community_on_day AS (SELECT p.period, p.end_date AS snapshot, t.pseudo_id,"
        " t.postcode_in_area, t.ward_code, t.delivery_mechanism,"
        f" {_age_at_month_end('p.end_date')} AS age_at_snapshot"
        " FROM periods p JOIN social_care_events t ON t.event_start_date <= p.end_date"
        " AND (t.event_end_date IS NULL OR t.event_end_date >= p.end_date)"
        " JOIN person b ON b.pseudo_id = t.pseudo_id"
        " WHERE p.grain = 'year' AND t.event_type = 'SERVICE' AND t.service_type = 'LTS_COMMUNITY')",
        resident_ctes(
            "community_residents",
            "community_on_day",
            "snapshot",
            "age_at_snapshot >= 18",
            by=engine.by,
            age="age_at_snapshot",
            day="snapshot",
        ),
    ]
    rows = engine.query(
        ctes,
        f"SELECT c.period, {group}, COUNT(DISTINCT c.pseudo_id), COUNT(DISTINCT CASE WHEN"
        f" c.delivery_mechanism IN ({_quoted(PERSONAL_BUDGET_MECHANISMS)}) THEN c.pseudo_id END)"
        f" FROM community_residents c GROUP BY c.period, {group}",
    )
    return _records(
        engine,
        "personal_budgets",
        {(period, grp): (people, budgets) for period, grp, people, budgets in rows},
        (0, 0),
        lambda people, budgets: (budgets, people, ratio(budgets, people, 100)),
    )


def carers_supported(engine: Engine) -> list[dict]:
    group = "c.grp" if engine.by else "NULL"
    rows = engine.query(
        [
            resident_ctes(
                "carer_events",
                "social_care_events",
                "event_start_date",
                f"client_type = 'CARER' AND event_type IN ({_quoted(CARER_EVENTS)})",
                by=engine.by,
                age="age_at_event_start_date",
            )
        ],
        f"SELECT p.period, {group}, COUNT(DISTINCT c.pseudo_id) FROM periods p"
        " JOIN carer_events c ON c.event_start_date BETWEEN p.start_date AND p.end_date"
        f" WHERE p.grain = 'year' GROUP BY p.period, {group}",
    )
    return _records(
        engine,
        "carers_supported",
        {(period, grp): (carers,) for period, grp, carers in rows},
        (0,),
        lambda carers: (carers, None, carers),
    )


# Every metric breaks down but the survey's, an aggregate with no people in it (metrics.md).
UNBROKEN = ("patient_experience",)
BREAKDOWN_METRICS = tuple(m for m in METRICS if m not in UNBROKEN)


CALCULATIONS: dict[str, Callable[[Engine], list[dict]]] = {
    "nel_admissions": nel_admissions,
    "nel_admissions_rate": nel_admissions,
    "res_admissions_65": res_admissions_65,
    "reablement_91d": reablement_91d,
    "dtoc_days": dtoc_days,
    "patient_experience": patient_experience,
    "falls_65": falls_65,
    "readmissions_30d": readmissions_30d,
    "dementia_dx_rate": dementia_dx_rate,
    "ae_attendances": ae_attendances,
    "ae_conversion": ae_attendances,
    "care_home_emergencies": care_home_emergencies,
    "eol_home_deaths": eol_home_deaths,
    "eol_admissions": eol_admissions,
    "ae_4h": ae_4h,
    "long_stays": long_stays,
    "fit_days": fit_days,
    "weekend_discharges": weekend_discharges,
    "care_direct_from_hospital": care_direct_from_hospital,
    "preferred_place_of_death": preferred_place_of_death,
    "reablement_outcome": reablement_outcome,
    "conveyance": conveyance,
    "personal_budgets": personal_budgets,
    "carers_supported": carers_supported,
}


def covered_months(con) -> tuple[str, str] | None:
    """First and last month the warehouse's activity covers (`warehouse.coverage`), or None."""
    window = covered(con)
    return window.months if window else None


def _computed(
    engine: Engine, wanted: list[str], question=DEFAULT_EXPERIENCE_QUESTION
) -> list[dict]:
    records: list[dict] = []
    for calculation in dict.fromkeys(CALCULATIONS[m] for m in wanted):
        if calculation is patient_experience:
            records += patient_experience(engine, question)
        else:
            records += calculation(engine)
    return [r for r in records if r["id"] in wanted]


def check_breakdown(metric_ids: Iterable[str] | None, by: str) -> list[str]:
    if by not in BREAKDOWNS:
        raise UserError(f"unknown breakdown {by}; known: {', '.join(BREAKDOWNS)}")
    wanted = check_metric_ids(metric_ids or BREAKDOWN_METRICS)
    if unbroken := [m for m in wanted if m in UNBROKEN]:
        raise UserError(f"{', '.join(unbroken)}: an aggregate survey, with no breakdowns")
    return wanted


def check_metric_ids(metric_ids: Iterable[str] | None) -> list[str]:
    if metric_ids is None:
        return list(METRICS)
    unknown = sorted(set(metric_ids) - set(METRICS))
    if unknown:
        raise UserError(f"unknown metric {', '.join(unknown)}; known: {', '.join(METRICS)}")
    return [m for m in METRICS if m in set(metric_ids)]


def required_tables() -> list[str]:
    """The tables a warehouse needs for the metrics: every contract feed and `person`."""
    return [warehouse_table_name(feed) for feed in contract.feeds().values()] + ["person"]


def compute_metrics(
    con: duckdb.DuckDBPyConnection,
    metric_ids: Iterable[str] | None = None,
    months: tuple[str, str] | None = None,
    experience_question: str = DEFAULT_EXPERIENCE_QUESTION,
    by: str | None = None,
    area: list[dict] | None = None,
) -> list[dict]:
    """Every requested metric (default all) for every period from the first to the last month
    of `months` (default: the months the warehouse's activity covers), in metrics.md's shape.

    With `by` (one of BREAKDOWNS), the metrics of BREAKDOWN_METRICS (default all of them): each
    record of the area with `by` and `group` null, then each group's records. `area`: the
    area's raw records for the same months when the caller has them (they are not computed
    again; records of other metrics are left out)."""
    wanted = check_breakdown(metric_ids, by) if by else check_metric_ids(metric_ids)
    months = months or covered_months(con)
    if months is None:
        return []
    periods = P.covering(*months)
    if not by:
        return _computed(Engine(con, periods), wanted, experience_question)
    if area is None:
        area = _computed(Engine(con, periods), wanted)
    tagged = [{**r, "by": by, "group": None} for r in area if r["id"] in wanted]
    return tagged + _computed(Engine(con, periods, by), wanted)
