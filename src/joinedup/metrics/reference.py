"""A reference implementation of every metric in `../shared/metrics.md`: plain Python over the
rows of the warehouse tables, written straight from the definitions, slow and obvious on purpose.

It shares no SQL and no logic with `engine.py` (only the list of metrics, their units, the
output shape and the code groupings of `groupings.yaml`, which are data), so that when both agree on the spec cases and on a generated area, both are
likely right. Use it for tests, never for real areas.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from statistics import median

from joinedup import groupings
from joinedup.metrics.engine import METRICS, check_breakdown, check_metric_ids

EMERGENCY = set(groupings.EMERGENCY_ADMISSION)
MATERNITY = set(groupings.MATERNITY_SPECIALTY)
MENTAL_ILLNESS = set(groupings.MENTAL_HEALTH_SPECIALTY)
FALLS_CODES = {f"W{n:02d}" for n in range(20)}
ESP_2013 = {"65-69": 5500, "70-74": 5000, "75-79": 4000, "80-84": 2500, "85-89": 1500, "90+": 1000}
QUARTER_OF_MONTH = {4: 1, 5: 1, 6: 1, 7: 2, 8: 2, 9: 2, 10: 3, 11: 3, 12: 3, 1: 4, 2: 4, 3: 4}
ACTIVITY = {
    "acute_apc": "admission_date",
    "acute_ae": "arrival_datetime",
    "urgent_care_contacts": "contact_datetime",
    "community_contacts": "contact_date",
    "mental_health_contacts": "contact_date",
    "gp_appointments": "appointment_date",
    "delayed_transfers": "ready_date",
    "deaths": "date_of_death",
}


# --- periods ---------------------------------------------------------------------------------


def as_day(value) -> date | None:
    return value.date() if isinstance(value, datetime) else value


def fy_start(day: date) -> int:
    return day.year if day.month >= 4 else day.year - 1


def fy_label(year: int) -> str:
    return f"{year}/{str(year + 1)[2:]}"


def label(day: date, grain: str) -> str:
    if grain == "month":
        return f"{day.year}-{day.month:02d}"
    if grain == "quarter":
        return f"{fy_label(fy_start(day))}-Q{QUARTER_OF_MONTH[day.month]}"
    return fy_label(fy_start(day))


class Period:
    def __init__(self, grain: str, first: date, last: date) -> None:
        self.grain, self.first, self.last = grain, first, last
        self.label = label(first, grain)
        self.pop_year = fy_start(first)

    def holds(self, day) -> bool:
        return day is not None and self.first <= as_day(day) <= self.last


def all_days(first_month: str, last_month: str):
    day = date(int(first_month[:4]), int(first_month[5:]), 1)
    while label(day, "month") <= last_month:
        yield day
        day += timedelta(days=1)


def periods(first_month: str, last_month: str, grain: str) -> list[Period]:
    """Every period of the grain touching the months first..last, from their days."""
    days: dict[str, list[date]] = defaultdict(list)
    for day in all_days(first_month, last_month):
        days[label(day, grain)].append(day)
    found = []
    for name in days:
        first = days[name][0]
        last = first
        while label(last + timedelta(days=1), grain) == name:
            last += timedelta(days=1)
        while label(first - timedelta(days=1), grain) == name:
            first -= timedelta(days=1)
        found.append(Period(grain, first, last))
    return found


# --- the warehouse as rows -------------------------------------------------------------------


class Area:
    def __init__(self, con, by: str | None = None) -> None:
        self.con = con
        self.by = by  # the breakdown dimension, or None for the whole area
        self.tables: dict[str, list[dict]] = {}

    def rows(self, table: str) -> list[dict]:
        if table not in self.tables:
            cursor = self.con.execute(f"SELECT * FROM {table}")
            names = [d[0] for d in cursor.description]
            self.tables[table] = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        return self.tables[table]

    def of_person(self, table: str, pseudo_id) -> list[dict]:
        """The table's rows of one person (indexed once per table, for speed only)."""
        key = f"{table} by person"
        if key not in self.tables:
            index = defaultdict(list)
            for row in self.rows(table):
                index[row["pseudo_id"]].append(row)
            self.tables[key] = index
        return self.tables[key].get(pseudo_id, [])

    def resident(self, row: dict, day) -> bool:
        """The row's own postcode_in_area, else that of the latest gp_register row registered on
        or before the day (any of them when several were registered on that latest day)."""
        own = row.get("postcode_in_area")
        if own is not None:
            return own
        registrations = [
            g
            for g in self.of_person("gp_register", row["pseudo_id"])
            if g["registration_date"] <= as_day(day)
        ]
        if not registrations:
            return False
        latest = max(g["registration_date"] for g in registrations)
        return any(g["postcode_in_area"] for g in registrations if g["registration_date"] == latest)

    def residence_ward(self, row: dict, day) -> str | None:
        """The ward of the postcode that decided the row's residency (the lowest ward of those
        registered in the area on the latest registration day)."""
        own = row.get("postcode_in_area")
        if own is not None:
            return row["ward_code"] if own else None
        registrations = [
            g
            for g in self.of_person("gp_register", row["pseudo_id"])
            if g["registration_date"] <= as_day(day)
        ]
        if not registrations:
            return None
        latest = max(g["registration_date"] for g in registrations)
        wards = [
            g["ward_code"]
            for g in registrations
            if g["registration_date"] == latest and g["postcode_in_area"]
        ]
        return min(wards) if wards else None

    def ward_attribute(self, ward: str | None, column: str):
        """A ward's locality or decile: that of most of its postcodes, ties to the lower."""
        counts: dict = defaultdict(int)
        for g in self.rows("geography"):
            if g["ward_code"] == ward:
                counts[g[column]] += 1
        if not counts:
            return None
        most = max(counts.values())
        return min(value for value, n in counts.items() if n == most)

    def practice_on(self, pseudo_id, day) -> str:
        active = [
            g
            for g in self.of_person("gp_register", pseudo_id)
            if g["registration_date"] <= as_day(day)
            and (g["deregistration_date"] is None or g["deregistration_date"] > as_day(day))
        ]
        if not active:
            return "unregistered"
        latest = max(g["registration_date"] for g in active)
        return min(g["practice_code"] for g in active if g["registration_date"] == latest)

    def group(self, row: dict, resident_on, day, age: str) -> str | None:
        """The row's group in the area's breakdown dimension (None without one): its residency
        judged on resident_on, the metric counting it on day at the age in column `age`."""
        if self.by is None:
            return None
        if self.by in ("ward", "locality", "imd_decile"):
            ward = self.residence_ward(row, resident_on)
            found = ward if self.by == "ward" else self.ward_attribute(ward, self.by)
        elif self.by == "practice":
            found = self.practice_on(row["pseudo_id"], day)
        elif self.by == "age_band":
            found = age_band(row[age]) if row.get(age) is not None else None
        else:
            people = self.of_person("person", row["pseudo_id"])
            found = people[0]["sex"] if people else None
        return "unknown" if found is None else str(found)

    def band_populations(self, year: int, group=None) -> dict[str, int]:
        """The population of the year by age band: the area's (every ward in geography, both
        sexes), or with a group that group's (metrics.md "Breakdowns")."""
        if self.by == "practice" and group is not None:
            return self.practice_bands(year).get(group, {})
        wards = {g["ward_code"] for g in self.rows("geography")}
        bands: dict[str, int] = defaultdict(int)
        for row in self.rows("population"):
            in_group = group is None or self.population_group(row) == group
            if row["year"] == year and row["area_code"] in wards and in_group:
                bands[row["age_band"]] += row["population"]
        return bands

    def population_group(self, row: dict) -> str | None:
        """The group of a `population` row in the area's dimension."""
        if self.by == "ward":
            return row["area_code"]
        if self.by in ("locality", "imd_decile"):
            found = self.ward_attribute(row["area_code"], self.by)
            return None if found is None else str(found)
        return str(row["sex"] if self.by == "sex" else row["age_band"])

    def practice_bands(self, year: int) -> dict[str, dict[str, int]]:
        """Each practice's registered residents on 1 October of the year by age band: alive,
        the latest registration active that day, resident by the postcode fallback that day,
        aged from the birth month (a birthday in October counts as had)."""
        key = f"practice bands {year}"
        if key not in self.tables:
            day = date(year, 10, 1)
            bands: dict = defaultdict(lambda: defaultdict(int))
            born = {p["pseudo_id"]: p["birth_month"] for p in self.rows("person")}
            for pseudo_id in {g["pseudo_id"] for g in self.rows("gp_register")}:
                practice = self.practice_on(pseudo_id, day)
                if (
                    practice == "unregistered"
                    or pseudo_id not in born
                    or self.dead_by(pseudo_id, day)
                    or not self.resident({"pseudo_id": pseudo_id}, day)
                ):
                    continue
                birth_year, birth_month = int(born[pseudo_id][:4]), int(born[pseudo_id][5:7])
                age = year - birth_year - (birth_month > 10)
                if age >= 0:
                    bands[practice][age_band(age)] += 1
            self.tables[key] = bands
        return self.tables[key]

    def band_population(self, year: int, band: str, group=None) -> int:
        return self.band_populations(year, group).get(band, 0)

    def population(self, year: int, min_age: int = 0, group=None) -> int | None:
        """People aged min_age+; a band straddling min_age counts pro rata, rounded."""
        bands = self.band_populations(year, group)
        if not bands:
            return None
        total = 0
        for band, people in bands.items():
            if band.endswith("+"):
                low, high = int(band[:-1]), 200
            else:
                low, high = (int(x) for x in band.split("-"))
            if low >= min_age:
                total += people
            elif high >= min_age:
                total += int(people * (high - min_age + 1) / (high - low + 1) + 0.5)
        return total

    def dead_by(self, pseudo_id, day) -> bool:
        return any(d["date_of_death"] <= day for d in self.of_person("deaths", pseudo_id))

    def in_hospital(self, pseudo_id, day) -> bool:
        return any(
            s["admission_date"] <= day
            and (s["discharge_date"] is None or s["discharge_date"] > day)
            for s in self.of_person("acute_apc", pseudo_id)
        )

    def in_permanent_care(self, pseudo_id, day) -> bool:
        return any(
            is_permanent_care(e)
            and e["event_start_date"] <= day
            and (e["event_end_date"] is None or e["event_end_date"] >= day)
            for e in self.of_person("social_care_events", pseudo_id)
        )

    def on_eol_register(self, pseudo_id, day) -> bool:
        return any(e["added_date"] <= day for e in self.of_person("eol_register", pseudo_id))


def is_permanent_care(event: dict) -> bool:
    return (
        event["event_type"] == "SERVICE"
        and event["service_type"] in groupings.PERMANENT_CARE_SERVICE
        and event["placement_type"] == "PERMANENT"
    )


def discharged_alive(spell: dict) -> bool:
    return (
        spell["discharge_date"] is not None
        and spell["discharge_method"] != "4"
        and spell["discharge_destination"] != "79"
    )


def out(metric_id, period, numerator, denominator, value, breakdown=None) -> dict:
    return {
        "id": metric_id,
        "period": period.label,
        "grain": period.grain,
        "numerator": numerator,
        "denominator": denominator,
        "value": value,
        "unit": METRICS[metric_id].unit,
        "breakdown": breakdown or {},
    }


def per(numerator, denominator, scale):
    if not denominator:
        return None
    return numerator * scale / denominator


# --- the metrics -----------------------------------------------------------------------------


def nel_admissions(area: Area, months) -> list[dict]:
    spells = [
        (s, area.group(s, s["admission_date"], s["admission_date"], "age_at_admission_date"))
        for s in area.rows("acute_apc")
        if s["admission_method"] in EMERGENCY
        and s["main_specialty"] not in MATERNITY | MENTAL_ILLNESS
        and area.resident(s, s["admission_date"])
    ]
    result = []
    for grain in ("month", "quarter", "year"):
        for period in periods(*months, grain):
            here = [g for s, g in spells if period.holds(s["admission_date"])]
            for group in sorted(set(here)) if area.by else [None]:
                count = here.count(group)
                people = area.population(period.pop_year, 0, group)
                rate = per(count, people, 100_000)
                result.append(
                    grouped(area, group, out("nel_admissions", period, count, None, count))
                )
                result.append(
                    grouped(area, group, out("nel_admissions_rate", period, count, people, rate))
                )
    return result


def people_per_population(area: Area, metric_id, grain, months, events, min_age) -> list[dict]:
    """events: (day, pseudo_id, group) of each counted event; each group's distinct people per
    100,000 of its population aged min_age+."""
    result = []
    for period in periods(*months, grain):
        here = [(who, g) for day, who, g in events if period.holds(day)]
        for group in sorted({g for _, g in here}) if area.by else [None]:
            count = len({who for who, g in here if g == group})
            people = area.population(period.pop_year, min_age, group)
            record = out(metric_id, period, count, people, per(count, people, 100_000))
            result.append(grouped(area, group, record))
    return result


def res_admissions_65(area: Area, months) -> list[dict]:
    admissions = [
        (e["event_start_date"], e["pseudo_id"],
         area.group(e, e["event_start_date"], e["event_start_date"], "age_at_event_start_date"))
        for e in area.rows("social_care_events")
        if is_permanent_care(e)
        and e["age_at_event_start_date"] >= 65
        and area.resident(e, e["event_start_date"])
        and not area.in_permanent_care(e["pseudo_id"], e["event_start_date"] - timedelta(days=1))
    ]  # fmt: skip
    return [
        r
        for grain in ("month", "year")
        for r in people_per_population(area, "res_admissions_65", grain, months, admissions, 65)
    ]


def started_reablement(area: Area, pseudo_id, discharge: date) -> bool:
    starts = [
        e["event_start_date"]
        for e in area.of_person("social_care_events", pseudo_id)
        if e["event_type"] == "SERVICE" and e["service_type"] == "STS_REABLEMENT"
    ] + [
        c["contact_date"]
        for c in area.of_person("community_contacts", pseudo_id)
        if c["service"] in ("INTERMEDIATE_CARE", "REHABILITATION")
    ]
    return any(discharge <= start <= discharge + timedelta(days=7) for start in starts)


def reablement_91d(area: Area, months) -> list[dict]:
    result = []
    for period in periods(*months, "year"):
        window = (date(period.pop_year, 10, 1), date(period.pop_year, 12, 31))
        first_discharge: dict[str, tuple] = {}  # pseudo_id -> (day, group), the earliest
        for s in area.rows("acute_apc"):
            if (
                discharged_alive(s)
                and window[0] <= s["discharge_date"] <= window[1]
                and s["age_at_discharge_date"] >= 65
                and area.resident(s, s["admission_date"])
                and started_reablement(area, s["pseudo_id"], s["discharge_date"])
            ):
                day = s["discharge_date"]
                group = area.group(s, s["admission_date"], day, "age_at_discharge_date")
                found = (day, group or "")
                first_discharge[s["pseudo_id"]] = min(
                    first_discharge.get(s["pseudo_id"], found), found
                )
        outcomes: dict = defaultdict(lambda: [0, 0])  # group -> [cohort, at home]
        for pseudo_id, (discharge, group) in first_discharge.items():
            day_d = discharge + timedelta(days=91)
            counts = outcomes[group or None]
            counts[0] += 1
            counts[1] += not (
                area.dead_by(pseudo_id, day_d)
                or area.in_hospital(pseudo_id, day_d)
                or area.in_permanent_care(pseudo_id, day_d)
            )
        for group in sorted(outcomes) if area.by else [None]:
            cohort, at_home = outcomes[group]
            record = out("reablement_91d", period, at_home, cohort, per(at_home, cohort, 100))
            result.append(grouped(area, group, record))
    return result


def dtoc_days(area: Area, months) -> list[dict]:
    delays = [
        (d, area.group(d, d["ready_date"], d["ready_date"], "age_at_ready_date"))
        for d in area.rows("delayed_transfers")
        if d["age_at_ready_date"] >= 18 and area.resident(d, d["ready_date"])
    ]
    result = []
    for period in periods(*months, "month"):
        agency: dict = defaultdict(lambda: defaultdict(int))
        reason: dict = defaultdict(lambda: defaultdict(int))
        day = period.first
        while day <= period.last:  # count the delayed days one by one
            for d, group in delays:
                if d["ready_date"] <= day and (
                    d["transfer_date"] is None or day < d["transfer_date"]
                ):
                    agency[group][d["agency"]] += 1
                    reason[group][d["reason"]] += 1
            day += timedelta(days=1)
        for group in sorted(agency) if area.by else [None]:
            total = sum(agency[group].values())
            adults = area.population(period.pop_year, 18, group)
            breakdown = {
                "agency": dict(sorted(agency[group].items())),
                "reason": dict(sorted(reason[group].items())),
            }
            record = out("dtoc_days", period, total, adults, per(total, adults, 100_000), breakdown)
            result.append(grouped(area, group, record))
    return result


def survey_period(text: str) -> Period:
    if "-Q" in text:
        year, number = int(text[:4]), int(text[-1])
        first_month = {1: 4, 2: 7, 3: 10, 4: 1}[number]
        first = date(year + (number == 4), first_month, 1)
        grain = "quarter"
    elif "/" in text:
        first, grain = date(int(text[:4]), 4, 1), "year"
    else:
        first, grain = date(int(text[:4]), int(text[5:7]), 1), "month"
    last = first
    while label(last + timedelta(days=1), grain) == label(first, grain):
        last += timedelta(days=1)
    return Period(grain, first, last)


def patient_experience(area: Area, months, question="GPPS_LTC_SUPPORT") -> list[dict]:
    return [
        out(
            "patient_experience",
            survey_period(r["period"]),
            r["positive_responses"],
            r["total_responses"],
            per(r["positive_responses"], r["total_responses"], 100),
        )
        for r in area.rows("experience_survey")
        if r["question_id"] == question
    ]


def age_band(age: int) -> str:
    if age >= 90:
        return "90+"
    low = age // 5 * 5
    return f"{low}-{low + 4}"


def is_fall_injury(spell: dict) -> bool:
    secondary = (spell["secondary_diagnoses"] or "").split(";")
    return spell["primary_diagnosis"].strip().upper()[:1] in ("S", "T") and any(
        code.strip().upper()[:3] in FALLS_CODES for code in secondary
    )


def falls_65(area: Area, months) -> list[dict]:
    falls = [
        (s, area.group(s, s["admission_date"], s["admission_date"], "age_at_admission_date"))
        for s in area.rows("acute_apc")
        if s["admission_method"] in EMERGENCY
        and s["age_at_admission_date"] >= 65
        and is_fall_injury(s)
        and area.resident(s, s["admission_date"])
    ]
    result = []
    for period in periods(*months, "year"):
        here = [(s, g) for s, g in falls if period.holds(s["admission_date"])]
        for group in sorted({g for _, g in here}) if area.by else [None]:
            counts = {band: 0 for band in ESP_2013}
            for s, g in here:
                if g == group:
                    counts[age_band(s["age_at_admission_date"])] += 1
            pops = {band: area.band_population(period.pop_year, band, group) for band in ESP_2013}
            if area.by == "age_band":  # one band: its crude rate
                rate = per(counts.get(group, 0), pops.get(group), 100_000)
            elif all(pops.values()):
                rates = sum(counts[b] / pops[b] * ESP_2013[b] for b in ESP_2013)
                rate = rates / sum(ESP_2013.values()) * 100_000
            else:
                rate = None
            older = area.population(period.pop_year, 65, group)
            record = out(
                "falls_65", period, sum(counts.values()), older, rate, {"age_band": counts}
            )
            result.append(grouped(area, group, record))
    return result


def readmissions_30d(area: Area, months) -> list[dict]:
    discharges = [
        s
        for s in area.rows("acute_apc")
        if discharged_alive(s)
        and s["main_specialty"] not in MATERNITY
        and area.resident(s, s["admission_date"])
    ]

    def readmitted(s):
        return any(
            (e["provider_code"], e["spell_id"]) != (s["provider_code"], s["spell_id"])
            and e["admission_method"] in EMERGENCY
            and 0 <= (e["admission_date"] - s["discharge_date"]).days <= 29
            and area.resident(e, e["admission_date"])
            for e in area.of_person("acute_apc", s["pseudo_id"])
        )

    events = [
        (
            s["discharge_date"],
            int(readmitted(s)),
            area.group(s, s["admission_date"], s["discharge_date"], "age_at_discharge_date"),
        )
        for s in discharges
    ]
    return [
        *shares(area, "readmissions_30d", "month", months, events),
        *shares(area, "readmissions_30d", "year", months, events),
    ]


def age_at_month_end(birth_month: str, month_end: date) -> int:
    born_year, born_month = int(birth_month[:4]), int(birth_month[5:7])
    age = month_end.year - born_year
    if month_end.month < born_month:
        age -= 1
    return age


def dementia_dx_rate(area: Area, months) -> list[dict]:
    practices = {p["practice_code"] for p in area.rows("practices")}
    birth_months = {p["pseudo_id"]: p["birth_month"] for p in area.rows("person")}
    with_dementia = area.rows("gp_conditions")
    result = []
    for period in periods(*months, "month"):
        end = period.last
        registered = {
            g["pseudo_id"]
            for g in area.rows("gp_register")
            if g["practice_code"] in practices
            and g["registration_date"] <= end
            and (g["deregistration_date"] is None or g["deregistration_date"] > end)
        }
        older: dict = defaultdict(set)  # group -> registered residents aged 65+
        for pid in registered:
            age = age_at_month_end(birth_months[pid], end) if birth_months.get(pid) else None
            if age is not None and age >= 65 and not area.dead_by(pid, end):
                row = {"pseudo_id": pid, "age_at_month_end": age}
                if area.resident(row, end):
                    older[area.group(row, end, end, "age_at_month_end")].add(pid)
        diagnosed_people = {
            c["pseudo_id"]
            for c in with_dementia
            if c["condition"] == "DEM"
            and c["diagnosed_date"] <= end
            and (c["resolved_date"] is None or c["resolved_date"] > end)
        }
        for group in sorted(older) if area.by else [None]:
            diagnosed = len(older[group] & diagnosed_people)
            expected = len(older[group]) * 0.071
            record = out(
                "dementia_dx_rate", period, diagnosed, expected, per(diagnosed, expected, 100)
            )
            result.append(grouped(area, group, record))
    return result


def ae_attendances(area: Area, months) -> list[dict]:
    attendances = [
        (a, area.group(a, a["arrival_datetime"], a["arrival_datetime"], "age_at_arrival_datetime"))
        for a in area.rows("acute_ae")
        if area.resident(a, a["arrival_datetime"])
    ]
    result = []
    for period in periods(*months, "month"):
        in_period = [(a, g) for a, g in attendances if period.holds(a["arrival_datetime"])]
        for group in sorted({g for _, g in in_period}) if area.by else [None]:
            here = [a for a, g in in_period if g == group]
            origins: dict[str, int] = defaultdict(int)
            for a in here:
                origins[a["from_care_home"] or "unknown"] += 1
            admitted = sum(1 for a in here if a["disposal"] == "ADM")
            breakdown = {"from_care_home": dict(sorted(origins.items()))}
            count = out("ae_attendances", period, len(here), None, len(here), breakdown)
            share = out("ae_conversion", period, admitted, len(here), per(admitted, len(here), 100))
            result += [grouped(area, group, count), grouped(area, group, share)]
    return result


def care_home_emergencies(area: Area, months) -> list[dict]:
    events = [
        (
            "ae",
            a["arrival_datetime"],
            area.group(a, a["arrival_datetime"], a["arrival_datetime"], "age_at_arrival_datetime"),
        )
        for a in area.rows("acute_ae")
        if a["from_care_home"] == "Y" and area.resident(a, a["arrival_datetime"])
    ] + [
        (
            "ambulance",
            u["contact_datetime"],
            area.group(u, u["contact_datetime"], u["contact_datetime"], "age_at_contact_datetime"),
        )
        for u in area.rows("urgent_care_contacts")
        if u["service"] == "AMBULANCE"
        and u["from_care_home"] == "Y"
        and area.resident(u, u["contact_datetime"])
    ]
    result = []
    for period in periods(*months, "month"):
        here = [(source, g) for source, t, g in events if period.holds(t)]
        for group in sorted({g for _, g in here}) if area.by else [None]:
            sources = {
                name: sum(1 for s, g in here if s == name and g == group)
                for name in ("ae", "ambulance")
            }
            total = sum(sources.values())
            result.append(
                grouped(
                    area,
                    group,
                    out("care_home_emergencies", period, total, None, total, {"source": sources}),
                )
            )
    return result


def eol_home_deaths(area: Area, months) -> list[dict]:
    result = []
    for period in periods(*months, "year"):
        deaths = [
            (d, area.group(d, d["date_of_death"], d["date_of_death"], "age_at_date_of_death"))
            for d in area.rows("deaths")
            if period.holds(d["date_of_death"]) and area.resident(d, d["date_of_death"])
        ]
        for group in sorted({g for _, g in deaths}) if area.by else [None]:
            result.append(
                grouped(
                    area, group, _home_deaths(area, period, [d for d, g in deaths if g == group])
                )
            )
    return result


def _home_deaths(area: Area, period: Period, deaths: list[dict]) -> dict:
    registered = [d for d in deaths if area.on_eol_register(d["pseudo_id"], d["date_of_death"])]
    home = [d for d in deaths if d["place_of_death"] in ("HOME", "CARE_HOME")]
    registered_home = [d for d in registered if d["place_of_death"] in ("HOME", "CARE_HOME")]
    on_register = {
        "numerator": len(registered_home),
        "denominator": len(registered),
        "value": per(len(registered_home), len(registered), 100),
    }
    return out(
        "eol_home_deaths",
        period,
        len(home),
        len(deaths),
        per(len(home), len(deaths), 100),
        {"eol_register": on_register},
    )


def eol_admissions(area: Area, months) -> list[dict]:
    events = []
    for d in area.rows("deaths"):
        day = d["date_of_death"]
        if area.on_eol_register(d["pseudo_id"], day) and area.resident(d, day):
            spells = sum(
                1
                for s in area.of_person("acute_apc", d["pseudo_id"])
                if s["admission_method"] in EMERGENCY
                and 0 <= (day - s["admission_date"]).days <= 365
            )
            events.append((day, spells, area.group(d, day, day, "age_at_date_of_death")))
    return shares(area, "eol_admissions", "year", months, events)


# --- hospital flow, seven-day services and outcomes ------------------------------------------


def shares(area: Area, metric_id, grain, months, events) -> list[dict]:
    """events: (day, what it adds to the numerator, group) for each denominator event."""
    result = []
    for period in periods(*months, grain):
        here = [(hit, group) for day, hit, group in events if period.holds(day)]
        for group in sorted({g for _, g in here}) if area.by else [None]:
            hits = [hit for hit, g in here if g == group]
            numerator = sum(hits)
            scale = SCALE[metric_id]
            result.append(
                grouped(
                    area,
                    group,
                    out(metric_id, period, numerator, len(hits), per(numerator, len(hits), scale)),
                )
            )
    return result


def grouped(area: Area, group, record: dict) -> dict:
    return {**record, "by": area.by, "group": group} if area.by else record


SCALE = {
    "readmissions_30d": 100,
    "eol_admissions": 1,
    "ae_4h": 100,
    "fit_days": 1,
    "weekend_discharges": 100,
    "care_direct_from_hospital": 100,
    "preferred_place_of_death": 100,
    "reablement_outcome": 100,
}


def ae_4h(area: Area, months) -> list[dict]:
    events = [
        (
            a["arrival_datetime"],
            int(a["departure_datetime"] - a["arrival_datetime"] <= timedelta(minutes=240)),
            area.group(a, a["arrival_datetime"], a["arrival_datetime"], "age_at_arrival_datetime"),
        )
        for a in area.rows("acute_ae")
        if a["departure_datetime"] is not None and area.resident(a, a["arrival_datetime"])
    ]
    return shares(area, "ae_4h", "month", months, events)


def general_and_acute(spell: dict) -> bool:
    return spell["main_specialty"] not in MATERNITY | MENTAL_ILLNESS


def long_stays(area: Area, months) -> list[dict]:
    birth_months = {p["pseudo_id"]: p["birth_month"] for p in area.rows("person")}
    spells = [
        s
        for s in area.rows("acute_apc")
        if general_and_acute(s) and area.resident(s, s["admission_date"])
    ]
    result = []
    for period in periods(*months, "month"):
        day = period.last
        stays: dict = defaultdict(list)  # group -> lengths of stay on the day
        for s in spells:
            if s["admission_date"] <= day and (
                s["discharge_date"] is None or s["discharge_date"] > day
            ):
                born = birth_months.get(s["pseudo_id"])
                row = {**s, "age_on_day": age_at_month_end(born, day) if born else None}
                group = area.group(row, s["admission_date"], day, "age_on_day")
                stays[group].append((day - s["admission_date"]).days)
        for group in sorted(g for g, n in stays.items() if max(n) >= 7) if area.by else [None]:
            counts = {f"{n}+": sum(1 for stay in stays[group] if stay >= n) for n in (7, 14, 21)}
            record = out("long_stays", period, counts["7+"], None, counts["7+"], counts)
            result.append(grouped(area, group, record))
    return result


def fit_days(area: Area, months) -> list[dict]:
    events = [
        (
            s["discharge_date"],
            (s["discharge_date"] - s["ready_for_discharge_date"]).days,
            area.group(s, s["admission_date"], s["discharge_date"], "age_at_discharge_date"),
        )
        for s in area.rows("acute_apc")
        if s["discharge_date"] is not None
        and s["ready_for_discharge_date"] is not None
        and s["ready_for_discharge_date"] <= s["discharge_date"]
        and area.resident(s, s["admission_date"])
    ]
    return shares(area, "fit_days", "month", months, events)


def weekend_discharges(area: Area, months) -> list[dict]:
    events = [
        (
            s["discharge_date"],
            int(s["discharge_date"].weekday() >= 5),  # Saturday 5, Sunday 6
            area.group(s, s["admission_date"], s["discharge_date"], "age_at_discharge_date"),
        )
        for s in area.rows("acute_apc")
        if discharged_alive(s) and area.resident(s, s["admission_date"])
    ]
    return shares(area, "weekend_discharges", "month", months, events)


def care_admissions(area: Area) -> list[dict]:
    """The qualifying admissions of res_admissions_65 (each event)."""
    return [
        e
        for e in area.rows("social_care_events")
        if is_permanent_care(e)
        and e["age_at_event_start_date"] >= 65
        and area.resident(e, e["event_start_date"])
        and not area.in_permanent_care(e["pseudo_id"], e["event_start_date"] - timedelta(days=1))
    ]


def care_direct_from_hospital(area: Area, months) -> list[dict]:
    def from_hospital(e):
        return any(
            s["discharge_date"] is not None
            and 0 <= (e["event_start_date"] - s["discharge_date"]).days <= 1
            and area.resident(s, s["admission_date"])
            for s in area.of_person("acute_apc", e["pseudo_id"])
        )

    events = [
        (
            e["event_start_date"],
            int(from_hospital(e)),
            area.group(e, e["event_start_date"], e["event_start_date"], "age_at_event_start_date"),
        )
        for e in care_admissions(area)
    ]
    return shares(area, "care_direct_from_hospital", "year", months, events)


def preferred_place_of_death(area: Area, months) -> list[dict]:
    events = []
    for d in area.rows("deaths"):
        preferences = {
            e["preferred_place_of_death"]
            for e in area.of_person("eol_register", d["pseudo_id"])
            if e["added_date"] <= d["date_of_death"] and e["preferred_place_of_death"] is not None
        }
        if preferences and area.resident(d, d["date_of_death"]):
            day = d["date_of_death"]
            group = area.group(d, day, day, "age_at_date_of_death")
            events.append((day, int(d["place_of_death"] in preferences), group))
    return shares(area, "preferred_place_of_death", "year", months, events)


def reablement_outcome(area: Area, months) -> list[dict]:
    events = [
        (
            e["event_end_date"],
            int(
                e["event_outcome"] in ("NO_SERVICES", "UNIVERSAL_SIGNPOSTING", "ONGOING_LOW_LEVEL")
            ),
            area.group(e, e["event_end_date"], e["event_end_date"], "age_at_event_end_date"),
        )
        for e in area.rows("social_care_events")
        if e["event_type"] == "SERVICE"
        and e["service_type"] == "STS_REABLEMENT"
        and e["event_end_date"] is not None
        and e["event_outcome"] is not None
        and area.resident(e, e["event_end_date"])
    ]
    return shares(area, "reablement_outcome", "year", months, events)


def conveyance(area: Area, months) -> list[dict]:
    incidents = [
        (u, area.group(u, u["contact_datetime"], u["contact_datetime"], "age_at_contact_datetime"))
        for u in area.rows("urgent_care_contacts")
        if u["service"] == "AMBULANCE" and area.resident(u, u["contact_datetime"])
    ]
    result = []
    for period in periods(*months, "month"):
        here = [(u, g) for u, g in incidents if period.holds(u["contact_datetime"])]
        for group in sorted({g for _, g in here}) if area.by else [None]:
            origins: dict[str, list[int]] = defaultdict(lambda: [0, 0])
            for u, g in here:
                if g == group:
                    counts = origins[u["from_care_home"] or "unknown"]
                    counts[0] += u["outcome"] == "CONVEYED"
                    counts[1] += 1
            conveyed = sum(n for n, _ in origins.values())
            total = sum(d for _, d in origins.values())
            breakdown = {
                "from_care_home": {
                    origin: {"numerator": n, "denominator": d, "value": per(n, d, 100)}
                    for origin, (n, d) in sorted(origins.items())
                }
            }
            result.append(
                grouped(
                    area,
                    group,
                    out(
                        "conveyance", period, conveyed, total, per(conveyed, total, 100), breakdown
                    ),
                )
            )
    return result


def personal_budgets(area: Area, months) -> list[dict]:
    birth_months = {p["pseudo_id"]: p["birth_month"] for p in area.rows("person")}
    result = []
    for period in periods(*months, "year"):
        day = period.last  # 31 March
        people: dict = defaultdict(set)  # group -> people, and those with a personal budget
        budgets: dict = defaultdict(set)
        for e in area.rows("social_care_events"):
            born = birth_months.get(e["pseudo_id"])
            age = age_at_month_end(born, day) if born else None
            if (
                e["event_type"] == "SERVICE"
                and e["service_type"] == "LTS_COMMUNITY"
                and e["event_start_date"] <= day
                and (e["event_end_date"] is None or e["event_end_date"] >= day)
                and age is not None
                and age >= 18
                and area.resident(e, day)
            ):
                group = area.group({**e, "age_at_snapshot": age}, day, day, "age_at_snapshot")
                people[group].add(e["pseudo_id"])
                if e["delivery_mechanism"] in ("DIRECT_PAYMENT", "MANAGED_PERSONAL_BUDGET"):
                    budgets[group].add(e["pseudo_id"])
        for group in sorted(people) if area.by else [None]:
            n, with_budget = len(people[group]), len(budgets[group])
            record = out("personal_budgets", period, with_budget, n, per(with_budget, n, 100))
            result.append(grouped(area, group, record))
    return result


def carers_supported(area: Area, months) -> list[dict]:
    events = [
        (e, area.group(e, e["event_start_date"], e["event_start_date"], "age_at_event_start_date"))
        for e in area.rows("social_care_events")
        if e["client_type"] == "CARER"
        and e["event_type"] in ("ASSESSMENT", "REVIEW", "SERVICE")
        and area.resident(e, e["event_start_date"])
    ]
    result = []
    for period in periods(*months, "year"):
        here = [
            (e["pseudo_id"], group) for e, group in events if period.holds(e["event_start_date"])
        ]
        for group in sorted({g for _, g in here}) if area.by else [None]:
            carers = len({pid for pid, g in here if g == group})
            result.append(
                grouped(area, group, out("carers_supported", period, carers, None, carers))
            )
    return result


CALCULATIONS = {
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


def computed(area: Area, wanted, months, experience_question="GPPS_LTC_SUPPORT") -> list[dict]:
    records = []
    for calculation in dict.fromkeys(CALCULATIONS[m] for m in wanted):
        if calculation is patient_experience:
            records += patient_experience(area, months, experience_question)
        else:
            records += calculation(area, months)
    return [r for r in records if r["id"] in wanted]


def activity_months(area: Area) -> tuple[str, str] | None:
    """From the first to the last month holding half the median month's activity."""
    per_month: dict[str, int] = defaultdict(int)
    for table, column in ACTIVITY.items():
        for row in area.rows(table):
            if row[column] is not None:
                per_month[label(as_day(row[column]), "month")] += 1
    if not per_month:
        return None
    busy = [month for month, n in per_month.items() if n >= median(per_month.values()) / 2]
    return min(busy), max(busy)


def compute_metrics(
    con, metric_ids=None, months=None, experience_question="GPPS_LTC_SUPPORT", by=None
):
    """The same records as engine.compute_metrics (of an open warehouse), computed row by row."""
    wanted = check_breakdown(metric_ids, by) if by else check_metric_ids(metric_ids)
    months = months or activity_months(Area(con))
    if months is None:
        return []
    if not by:
        return computed(Area(con), wanted, months, experience_question)
    area = [{**r, "by": by, "group": None} for r in computed(Area(con), wanted, months)]
    return area + computed(Area(con, by), wanted, months)
