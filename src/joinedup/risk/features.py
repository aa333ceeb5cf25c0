"""Risk features per person at an index date, from warehouse rows dated strictly before it.

The population is everyone alive and registered with a practice the day before the index date.
Every window ends the day before the index date: `last 6 months` is [index - 6 months, index).
The SQL is plain ANSI (CTEs, CASE, window functions, DATE literals) so that it runs on DuckDB and
Spark SQL alike; dates are computed in Python and inlined as literals, and day differences are
spelt by `joinedup.marts.dialect`.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from joinedup import contract
from joinedup.groupings import ELECTIVE_ADMISSION, EMERGENCY_ADMISSION, PERMANENT_CARE_SERVICE
from joinedup.marts.dialect import days_between

POLYPHARMACY_DAYS = 90


def qof_registers() -> list[str]:
    codes = contract.feed("gp_conditions").column("condition").allowed_codes() or frozenset()
    return sorted(codes)


@dataclass(frozen=True)
class Windows:
    """The dates every feature window is cut at, for one index date."""

    index: date

    @property
    def last_day(self) -> date:
        return self.index - timedelta(days=1)

    def months_back(self, months: int) -> date:
        return add_months(self.index, -months)

    @property
    def medicines_from(self) -> date:
        return self.index - timedelta(days=POLYPHARMACY_DAYS)

    @property
    def months_of_last_day(self) -> int:
        """Months since year 0 of the day before the index date, for ages from birth months."""
        return self.last_day.year * 12 + self.last_day.month


def add_months(day: date, months: int) -> date:
    """The same day of the month `months` later (earlier if negative), clipped to month end."""
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def lit(day: date) -> str:
    return f"DATE '{day.isoformat()}'"


def in_list(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def population_sql(w: Windows) -> str:
    """People alive and registered the day before the index date, with their latest registration."""
    idx = lit(w.index)
    return f"""
    registered AS (
        SELECT pseudo_id, practice_code, sex, imd_decile, locality,
               ROW_NUMBER() OVER (PARTITION BY pseudo_id
                                  ORDER BY registration_date DESC, practice_code) AS rn
        FROM gp_register
        WHERE pseudo_id IS NOT NULL AND registration_date < {idx}
          AND (deregistration_date IS NULL OR deregistration_date >= {idx})
    ),
    dead AS (
        SELECT DISTINCT pseudo_id FROM deaths
        WHERE pseudo_id IS NOT NULL AND date_of_death < {idx}
    ),
    population AS (
        SELECT r.pseudo_id, r.practice_code,
               COALESCE(pr.locality, r.locality) AS locality,
               COALESCE(p.sex, r.sex) AS sex, r.imd_decile, p.birth_month
        FROM registered r
        LEFT JOIN person p ON p.pseudo_id = r.pseudo_id
        LEFT JOIN practices pr ON pr.practice_code = r.practice_code
        LEFT JOIN dead d ON d.pseudo_id = r.pseudo_id
        WHERE r.rn = 1 AND d.pseudo_id IS NULL
    )"""


def event_ctes_sql(w: Windows) -> str:
    idx, m6, m12 = lit(w.index), lit(w.months_back(6)), lit(w.months_back(12))
    med = lit(w.medicines_from)
    emergency, elective = in_list(EMERGENCY_ADMISSION), in_list(ELECTIVE_ADMISSION)
    stay_from = f"CASE WHEN admission_date > {m12} THEN admission_date ELSE {m12} END"
    stay_to = (
        f"CASE WHEN discharge_date IS NULL OR discharge_date > {idx} THEN {idx}"
        " ELSE discharge_date END"
    )
    registers = ",\n".join(
        f"MAX(CASE WHEN condition = '{c}' THEN 1 ELSE 0 END) AS reg_{c.lower()}"
        for c in qof_registers()
    )
    return f"""
    conditions AS (
        SELECT pseudo_id, COUNT(DISTINCT condition) AS ltc_count, {registers}
        FROM gp_conditions
        WHERE diagnosed_date < {idx} AND (resolved_date IS NULL OR resolved_date >= {idx})
        GROUP BY pseudo_id
    ),
    medicines AS (
        SELECT pseudo_id, COUNT(DISTINCT SUBSTR(bnf_code, 1, 9)) AS medicines_90d
        FROM gp_medications
        WHERE issue_date >= {med} AND issue_date < {idx}
        GROUP BY pseudo_id
    ),
    ae AS (
        SELECT pseudo_id,
               SUM(CASE WHEN CAST(arrival_datetime AS DATE) >= {m6} THEN 1 ELSE 0 END) AS ae_6m,
               COUNT(*) AS ae_12m
        FROM acute_ae
        WHERE CAST(arrival_datetime AS DATE) >= {m12} AND CAST(arrival_datetime AS DATE) < {idx}
        GROUP BY pseudo_id
    ),
    spells AS (
        SELECT pseudo_id,
               SUM(CASE WHEN admission_method IN ({emergency}) AND admission_date >= {m6}
                        THEN 1 ELSE 0 END) AS emergency_6m,
               SUM(CASE WHEN admission_method IN ({emergency}) THEN 1 ELSE 0 END) AS emergency_12m,
               SUM(CASE WHEN admission_method IN ({elective}) THEN 1 ELSE 0 END) AS elective_12m
        FROM acute_apc
        WHERE admission_date >= {m12} AND admission_date < {idx}
        GROUP BY pseudo_id
    ),
    bed_days AS (
        SELECT pseudo_id,
               SUM({days_between(stay_from, stay_to)}) AS bed_days_12m
        FROM acute_apc
        WHERE admission_date < {idx} AND (discharge_date IS NULL OR discharge_date > {m12})
          AND patient_classification = '1'
        GROUP BY pseudo_id
    ),
    gp AS (
        SELECT pseudo_id, COUNT(*) AS gp_appointments_12m
        FROM gp_appointments
        WHERE status = 'ATTENDED' AND appointment_date >= {m12} AND appointment_date < {idx}
        GROUP BY pseudo_id
    ),
    community AS (
        SELECT pseudo_id, COUNT(*) AS community_contacts_12m
        FROM community_contacts
        WHERE contact_date >= {m12} AND contact_date < {idx}
        GROUP BY pseudo_id
    ),
    mental_health AS (
        SELECT pseudo_id, COUNT(*) AS mh_contacts_12m,
               SUM(CASE WHEN team_type = 'MEMORY_ASSESSMENT' THEN 1 ELSE 0 END)
                   AS memory_assessment_12m
        FROM mental_health_contacts
        WHERE contact_date >= {m12} AND contact_date < {idx}
        GROUP BY pseudo_id
    ),
    urgent AS (
        SELECT pseudo_id,
               SUM(CASE WHEN service = 'AMBULANCE' THEN 1 ELSE 0 END) AS ambulance_12m,
               SUM(CASE WHEN service <> 'AMBULANCE' THEN 1 ELSE 0 END) AS nhs111_ooh_12m
        FROM urgent_care_contacts
        WHERE CAST(contact_datetime AS DATE) >= {m12} AND CAST(contact_datetime AS DATE) < {idx}
        GROUP BY pseudo_id
    ),
    delays AS (
        SELECT pseudo_id, COUNT(*) AS delayed_transfers_12m
        FROM delayed_transfers
        WHERE ready_date >= {m12} AND ready_date < {idx}
        GROUP BY pseudo_id
    ),
    eol AS (
        SELECT DISTINCT pseudo_id, 1 AS eol_register FROM eol_register WHERE added_date < {idx}
    ),
    {social_care_sql(w)}"""


def social_care_sql(w: Windows) -> str:
    """Social care at the index date: services active the day before it, events in the last year.

    A service is active on the last day when it started before the index date and had not ended
    before that day. `sc_memory_cognition` and the living-alone proxy `sc_social_support` (support
    for social isolation as the primary reason) look at every event recorded before the index
    date. Carers are CARER clients of the person (carer support on the person's record): known
    while a CARER service is active, stopped when one ended in the last 12 months. The package
    increase is the weekly cost of community support active on the last day less that active a
    year before it (0 when it fell).
    """
    idx, last, m12 = lit(w.index), lit(w.last_day), lit(w.months_back(12))
    year_before = lit(w.months_back(12) - timedelta(days=1))
    active = f"event_type = 'SERVICE' AND (event_end_date IS NULL OR event_end_date >= {last})"
    active_before = (
        f"event_type = 'SERVICE' AND event_start_date <= {year_before}"
        f" AND (event_end_date IS NULL OR event_end_date >= {year_before})"
    )
    community = "client_type = 'SERVICE_USER' AND service_type = 'LTS_COMMUNITY'"
    carer = "client_type = 'CARER' AND event_type = 'SERVICE'"
    ended = f"event_end_date >= {m12} AND event_end_date < {idx}"
    assessed = "client_type = 'SERVICE_USER' AND event_type = 'ASSESSMENT'"
    months_since = days_between("MAX(CASE WHEN " + assessed + " THEN event_start_date END)", last)
    recent = f"event_start_date >= {m12}"
    return f"""social_care AS (
        SELECT pseudo_id,
               MAX(CASE WHEN {active} AND service_component = 'HOME_CARE' THEN 1 ELSE 0 END)
                   AS sc_home_care,
               SUM(CASE WHEN {active} AND client_type = 'SERVICE_USER'
                        THEN COALESCE(weekly_cost, 0) ELSE 0 END) AS sc_weekly_cost,
               MAX(CASE WHEN {recent} AND service_type = 'STS_REABLEMENT' THEN 1 ELSE 0 END)
                   AS sc_reablement_12m,
               MAX(CASE WHEN {carer} AND (event_end_date IS NULL OR event_end_date >= {last})
                        THEN 1 ELSE 0 END) AS sc_carer_known,
               MAX(CASE WHEN {carer} AND {ended} THEN 1 ELSE 0 END) AS sc_carer_stopped_12m,
               SUM(CASE WHEN {active} AND {community} THEN COALESCE(weekly_cost, 0) ELSE 0 END)
                 - SUM(CASE WHEN {active_before} AND {community} THEN COALESCE(weekly_cost, 0)
                            ELSE 0 END) AS sc_package_change,
               COALESCE(FLOOR(({months_since}) / 30.4375), {NEVER_ASSESSED_MONTHS})
                   AS sc_months_since_assessment,
               MAX(CASE WHEN primary_support_reason = 'SOCIAL_SUPPORT' THEN 1 ELSE 0 END)
                   AS sc_social_support,
               MAX(CASE WHEN {recent} AND (service_component = 'RESPITE'
                                           OR placement_type = 'RESPITE') THEN 1 ELSE 0 END)
                   AS sc_respite_12m,
               MAX(CASE WHEN {active} AND placement_type = 'PERMANENT'
                         AND service_type IN ({in_list(PERMANENT_CARE_SERVICE)})
                        THEN 1 ELSE 0 END)
                   AS sc_permanent_care,
               SUM(CASE WHEN {recent} AND event_type IN ('REQUEST', 'ASSESSMENT')
                        THEN 1 ELSE 0 END) AS sc_requests_12m,
               MAX(CASE WHEN primary_support_reason = 'MEMORY_COGNITION' THEN 1 ELSE 0 END)
                   AS sc_memory_cognition
        FROM social_care_events
        WHERE event_start_date < {idx}
        GROUP BY pseudo_id
    ),
    social_care_signal AS (
        SELECT pseudo_id, sc_home_care, sc_weekly_cost, sc_reablement_12m, sc_carer_known,
               sc_carer_stopped_12m, sc_respite_12m, sc_permanent_care, sc_requests_12m,
               sc_memory_cognition, sc_social_support,
               CASE WHEN sc_package_change > 0 THEN sc_package_change ELSE 0 END
                   AS sc_package_increase_12m,
               CASE WHEN sc_months_since_assessment > {NEVER_ASSESSED_MONTHS}
                    THEN {NEVER_ASSESSED_MONTHS} ELSE sc_months_since_assessment END
                   AS sc_months_since_assessment
        FROM social_care
    )"""


# (CTE, its columns) joined onto the population; a person with no row has zeros.
EVENT_COLUMNS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("medicines", ("medicines_90d",)),
    ("ae", ("ae_6m", "ae_12m")),
    ("spells", ("emergency_6m", "emergency_12m", "elective_12m")),
    ("bed_days", ("bed_days_12m",)),
    ("gp", ("gp_appointments_12m",)),
    ("community", ("community_contacts_12m",)),
    ("mental_health", ("mh_contacts_12m", "memory_assessment_12m")),
    ("urgent", ("ambulance_12m", "nhs111_ooh_12m")),
    ("delays", ("delayed_transfers_12m",)),
    ("eol", ("eol_register",)),
    (
        "social_care_signal",
        (
            "sc_home_care",
            "sc_weekly_cost",
            "sc_reablement_12m",
            "sc_carer_known",
            "sc_carer_stopped_12m",
            "sc_respite_12m",
            "sc_permanent_care",
            "sc_requests_12m",
            "sc_memory_cognition",
            "sc_social_support",
            "sc_package_increase_12m",
            "sc_months_since_assessment",
        ),
    ),
)
# people never assessed (or not for this long) count as assessed this many months ago
NEVER_ASSESSED_MONTHS = 36


MISSING = {"sc_months_since_assessment": NEVER_ASSESSED_MONTHS}  # a person with no row; else 0


def feature_names() -> list[str]:
    """Model inputs, in matrix column order. Names starting `sc_` are the social care features."""
    names = ["age", "female", "imd_decile", "ltc_count"]
    names += [f"reg_{c.lower()}" for c in qof_registers()]
    for _, columns in EVENT_COLUMNS:
        names += columns
    return names


def social_care_features() -> list[str]:
    return [n for n in feature_names() if n.startswith("sc_")]


def features_sql(index: date) -> str:
    w = Windows(index)
    condition_columns = ["ltc_count"] + [f"reg_{c.lower()}" for c in qof_registers()]
    selected = [f"COALESCE(c.{n}, 0) AS {n}" for n in condition_columns]
    joins = ["LEFT JOIN conditions c ON c.pseudo_id = pop.pseudo_id"]
    for cte, columns in EVENT_COLUMNS:
        selected += [f"COALESCE({cte}.{n}, {MISSING.get(n, 0)}) AS {n}" for n in columns]
        joins.append(f"LEFT JOIN {cte} ON {cte}.pseudo_id = pop.pseudo_id")
    age = (
        f"FLOOR(({w.months_of_last_day} - (CAST(SUBSTR(pop.birth_month, 1, 4) AS INTEGER) * 12"
        " + CAST(SUBSTR(pop.birth_month, 6, 2) AS INTEGER))) / 12)"
    )
    return f"""
    WITH {population_sql(w)},
    {event_ctes_sql(w)}
    SELECT pop.pseudo_id, pop.practice_code, pop.locality,
           {age} AS age,
           CASE WHEN pop.sex = '2' THEN 1 ELSE 0 END AS female,
           pop.imd_decile,
           {", ".join(selected)}
    FROM population pop
    {" ".join(joins)}
    ORDER BY pop.pseudo_id"""


@dataclass
class FeatureTable:
    """Features of one population at one index date: one row per person, sorted by pseudo_id."""

    index: date
    pseudo_ids: np.ndarray
    practices: np.ndarray
    localities: np.ndarray
    names: list[str]
    matrix: np.ndarray  # float64, NaN where unknown (age without a birth month, IMD outside area)

    def __len__(self) -> int:
        return len(self.pseudo_ids)

    def column(self, name: str) -> np.ndarray:
        return self.matrix[:, self.names.index(name)]

    def select(self, keep: np.ndarray) -> FeatureTable:
        return FeatureTable(
            self.index,
            self.pseudo_ids[keep],
            self.practices[keep],
            self.localities[keep],
            self.names,
            self.matrix[keep],
        )


def build_features(con, index: date) -> FeatureTable:
    """Compute every feature for the population at `index` on a DuckDB connection."""
    result = con.execute(features_sql(index)).fetchnumpy()
    names = feature_names()
    rows = len(result["pseudo_id"])
    matrix = np.empty((rows, len(names)), dtype=np.float64)
    for i, name in enumerate(names):
        matrix[:, i] = _as_float(result.pop(name))  # each column freed once copied
    return FeatureTable(
        index=index,
        pseudo_ids=np.asarray(result["pseudo_id"], dtype=object),
        practices=np.asarray(result["practice_code"], dtype=object),
        localities=np.asarray(result["locality"], dtype=object),
        names=names,
        matrix=matrix,
    )


def _as_float(values) -> np.ndarray:
    if np.ma.isMaskedArray(values):
        return values.astype(np.float64).filled(np.nan)
    return np.asarray(values, dtype=np.float64)
