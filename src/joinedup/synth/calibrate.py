"""The generated area's yearly figures against the published ones (`../shared/calibration.md`),
with pass or fail for each (the command is calibrate_command.py).

Figures that are metrics come from the metric engine; the others are SQL over the same
warehouse. By default the warehouse is built from DIR by the truth (synth/oracle.py), which
measures the simulation alone; `--warehouse` measures a landed warehouse instead, so that the
figures also carry landing's and linkage's effects.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from joinedup import duck
from joinedup.metrics.engine import EMERGENCY, compute_metrics, resident_ctes
from joinedup.synth.config import REFERENCE_PEOPLE
from joinedup.synth.oracle import build_oracle_warehouse
from joinedup.warehouse import store


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


@dataclass(frozen=True)
class Year:
    label: str  # '2014/15'
    start: str
    end: str
    mid_year: int  # the population estimate's year

    @property
    def september(self) -> str:
        return f"{self.mid_year}-09"


def _sql(con, ctes: list[str], select: str, year: Year) -> float:
    text = ("WITH " + ",\n".join(ctes) + "\n" if ctes else "") + select
    for key, value in (("$start", f"DATE '{year.start}'"), ("$end", f"DATE '{year.end}'"),
                       ("$year", str(year.mid_year))):
        text = text.replace(key, value)
    return float(con.execute(text).fetchone()[0] or 0)


def _population(con, year: Year, bands: str | None = None) -> float:
    where = f"AND age_band IN ({bands})" if bands else ""
    return _sql(con, [], f"SELECT sum(population) FROM population WHERE year = $year {where}", year)


OVER_65 = "'65-69','70-74','75-79','80-84','85-89','90+'"
OVER_75 = "'75-79','80-84','85-89','90+'"
OVER_80 = "'80-84','85-89','90+'"
REGISTERED_MID = """registered_mid AS (
  SELECT DISTINCT g.pseudo_id FROM gp_register g
  WHERE g.registration_date <= DATE '$year-09-30'
    AND (g.deregistration_date IS NULL OR g.deregistration_date > DATE '$year-09-30')
    AND g.pseudo_id NOT IN (SELECT pseudo_id FROM deaths WHERE date_of_death <= DATE '$year-09-30'))"""
IN_STAY_OVER_7 = """SELECT avg(n) FROM (SELECT d, count(s.pseudo_id) AS n FROM month_ends
  LEFT JOIN stays s ON s.provider_code = '{provider}' AND s.admission_date < d - 7
       AND (s.discharge_date IS NULL OR s.discharge_date > d) GROUP BY d)"""
MONTH_ENDS = """month_ends AS (SELECT CAST(d AS DATE) - 1 AS d FROM range(
  $start + INTERVAL 1 MONTH, $end + INTERVAL 2 DAY, INTERVAL 1 MONTH) t(d))"""


def sql_figures(con, year: Year) -> dict[str, float]:
    """The figures that are not metrics of metrics.md, as SQL over the warehouse."""
    def q(ctes, select):
        return _sql(con, ctes, select, year)
    figures = {
        "aged 65+ (% of residents)": 100 * _population(con, year, OVER_65) / _population(con, year),
        "aged 75+": _population(con, year, OVER_75),
        "people with a long-term condition": q([REGISTERED_MID], """
            SELECT count(DISTINCT c.pseudo_id) FROM gp_conditions c JOIN registered_mid USING (pseudo_id)
            WHERE c.diagnosed_date <= DATE '$year-09-30' AND c.condition NOT IN ('PC', 'DEP')
              AND (c.resolved_date IS NULL OR c.resolved_date > DATE '$year-09-30')"""),
        "adults receiving council-funded social care": q(
            [resident_ctes("services", "social_care_events", "event_start_date",
                           "event_type = 'SERVICE' AND client_type = 'SERVICE_USER' AND age_at_event_start_date >= 18")],
            "SELECT count(DISTINCT pseudo_id) FROM services WHERE event_start_date <= $end "
            "AND (event_end_date IS NULL OR event_end_date >= $start)"),
        "people delayed in a year": q(
            [resident_ctes("delays", "delayed_transfers", "ready_date", "age_at_ready_date >= 18")],
            "SELECT count(DISTINCT pseudo_id) FROM delays WHERE ready_date <= $end "
            "AND (transfer_date IS NULL OR transfer_date > $start)"),
        "people receiving a multi-disciplinary team review": q([], """
            SELECT count(DISTINCT pseudo_id) FROM community_contacts
            WHERE service = 'COMMUNITY_MATRON' AND contact_date BETWEEN $start AND $end"""),
        "emergency admissions for injurious falls, 80+ (per 100,000)": 100_000 * q(
            [resident_ctes("falls", "acute_apc", "admission_date",
                           f"{EMERGENCY} AND age_at_admission_date >= 80 AND primary_diagnosis SIMILAR TO '[ST].*'"
                           " AND regexp_matches(coalesce(secondary_diagnoses, ''), '(^|;)W(0[0-9]|1[0-9])')")],
            "SELECT count(*) FROM falls WHERE admission_date BETWEEN $start AND $end",
        ) / _population(con, year, OVER_80),
    }
    deaths = [resident_ctes("resident_deaths", "deaths", "date_of_death", own_postcode=False)]
    in_year = "FROM resident_deaths WHERE date_of_death BETWEEN $start AND $end"
    died = q(deaths, f"SELECT count(*) {in_year}")
    figures["deaths (% of residents)"] = 100 * died / _population(con, year)
    figures["deaths in hospital (%)"] = 100 * q(
        deaths, f"SELECT count(*) {in_year} AND place_of_death = 'HOSPITAL'") / max(died, 1)
    stays = [resident_ctes("stays", "acute_apc", "admission_date"), MONTH_ENDS]
    for provider, label in (("RZA", "acute"), ("RZC", "community")):
        figures[f"hospital inpatients staying over 7 days on a given day ({label})"] = q(
            stays, IN_STAY_OVER_7.format(provider=provider))
    return figures


def metric_figures(metrics: list[dict], year: Year) -> dict[str, float]:
    """The figures that are metrics, read from the metric engine's records."""
    def get(metric: str, period: str) -> dict:
        return next((m for m in metrics if m["id"] == metric and m["period"] == period), {})

    def months(metric: str, field: str) -> float:
        return sum(m[field] or 0 for m in metrics if m["id"] == metric and m["grain"] == "month"
                   and year.start[:7] <= m["period"] <= year.end[:7])

    dementia = get("dementia_dx_rate", year.september)
    return {
        "dementia: estimated 65+ with dementia": dementia.get("denominator") or 0,
        "dementia: on the GP register": dementia.get("numerator") or 0,
        "A&E attendances": months("ae_attendances", "numerator"),
        "A&E conversion (% admitted)": 100 * months("ae_conversion", "numerator")
        / max(months("ae_conversion", "denominator"), 1),
        "non-elective (G&A) admissions": get("nel_admissions", year.label).get("numerator") or 0,
        "permanent admissions 65+ to residential/nursing care":
            get("res_admissions_65", year.label).get("numerator") or 0,
        "still at home 91 days after reablement (%)": get("reablement_91d", year.label).get("value") or 0,
        "emergency admissions in the last 12 months of life (EoL register)":
            get("eol_admissions", year.label).get("value") or 0,
    }


# figure: (published value at 175,000 residents, tolerance, 'relative' | 'points', scales with size)
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


def calibration_years(con) -> list[Year]:
    """Every complete financial year after the first: the first lacks the history that
    last-year-of-life and 91-day figures look back on."""
    first, last = con.execute("SELECT min(year), max(year) FROM population").fetchone()
    last_day = str(con.execute("SELECT max(admission_date) FROM acute_apc").fetchone()[0])
    return [Year(f"{y}/{str(y + 1)[2:]}", f"{y}-04-01", f"{y + 1}-03-31", y)
            for y in range(first + 1, last + 1) if f"{y + 1}-03-31" <= last_day]


def _row(figure: str, year: str, value: float, scale: float) -> Row:
    target, tolerance, kind, scales = TARGETS[figure]
    target = target * scale if scales else target
    low, high = ((target * (1 - tolerance), target * (1 + tolerance)) if kind == "relative"
                 else (target - tolerance, target + tolerance))
    return Row(figure, year, round(target, 2), round(low, 2), round(high, 2), round(value, 2))


def calibration_rows(area: Path, warehouse: Path | None = None) -> list[Row]:
    people = duck.connect().execute(f"SELECT count(*) FROM read_csv('{area}/truth/people.csv', header=true, "
                        "all_varchar=true) WHERE resident_at_start = '1'").fetchone()[0]
    scale = people / REFERENCE_PEOPLE
    con = store.open_snapshot(warehouse) if warehouse else build_oracle_warehouse(area)
    metrics = compute_metrics(con)
    rows = [Row("resident population at the start", "-", people, people, people, people)]
    for year in calibration_years(con):
        figures = sql_figures(con, year) | metric_figures(metrics, year)
        rows += [_row(figure, year.label, figures[figure], scale) for figure in TARGETS]
    return rows
