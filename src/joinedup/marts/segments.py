"""`person_year_segment`: one row per person and financial year, with the segments Year of Care
spend is reported by and the high-cost cohort.

Who is in a year: everyone with a costed event in it, and everyone registered with a practice at
some time in it who had not died before it began. Age band and long-term conditions are taken at
the year's start; social care status is the most intensive service active at any time in the
year; locality and residency come from the person's latest practice registration started by the
year's end (or, with none, from their latest event that carried a postcode).

`national_opt_out` marks a person whose NDOO was in force on the year's last day or is still in
force (never withdrawn; `governance.objections`, the rule the risk models use): person-level uses
(tier P, models, lists) must leave them out, while aggregate spend still counts them (DESIGN.md).
"""

from __future__ import annotations

from joinedup.governance.objections import opted_out_condition
from joinedup.groupings import sql_list
from joinedup.marts.calendar import CALENDAR_TABLE
from joinedup.marts.events import EVENT_TABLE
from joinedup.marts.periods import YEAR_TABLE

SEGMENT_TABLE = "person_year_segment"
AGE_BANDS = ("0-17", "18-64", "65-74", "75-84", "85+")
LTC_BANDS = ("0", "1", "2", "3", "4+")
CARE_STATUSES = ("none", "short_term", "long_term_community", "permanent_care")
# The cohort is the ceil(5% x residents) costliest residents of the year (ties broken by
# pseudo_id), the same cut as the risk module's high-cost outcome.
HIGH_COST_SHARE = 0.05

# Age in whole years on 31 March, the month end before the year starts: birth_month is all the
# warehouse keeps, and a person born in April or later has not had that year's birthday yet.
_AGE = """EXTRACT(YEAR FROM p.year_start) - CAST(SUBSTR(pe.birth_month, 1, 4) AS INTEGER)
      - CASE WHEN CAST(SUBSTR(pe.birth_month, 6, 2) AS INTEGER) >= 4 THEN 1 ELSE 0 END"""

PERMANENT_CARE = sql_list("permanent_care_service")
# Residential and nursing care is permanent unless recorded as respite or a short stay.
_CARE_LEVEL = f"""CASE
      WHEN s.service_type IN ({PERMANENT_CARE})
        AND COALESCE(s.placement_type, 'PERMANENT') = 'PERMANENT' THEN 3
      WHEN s.service_type = 'LTS_COMMUNITY' THEN 2
      ELSE 1 END"""

SEGMENT_SQL = f"""
CREATE OR REPLACE TABLE {SEGMENT_TABLE} AS
WITH years AS (SELECT DISTINCT financial_year, year_start, year_end FROM {CALENDAR_TABLE}),
death AS (
  SELECT pseudo_id, MIN(date_of_death) AS date_of_death FROM deaths GROUP BY pseudo_id
),
registered AS (
  SELECT r.pseudo_id, y.financial_year
  FROM gp_register r
  JOIN years y ON r.registration_date <= y.year_end
    AND (r.deregistration_date IS NULL OR r.deregistration_date >= y.year_start)
  LEFT JOIN death d ON d.pseudo_id = r.pseudo_id
  WHERE r.pseudo_id IS NOT NULL AND (d.date_of_death IS NULL OR d.date_of_death >= y.year_start)
),
cost AS (
  -- Summed as decimals: a sum of doubles depends on the order threads add them, and a last
  -- bit changed the ranks of equal spenders from one build to the next.
  SELECT pseudo_id, period AS financial_year,
    CAST(SUM(CAST(cost_gbp AS DECIMAL(38, 10))) AS DOUBLE) AS total_cost
  FROM {YEAR_TABLE} GROUP BY pseudo_id, period
),
population AS (
  SELECT c.pseudo_id, y.financial_year, y.year_start, y.year_end
  FROM (SELECT pseudo_id, financial_year FROM registered
        UNION SELECT pseudo_id, financial_year FROM cost) c
  JOIN years y ON y.financial_year = c.financial_year
),
ltc AS (
  SELECT p.pseudo_id, p.financial_year, COUNT(DISTINCT c.condition) AS ltc_count
  FROM population p
  JOIN gp_conditions c ON c.pseudo_id = p.pseudo_id AND c.diagnosed_date <= p.year_start
    AND (c.resolved_date IS NULL OR c.resolved_date > p.year_start)
  GROUP BY p.pseudo_id, p.financial_year
),
care AS (
  SELECT p.pseudo_id, p.financial_year, MAX({_CARE_LEVEL}) AS care_level
  FROM population p
  JOIN social_care_events s ON s.pseudo_id = p.pseudo_id AND s.event_type = 'SERVICE'
    AND s.client_type = 'SERVICE_USER' AND COALESCE(s.service_type, '') <> 'CARER_SUPPORT'
    AND s.event_start_date <= p.year_end
    AND (s.event_end_date IS NULL OR s.event_end_date >= p.year_start)
  GROUP BY p.pseudo_id, p.financial_year
),
opted_out AS (
  SELECT DISTINCT p.pseudo_id, p.financial_year
  FROM population p
  JOIN objections o ON o.pseudo_id = p.pseudo_id AND {opted_out_condition('p.year_end')}
),
registration_place AS (
  SELECT p.pseudo_id, p.financial_year, COALESCE(r.postcode_in_area, FALSE) AS resident,
    r.locality,
    ROW_NUMBER() OVER (PARTITION BY p.pseudo_id, p.financial_year
                       ORDER BY r.registration_date DESC, r._row_id) AS latest
  FROM population p
  JOIN gp_register r ON r.pseudo_id = p.pseudo_id AND r.registration_date <= p.year_end
),
unregistered AS (
  SELECT p.pseudo_id, p.financial_year, p.year_end
  FROM population p
  LEFT JOIN registration_place r ON r.pseudo_id = p.pseudo_id
    AND r.financial_year = p.financial_year AND r.latest = 1
  WHERE r.pseudo_id IS NULL
),
event_place AS (
  SELECT p.pseudo_id, p.financial_year, e.in_area AS resident, e.locality,
    ROW_NUMBER() OVER (PARTITION BY p.pseudo_id, p.financial_year
                       ORDER BY e.event_date DESC, e.source_row_id) AS latest
  FROM unregistered p
  JOIN {EVENT_TABLE} e ON e.pseudo_id = p.pseudo_id AND e.in_area IS NOT NULL
    AND e.event_date <= p.year_end
),
assembled AS (
  SELECT p.pseudo_id, p.financial_year, {_AGE} AS age,
    COALESCE(l.ltc_count, 0) AS ltc_count, COALESCE(c.care_level, 0) AS care_level,
    CASE WHEN rp.pseudo_id IS NOT NULL THEN rp.locality ELSE ep.locality END AS locality,
    COALESCE(rp.resident, ep.resident, FALSE) AS resident,
    COALESCE(k.total_cost, 0) AS total_cost, o.pseudo_id IS NOT NULL AS national_opt_out
  FROM population p
  LEFT JOIN person pe ON pe.pseudo_id = p.pseudo_id
  LEFT JOIN ltc l ON l.pseudo_id = p.pseudo_id AND l.financial_year = p.financial_year
  LEFT JOIN care c ON c.pseudo_id = p.pseudo_id AND c.financial_year = p.financial_year
  LEFT JOIN registration_place rp ON rp.pseudo_id = p.pseudo_id
    AND rp.financial_year = p.financial_year AND rp.latest = 1
  LEFT JOIN event_place ep ON ep.pseudo_id = p.pseudo_id
    AND ep.financial_year = p.financial_year AND ep.latest = 1
  LEFT JOIN cost k ON k.pseudo_id = p.pseudo_id AND k.financial_year = p.financial_year
  LEFT JOIN opted_out o ON o.pseudo_id = p.pseudo_id AND o.financial_year = p.financial_year
),
ranked AS (
  SELECT a.*,
    ROW_NUMBER() OVER (PARTITION BY financial_year, resident
                       ORDER BY total_cost DESC, pseudo_id) AS cost_rank,
    COUNT(*) OVER (PARTITION BY financial_year, resident) AS cohort_people
  FROM assembled a
)
SELECT pseudo_id, financial_year,
  CASE WHEN age IS NULL THEN 'unknown' WHEN age < 18 THEN '0-17' WHEN age < 65 THEN '18-64'
       WHEN age < 75 THEN '65-74' WHEN age < 85 THEN '75-84' ELSE '85+' END AS age_band,
  ltc_count,
  CASE WHEN ltc_count >= 4 THEN '4+' ELSE CAST(ltc_count AS STRING) END AS ltc_band,
  CASE care_level WHEN 3 THEN 'permanent_care' WHEN 2 THEN 'long_term_community'
       WHEN 1 THEN 'short_term' ELSE 'none' END AS social_care_status,
  locality, resident, national_opt_out, total_cost,
  resident AND total_cost > 0 AND cost_rank <= CEIL({HIGH_COST_SHARE} * cohort_people) AS high_cost
FROM ranked"""
