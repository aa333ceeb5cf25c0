"""`person_event`: every costed event of every person, across every organisation.

Org types and activities follow issue 4 and metrics.md (Cost, Year of Care): an event costs its
own cost column when present, else the `unit_costs` row for its activity and the financial year of
its date; a social care SERVICE costs weekly_cost x days active within the data window / 7.
"""

from __future__ import annotations

from joinedup.groupings import ELECTIVE_ADMISSION, MENTAL_HEALTH_SPECIALTY
from joinedup.marts.calendar import CALENDAR_TABLE, Window
from joinedup.marts.dialect import date_literal, days_between

EVENT_TABLE = "person_event"
ORG_TYPES = ("acute", "community", "mental_health", "primary_care", "urgent_care", "social_care")
# Every other provider (the acute trust RZA, or any out-of-area trust) is acute.
COMMUNITY_PROVIDER, MENTAL_HEALTH_PROVIDER = "RZC", "RZM"
SOURCE_TABLES = (
    "acute_apc",
    "acute_ae",
    "community_contacts",
    "mental_health_contacts",
    "gp_appointments",
    "gp_medications",
    "urgent_care_contacts",
    "social_care_events",
)


def _in_list(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


# Community hospital spells are costed per bed day (PSSRU); every other spell per spell, as
# non-elective (any non-elective method, maternity and transfers included, as NHS Reference
# Costs count them), elective or day case.
_APC = f"""
SELECT pseudo_id, admission_date AS event_date, discharge_date AS end_date,
  CASE WHEN provider_code = '{MENTAL_HEALTH_PROVIDER}' OR main_specialty IN ({_in_list(MENTAL_HEALTH_SPECIALTY)})
         THEN 'mental_health'
       WHEN provider_code = '{COMMUNITY_PROVIDER}' THEN 'community'
       ELSE 'acute' END AS org_type,
  CASE WHEN provider_code = '{COMMUNITY_PROVIDER}' AND main_specialty NOT IN ({_in_list(MENTAL_HEALTH_SPECIALTY)})
         THEN 'COMMUNITY_BED_DAY'
       WHEN admission_method NOT IN ({_in_list(ELECTIVE_ADMISSION)}) THEN 'NEL_SPELL'
       WHEN patient_classification = '2' THEN 'DAY_CASE'
       ELSE 'EL_SPELL' END AS activity,
  'acute_apc' AS source_table,
  provider_code || ' ' || main_specialty || ' method ' || admission_method AS detail,
  spell_cost AS own_cost, CAST(NULL AS DOUBLE) AS weekly_cost,
  postcode_in_area AS in_area, locality, _row_id AS source_row_id
FROM acute_apc"""

_AE = """
SELECT pseudo_id, CAST(arrival_datetime AS DATE), CAST(departure_datetime AS DATE), 'acute',
  'AE_ATTENDANCE', 'acute_ae', provider_code || ' disposal ' || disposal, attendance_cost,
  CAST(NULL AS DOUBLE), postcode_in_area, locality, _row_id
FROM acute_ae"""

_COMMUNITY = """
SELECT pseudo_id, contact_date, CAST(NULL AS DATE), 'community', 'COMMUNITY_CONTACT',
  'community_contacts', service, contact_cost, CAST(NULL AS DOUBLE), postcode_in_area, locality,
  _row_id
FROM community_contacts"""

_MENTAL_HEALTH = """
SELECT pseudo_id, contact_date, CAST(NULL AS DATE), 'mental_health', 'MH_CONTACT',
  'mental_health_contacts', team_type, contact_cost, CAST(NULL AS DOUBLE), postcode_in_area,
  locality, _row_id
FROM mental_health_contacts"""

_GP_APPOINTMENTS = """
SELECT pseudo_id, appointment_date, CAST(NULL AS DATE), 'primary_care', 'GP_APPOINTMENT',
  'gp_appointments', staff_role || ' ' || mode, CAST(NULL AS DOUBLE), CAST(NULL AS DOUBLE),
  CAST(NULL AS BOOLEAN), CAST(NULL AS STRING), _row_id
FROM gp_appointments WHERE status = 'ATTENDED'"""

_GP_MEDICATIONS = """
SELECT pseudo_id, issue_date, CAST(NULL AS DATE), 'primary_care', 'PRESCRIPTION_ITEM',
  'gp_medications', bnf_code, CAST(NULL AS DOUBLE), CAST(NULL AS DOUBLE),
  CAST(NULL AS BOOLEAN), CAST(NULL AS STRING), _row_id
FROM gp_medications"""

# An ambulance call that neither conveyed nor was closed on the phone had a crew on scene.
_URGENT = """
SELECT pseudo_id, CAST(contact_datetime AS DATE), CAST(NULL AS DATE), 'urgent_care',
  CASE WHEN service = 'NHS111' THEN 'NHS111_CALL'
       WHEN service = 'OOH' THEN 'OOH_CONTACT'
       WHEN outcome = 'CONVEYED' THEN 'AMBULANCE_CONVEYED'
       WHEN outcome = 'HEAR_AND_TREAT' THEN 'AMBULANCE_HEAR_AND_TREAT'
       ELSE 'AMBULANCE_SEE_AND_TREAT' END,
  'urgent_care_contacts', service || ' ' || outcome, contact_cost, CAST(NULL AS DOUBLE),
  postcode_in_area, locality, _row_id
FROM urgent_care_contacts"""

_SOCIAL_CARE = """
SELECT pseudo_id, event_start_date, event_end_date, 'social_care', service_type,
  'social_care_events', service_type || ' ' || COALESCE(service_component, 'UNRECORDED'),
  CAST(NULL AS DOUBLE), weekly_cost, postcode_in_area, locality, _row_id
FROM social_care_events WHERE event_type = 'SERVICE'"""

SOURCE_EVENTS = "\nUNION ALL".join(
    [
        _APC,
        _AE,
        _COMMUNITY,
        _MENTAL_HEALTH,
        _GP_APPOINTMENTS,
        _GP_MEDICATIONS,
        _URGENT,
        _SOCIAL_CARE,
    ]
)

# Point events (everything but SERVICE rows, whose start may be years back) per calendar month,
# to find the months the data covers; and every row without a person, which person_event cannot
# hold and is counted instead.
MONTH_COUNTS_SQL = f"""
WITH source AS ({SOURCE_EVENTS})
SELECT CASE WHEN source_table <> 'social_care_events' THEN EXTRACT(YEAR FROM event_date) END,
  CASE WHEN source_table <> 'social_care_events' THEN EXTRACT(MONTH FROM event_date) END,
  COUNT(*), COUNT(*) - COUNT(pseudo_id)
FROM source
GROUP BY 1, 2"""


def person_event_sql(window: Window) -> str:
    return f"CREATE OR REPLACE TABLE {EVENT_TABLE} AS{costed_events_sql(window)}"


def costed_events_sql(window: Window, calendar: str = CALENDAR_TABLE) -> str:
    """Every event of a person costed in the window (the Year of Care cost rule, once: the marts
    write it as person_event, risk sums it over an outcome window). `calendar`: the calendar
    table, or a subquery of `calendar.calendar_sql`."""
    start, end = date_literal(window.start), date_literal(window.end)
    service_end = f"LEAST(COALESCE(s.end_date, {end}), {end})"
    service_start = f"GREATEST(s.event_date, {start})"
    bed_days = f"GREATEST({days_between('s.event_date', f'COALESCE(s.end_date, {end})')}, 1)"
    return f"""
WITH source AS ({SOURCE_EVENTS}),
spans AS (
  SELECT s.*,
    CASE WHEN s.source_table = 'social_care_events' THEN {service_start} ELSE s.event_date END
      AS cost_start,
    CASE WHEN s.source_table = 'social_care_events' THEN {service_end} ELSE s.event_date END
      AS cost_end,
    CASE WHEN s.activity = 'COMMUNITY_BED_DAY' THEN {bed_days} ELSE 1 END AS units
  FROM source s WHERE s.pseudo_id IS NOT NULL
),
in_window AS (
  SELECT * FROM spans
  WHERE cost_start >= {start} AND cost_end <= {end} AND cost_start <= cost_end
)
SELECT s.pseudo_id, s.event_date, s.end_date, c.month, c.financial_year, s.org_type, s.activity,
  s.source_table, s.detail,
  CASE WHEN s.source_table = 'social_care_events'
         THEN s.weekly_cost * ({days_between("s.cost_start", "s.cost_end")} + 1) / 7
       ELSE COALESCE(s.own_cost, u.cost_gbp * s.units) END AS cost_gbp,
  CASE WHEN s.source_table = 'social_care_events' AND s.weekly_cost IS NOT NULL THEN 'weekly_cost'
       WHEN s.own_cost IS NOT NULL THEN 'own'
       WHEN u.cost_gbp IS NOT NULL THEN 'unit_cost' END AS cost_source,
  s.cost_start, s.cost_end, s.in_area, s.locality, s.source_row_id
FROM in_window s
JOIN {calendar} c ON s.cost_start BETWEEN c.month_start AND c.month_end
LEFT JOIN unit_costs u ON u.activity = s.activity AND u.financial_year = c.financial_year"""
