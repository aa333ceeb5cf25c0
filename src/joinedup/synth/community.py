"""Primary, community and mental health care: GP appointments and prescriptions, community
health contacts (district nursing, matrons' multi-disciplinary case reviews, intermediate care,
falls, palliative care) and mental health contacts."""

from __future__ import annotations

import numpy as np

from joinedup.synth.health import MEDICINE_CODES
from joinedup.synth.people import CONDITIONS, DEM, NO_DAY
from joinedup.synth.world import World

COMMUNITY_COST = {"DISTRICT_NURSING": 38.0, "COMMUNITY_MATRON": 72.0, "RAPID_RESPONSE": 110.0,
                  "INTERMEDIATE_CARE": 95.0, "REHABILITATION": 64.0, "FALLS": 58.0,
                  "PALLIATIVE": 88.0, "THERAPY": 52.0, "OTHER": 45.0}
MH_COST = {"CMHT": 140.0, "CRISIS": 250.0, "MEMORY_ASSESSMENT": 180.0, "IAPT": 95.0,
           "LIAISON": 160.0, "OLDER_ADULTS": 150.0, "OTHER": 110.0}


def month_of_primary_care(world: World, who: np.ndarray, age: np.ndarray) -> None:
    gp_appointments(world, who, age)
    prescriptions(world, who)


def gp_appointments(world: World, who, age) -> None:
    people, rng = world.people, world.rng
    ltc = people.conditions_count(who, world.month_start)
    risk = (np.where(age < 5, 1.8, 1.0) * (1 + 0.012 * np.clip(age - 20, 0, 70)) * (1 + 0.35 * ltc)
            * np.sqrt(people.propensity[who]) * (1 + 0.3 * (people.sex[who] == 2)))
    person = np.repeat(who, world.events("gp", who, risk, world.rates.gp_appointment))
    n = len(person)
    status = np.array(["ATTENDED", "DNA", "CANCELLED"])[rng.choice(3, n, p=[0.88, 0.05, 0.07])]
    world.writer.write("gp_appointments", {
        "appointment_id": world.ids("GA", n),
        "practice_code": world.geo.practice_codes[people.practice[person]],
        "appointment_date": world.days(n).astype("datetime64[D]"),
        "staff_role": np.array(["GP", "NURSE", "OTHER"])[rng.choice(3, n, p=[0.55, 0.35, 0.10])],
        "mode": np.array(["FACE_TO_FACE", "TELEPHONE", "HOME_VISIT", "VIDEO"])[
            np.where(people.care[person] >= 2, 2, rng.choice(4, n, p=[0.72, 0.24, 0.02, 0.02]))],
        "status": status,
    }, person)


def prescriptions(world: World, who: np.ndarray) -> None:
    """Repeat medicines every two months (one issue per medicine), plus acute courses."""
    people, rng = world.people, world.rng
    due = who[(people.n_meds[who] > 0) & (people.med_phase[who] == world.month_index % 2)]
    slots = people.meds[due]
    person = np.repeat(due, (slots > 0).sum(axis=1))
    code = slots[slots > 0] - 1
    acute = np.repeat(who, world.events("acute_medicine", who, 1 + people.conditions_count(who, world.month_start),
                                        1.1))
    acute_codes = [MEDICINE_CODES.index(c) for c in ("0501013B0", "0501130R0", "0407010H0", "1001010J0")]
    person = np.concatenate([person, acute])
    code = np.concatenate([code, rng.choice(acute_codes, len(acute))])
    repeat = np.concatenate([np.full(len(person) - len(acute), "Y"), np.full(len(acute), "N")])
    n = len(person)
    suffix = np.array(["AAAAAA", "AAABAB", "AAADAD", "BBAAAA"])[rng.integers(0, 4, n)]
    world.writer.write("gp_medications", {
        "issue_id": world.ids("RX", n),
        "practice_code": world.geo.practice_codes[people.practice[person]],
        "bnf_code": np.char.add(np.array(MEDICINE_CODES)[code], suffix),
        "issue_date": world.days(n).astype("datetime64[D]"),
        "repeat": repeat,
    }, person)


def month_of_community_care(world: World, who: np.ndarray, age: np.ndarray) -> None:
    people, rng = world.people, world.rng
    old = age >= 65
    terminal = people.terminal_until[who] != NO_DAY
    housebound = old & (people.frailty[who] > 0.8)
    nursing = who[housebound & world.chance(0.35, len(who))]
    contacts = [(nursing, "DISTRICT_NURSING", rng.integers(1, 4, len(nursing)))]
    palliative = who[terminal & world.chance(0.4, len(who))]
    contacts.append((palliative, "PALLIATIVE", rng.integers(1, 3, len(palliative))))
    falls = who[old & world.chance(0.004 * (1 + people.frailty[who]), len(who))]
    contacts.append((falls, "FALLS", np.ones(len(falls), int)))
    general = who[world.chance(world.rates.community_contact / 12 * 0.25 * (1 + old * 2), len(who))]
    service = np.array(["THERAPY", "RAPID_RESPONSE", "OTHER"])[rng.choice(3, len(general), p=[0.5, 0.15, 0.35])]
    for name in ("THERAPY", "RAPID_RESPONSE", "OTHER"):
        chosen = general[service == name]
        contacts.append((chosen, name, np.ones(len(chosen), int)))
    contacts.append(_mdt_reviews(world, who, age))
    for person, name, count in contacts:
        write_contacts(world, np.repeat(person, count), name)
    mental_health(world, who)


def _mdt_reviews(world: World, who, age) -> tuple[np.ndarray, str, np.ndarray]:
    """Community matrons bring the people most at risk to a multi-disciplinary team review:
    about 2% of the registered population a year."""
    people = world.people
    risk = people.frailty[who] * (1 + 0.2 * people.conditions_count(who, world.month_start)) * (age >= 18)
    not_recent = (people.mdt_month[who] < 0) | (world.month_index - people.mdt_month[who] >= 12)
    p = world.probability("mdt", risk * not_recent, world.rates.mdt_review_share / 12)
    chosen = who[world.chance(p, len(who))]
    people.mdt_month[chosen] = world.month_index
    return chosen, "COMMUNITY_MATRON", world.rng.integers(1, 3, len(chosen))


def after_discharge(world: World, person: np.ndarray, start: np.ndarray) -> None:
    """Intermediate care or rehabilitation at home after a hospital stay, from the start day."""
    service = np.where(world.chance(0.5, len(person)), "INTERMEDIATE_CARE", "REHABILITATION")
    visits = world.rng.integers(2, 6, len(person))
    person_rows = np.repeat(person, visits)
    offsets = np.concatenate([np.arange(v) * 4 for v in visits]) if len(visits) else np.zeros(0, int)
    day = np.repeat(start, visits) + offsets
    keep = day < world.end_day
    write_contacts(world, person_rows[keep], np.repeat(service, visits)[keep], day[keep].astype(np.int32))


def write_contacts(world: World, person: np.ndarray, service, day: np.ndarray | None = None) -> None:
    n = len(person)
    if n == 0:
        return
    day = world.days(n) if day is None else day
    service = np.broadcast_to(np.asarray(service), (n,))
    cost = np.array([COMMUNITY_COST[s] for s in service])
    world.writer.write("community_contacts", {
        "contact_id": world.ids("CC", n), "service": service,
        "contact_date": day.astype("datetime64[D]"),
        "contact_mode": np.array(["FACE_TO_FACE", "TELEPHONE", "VIDEO"])[world.rng.choice(3, n, p=[0.85, 0.13, 0.02])],
        "contact_cost": np.where(world.chance(0.1, n), np.nan, cost),
    }, person, day)


def mental_health(world: World, who: np.ndarray) -> None:
    people, rng, day = world.people, world.rng, world.month_start
    smi = people.has(who, CONDITIONS.index("MH"), day)
    dep = people.has(who, CONDITIONS.index("DEP"), day)
    dementia_latent = (people.dementia_onset[who] != NO_DAY) & ~people.has(who, DEM, day)
    risk = 0.05 + 2.0 * smi + 0.5 * dep + 0.8 * dementia_latent
    person = np.repeat(who, world.events("mh", who, risk, world.rates.mh_contact))
    n = len(person)
    p_age = people.age_on(person, world.month_start)
    team = np.where(p_age >= 65, np.where(people.dementia_onset[person] != NO_DAY, "MEMORY_ASSESSMENT", "OLDER_ADULTS"),
                    np.array(["CMHT", "IAPT", "CRISIS", "LIAISON", "OTHER"])[rng.choice(5, n, p=[0.4, 0.35, 0.08, 0.07, 0.1])])
    day_of = world.days(n)
    cost = np.array([MH_COST[t] for t in team])
    world.writer.write("mental_health_contacts", {
        "contact_id": world.ids("MH", n), "team_type": team,
        "contact_date": day_of.astype("datetime64[D]"),
        "contact_cost": np.where(world.chance(0.1, n), np.nan, cost),
    }, person, day_of)
