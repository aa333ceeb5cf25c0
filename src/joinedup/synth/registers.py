"""Feeds written once at the end: registrations, disease registers, deaths, the end-of-life
register, objections, the experience survey, and the reference tables."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from joinedup.synth.people import CONDITIONS, NO_DAY
from joinedup.synth.world import World

AGE_BANDS = [f"{a}-{a + 4}" for a in range(0, 90, 5)] + ["90+"]
UNIT_COSTS_2013 = {  # activity: (unit, GBP in 2013/14); later years rise 1.5% a year
    "NEL_SPELL": ("spell", 1_620.0), "EL_SPELL": ("spell", 1_380.0), "DAY_CASE": ("spell", 720.0),
    "AE_ATTENDANCE": ("attendance", 124.0), "GP_APPOINTMENT": ("appointment", 45.0),
    "COMMUNITY_CONTACT": ("contact", 55.0), "MH_CONTACT": ("contact", 135.0),
    "AMBULANCE_CONVEYED": ("incident", 233.0), "AMBULANCE_SEE_AND_TREAT": ("incident", 181.0),
    "AMBULANCE_HEAR_AND_TREAT": ("incident", 37.0), "NHS111_CALL": ("call", 12.26),
    "OOH_CONTACT": ("contact", 71.0), "PRESCRIPTION_ITEM": ("item", 9.2),
    "COMMUNITY_BED_DAY": ("bed day", 285.0),
}


def financial_years(world: World) -> list[str]:
    first = world.spec.start.year - (1 if world.spec.start.month < 4 else 0)
    last_day = np.datetime64(world.end_day - 1, "D").astype(object)
    last = last_day.year - (1 if last_day.month < 4 else 0)
    return [f"{y}/{str(y + 1)[2:]}" for y in range(first, last + 1)]


def population_snapshot(world: World, year: int) -> list[tuple]:
    """ONS-style mid-year estimate of residents by ward, sex and 5-year age band."""
    people = world.people
    who = world.active()
    mid_year = world.month_end - 1  # 30 June
    who = who[people.resident(who) & (people.born[who] <= mid_year)]
    age = people.age_on(who, mid_year)
    band = np.minimum(age // 5, 18)
    ward = world.geo.postcode_ward[people.postcode[who]]
    rows = []
    for w, code in enumerate(world.geo.ward_codes):
        for sex in (1, 2):
            counts = np.bincount(band[(ward == w) & (people.sex[who] == sex)], minlength=19)
            rows += [(code, year, str(sex), AGE_BANDS[b], int(counts[b])) for b in range(19)]
    return rows


def write_reference(world: World, out: Path, snapshots: dict[int, list[tuple]]) -> None:
    geo = world.geo
    _csv(out / "population.csv", ("area_code", "year", "sex", "age_band", "population"),
         [row for year in sorted(snapshots) for row in snapshots[year]])
    lsoa_imd = np.clip(geo.ward_imd[geo.lsoa_ward] + world.rng.integers(-1, 2, len(geo.lsoa_codes)), 1, 10)
    ward = geo.postcode_ward
    _csv(out / "postcode_lookup.csv",
         ("postcode", "lsoa_code", "ward_code", "ward_name", "locality", "imd_decile"),
         [(pc, geo.lsoa_codes[ls], geo.ward_codes[w], geo.ward_names[w],
           geo.locality_names[geo.ward_locality[w]], int(lsoa_imd[ls]))
          for pc, ls, w in zip(geo.postcodes, geo.postcode_lsoa, ward, strict=True)])
    years = financial_years(world)
    _csv(out / "unit_costs.csv", ("activity", "financial_year", "unit", "cost_gbp"),
         [(activity, fy, unit, f"{cost * 1.015 ** i:.2f}")
          for activity, (unit, cost) in UNIT_COSTS_2013.items() for i, fy in enumerate(years)])
    _csv(out / "practices.csv", ("practice_code", "practice_name", "locality"),
         [(code, name, geo.locality_names[loc]) for code, name, loc in
          zip(geo.practice_codes, geo.practice_names, geo.practice_locality, strict=True)])
    survey = []
    for fy in years:
        total = int(world.rng.integers(1800, 2300) * max(world.spec.scale, 0.05))
        positive = int(world.rng.binomial(total, world.rates.survey_positive))
        survey.append(("GPPS_LTC_SUPPORT", "In the last 6 months, have you had enough support from "
                       "local services or organisations to help you to manage your long-term condition(s)?",
                       fy, positive, total))
    world.writer.write("experience_survey", {
        name: np.array([row[i] for row in survey], dtype=object)
        for i, name in enumerate(("question_id", "question_text", "period", "positive_responses",
                                  "total_responses"))
    })


def _csv(path: Path, header: tuple[str, ...], rows: list[tuple]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def _dates(days: np.ndarray) -> np.ndarray:
    return np.where(days == NO_DAY, np.datetime64("NaT"), days.astype("datetime64[D]"))


def write_registrations(world: World) -> None:
    """One row per registration: closed ones (moves, deaths) and those still open."""
    people, geo = world.people, world.geo
    everyone = np.arange(people.size)
    registered = everyone[people.practice[everyone] >= 0]
    still = registered[people.alive[registered] & people.present[registered]]
    closed = [np.concatenate(parts) for parts in zip(*people.registrations, strict=True)] \
        if people.registrations else [np.zeros(0, np.int64)] * 5
    person = np.concatenate([closed[0], still]).astype(np.int64)
    practice = np.concatenate([closed[1], people.practice[still]]).astype(int)
    start = np.concatenate([closed[2], people.registered_on[still]]).astype(np.int32)
    end = np.concatenate([closed[3], np.full(len(still), NO_DAY)]).astype(np.int32)
    postcode = np.concatenate([closed[4], people.postcode[still]]).astype(int)
    order = np.lexsort((start, person))
    person, practice, start, end, postcode = (a[order] for a in (person, practice, start, end, postcode))
    saved = people.postcode.copy()
    people.postcode[person] = postcode  # each row shows the address held during that registration
    world.writer.write("gp_register", {
        "practice_code": geo.practice_codes[practice],
        "registration_date": start.astype("datetime64[D]"),
        "deregistration_date": _dates(end),
    }, person, start)
    people.postcode[:] = saved


def write_conditions(world: World) -> None:
    people = world.people
    person, column = np.nonzero(people.condition_on[: people.size] != NO_DAY)
    onset = people.condition_on[person, column]
    keep = onset < world.end_day
    person, column, onset = person[keep], column[keep], onset[keep]
    resolvable = np.isin(np.array(CONDITIONS)[column], ["DEP", "AST", "CAN"])
    resolved = np.where(resolvable & world.chance(0.08, len(person)),
                        onset + world.rng.integers(200, 2000, len(person)), NO_DAY)
    resolved = np.where(resolved >= world.end_day, NO_DAY, resolved)
    world.writer.write("gp_conditions", {
        "practice_code": world.geo.practice_codes[people.practice[person]],
        "condition": np.array(CONDITIONS)[column],
        "diagnosed_date": onset.astype("datetime64[D]"),
        "resolved_date": _dates(resolved),
    }, person, onset)


def write_deaths(world: World, place: dict[int, str]) -> None:
    people = world.people
    person = np.array(sorted(place), dtype=np.int64)
    if len(person) == 0:
        return
    day = people.died_on[person]
    cause = np.array(["C349", "I219", "J440", "F03X", "I639", "J189", "C509", "I500"])[
        world.rng.integers(0, 8, len(person))]
    world.writer.write("deaths", {
        "date_of_death": day.astype("datetime64[D]"),
        "place_of_death": np.array([place[p] for p in person]),
        "underlying_cause": cause,
    }, person, day)


def write_eol_register(world: World) -> None:
    people = world.people
    person = np.flatnonzero((people.eol_added[: people.size] != NO_DAY)
                            & (people.eol_added[: people.size] < world.end_day))
    preferred = np.array(["HOME", "CARE_HOME", "HOSPICE", "HOSPITAL"])[
        world.rng.choice(4, len(person), p=[0.55, 0.2, 0.2, 0.05])].astype(object)
    preferred[world.chance(0.2, len(person))] = None
    world.writer.write("eol_register", {
        "added_date": people.eol_added[person].astype("datetime64[D]"),
        "preferred_place_of_death": preferred,
    }, person, people.eol_added[person])


def write_objections(world: World) -> None:
    people, rng = world.people, world.rng
    everyone = np.arange(people.size)
    rows: list[tuple[np.ndarray, str]] = []
    for kind, share in world.rates.objections.items():
        rows.append((everyone[rng.random(people.size) < share], kind))
    person = np.concatenate([r[0] for r in rows])
    kind = np.concatenate([np.full(len(r[0]), r[1]) for r in rows])
    start = np.datetime64(world.spec.start, "D").astype(int)
    recorded = (start - rng.integers(0, 1500, len(person))).astype(np.int32)
    recorded = np.maximum(recorded, people.born[person])
    withdrawn = np.where(rng.random(len(person)) < 0.1, recorded + rng.integers(30, 900, len(person)), NO_DAY)
    withdrawn = np.where(withdrawn >= world.end_day, NO_DAY, withdrawn)
    world.writer.write("objections", {
        "objection_type": kind, "recorded_date": recorded.astype("datetime64[D]"),
        "withdrawn_date": _dates(withdrawn),
    }, person, recorded)


def write_people_truth(world: World, out: Path) -> None:
    people = world.people
    n = people.size
    everyone = np.arange(n)
    ids = np.where(people.council_id[:n] == NO_DAY, "",
                   np.char.add("C", np.char.zfill(people.council_id[:n].astype(str), 7)))
    second = np.full(n, "", dtype=object)
    if people.two_council_ids >= 0:
        second[people.two_council_ids] = f"C{people.second_council_id:07d}"
    _csv(out / "truth" / "people.csv",
         ("person_id", "nhs_number", "given_name", "family_name", "date_of_birth", "sex",
          "la_person_id", "second_la_person_id", "resident_at_start", "died_on"),
         zip(people.person_id[:n].tolist(), people.nhs_number[:n].tolist(), people.given_name(everyone),
             people.family_name(everyone), np.datetime_as_string(people.date_of_birth(everyone)),
             people.sex[:n].tolist(), ids, second, people.resident_at_start[:n].astype(int).tolist(),
             [str(np.datetime64(int(d), "D")) if d != NO_DAY else "" for d in people.died_on[:n]], strict=True))
