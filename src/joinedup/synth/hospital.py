"""Urgent and hospital care: ambulance incidents, A&E attendances, emergency and elective spells,
step-down to the community hospital, delayed transfers, readmissions and deaths in hospital."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from joinedup.groupings import ELECTIVE_ADMISSION
from joinedup.synth import social_care
from joinedup.synth.people import NO_DAY
from joinedup.synth.world import ACUTE, COMMUNITY_HOSPITAL, World

FALL_PRIMARY = np.array(["S720", "S721", "S060", "S422", "S525", "S322", "T140", "S008"])
FALL_CAUSE = np.array(["W010", "W050", "W060", "W100", "W180", "W190", "W199"])
MEDICAL_PRIMARY = np.array(["J440", "J189", "N390", "I500", "R074", "R55X", "K590", "A099",
                            "I639", "L031", "E86X", "I480", "J441", "R296", "K297", "R104"])
ELECTIVE_PRIMARY = np.array(["H251", "M170", "K802", "N400", "C189", "K409", "M161", "Z511"])
OTHER_SECONDARY = np.array(["I10X", "E119", "N183", "F03X", "J449", "I489", "E039", "Z864"])
EMERGENCY_ROUTES = np.array(["22", "2B", "28", "23", "24"])
DEST_HOME, DEST_CARE_HOME, DEST_COMMUNITY, DEST_DIED = "19", "85", "51", "79"
# How elective spells split over groupings.yaml's elective methods, in its order (waiting list,
# booked, planned); a method added there needs its share here.
ELECTIVE_SHARES = (0.6, 0.3, 0.1)
STEP_DOWN = 0.155  # older people's emergency stays of a week or more ending in the community hospital


@dataclass
class Spells:
    who: np.ndarray
    admitted: np.ndarray
    los: np.ndarray
    method: np.ndarray
    emergency: np.ndarray
    fall: np.ndarray
    dies: np.ndarray

    def __len__(self) -> int:
        return len(self.who)


def _age_risk(age: np.ndarray) -> np.ndarray:
    """Use of urgent care by age: high for infants and rising steeply after 70."""
    return np.where(age < 5, 1.6, 1.0) * np.exp(np.clip(age - 60, 0, 40) * 0.03)


def urgent_risk(world: World, who: np.ndarray, age: np.ndarray) -> np.ndarray:
    people = world.people
    ltc = people.conditions_count(who, world.month_start)
    imd = world.geo.postcode_imd[np.minimum(people.postcode[who], len(world.geo.postcodes) - 1)]
    terminal = people.terminal_until[who] != NO_DAY
    return (_age_risk(age) * (1 + 0.2 * ltc) * people.propensity[who] * (1 + 0.4 * people.frailty[who])
            * (1 + 0.35 * np.minimum(people.recent_admissions[who], 3)) * np.where(terminal, 3.5, 1.0)
            * (1 + 0.07 * (5.5 - imd)) * np.where(people.care[who] >= 2, 1.8, 1.0)
            * people.emergency_signal[who])


def ambulance_risk(risk: np.ndarray, age: np.ndarray) -> np.ndarray:
    return risk * np.where(age >= 65, 1.8, 1.0)


def admission_risk(world: World, person: np.ndarray, age: np.ndarray, mode: np.ndarray) -> np.ndarray:
    """Relative chance that an A&E attendance ends in admission (mode 1: by ambulance)."""
    people = world.people
    terminal = people.terminal_until[person] != NO_DAY
    return (np.exp(0.028 * np.clip(age - 20, 0, 80)) * (1 + 0.5 * people.frailty[person])
            * np.where(mode == "1", 1.9, 1.0) * np.where(terminal, 1.8, 1.0))


def placement_need(world: World, person: np.ndarray) -> np.ndarray:
    """Relative chance that an older person's emergency discharge is to a permanent placement."""
    people = world.people
    return base_placement_need(world, person) * people.placement_signal[person] * world.hospital_placement_scale


def base_placement_need(world: World, person: np.ndarray) -> np.ndarray:
    people = world.people
    return (1 + people.frailty[person]) * (1 + 2 * (people.dementia_onset[person] != NO_DAY))


def month_of_urgent_care(world: World, who: np.ndarray, age: np.ndarray) -> None:
    people = world.people
    out_of_hospital = people.in_hospital_until[who] < world.month_start
    who, age = who[out_of_hospital], age[out_of_hospital]
    risk = urgent_risk(world, who, age)
    conveyed_who = ambulance_incidents(world, who, risk, age)
    walk_in = np.repeat(who, world.events("ae_walk_in", who, risk, world.rates.ae_walk_in))
    attend(world, np.concatenate([conveyed_who[0], walk_in]),
           np.concatenate([conveyed_who[1], world.days(len(walk_in))]),
           np.concatenate([np.full(len(conveyed_who[0]), "1"), np.full(len(walk_in), "2")]))
    expected = risk * (age >= 18) * world.unit_rate("direct_emergency", world.rates.direct_emergency)
    direct = np.repeat(who, world.rng.poisson(world.lowered(who, world.month_start, expected)))
    route = EMERGENCY_ROUTES[world.rng.integers(0, len(EMERGENCY_ROUTES), len(direct))]
    admit(world, direct, world.days(len(direct)), route)
    telephone_care(world, who, risk)
    elective(world, who, age)


def ambulance_incidents(world: World, who, risk, age) -> tuple[np.ndarray, np.ndarray]:
    rates = world.rates
    counts = world.events("ambulance", who, ambulance_risk(risk, age), rates.ambulance_incident)
    person = np.repeat(who, counts)
    day = world.days(len(person))
    roll = world.rng.random(len(person))
    outcome = np.where(roll < rates.ambulance_conveyed, "CONVEYED",
                       np.where(roll < rates.ambulance_conveyed + 0.2, "SEE_AND_TREAT", "HEAR_AND_TREAT"))
    cost = np.select([outcome == "CONVEYED", outcome == "SEE_AND_TREAT"], [233.0, 181.0], 37.0)
    write_urgent(world, person, day, "AMBULANCE", outcome, cost)
    conveyed = outcome == "CONVEYED"
    return person[conveyed], day[conveyed]


def telephone_care(world: World, who, risk) -> None:
    rates, rng = world.rates, world.rng
    calls = np.repeat(who, world.events("nhs111", who, np.sqrt(risk), rates.nhs111_call))
    outcome = np.array(["SELF_CARE", "GP_REFERRAL", "ED_REFERRAL", "AMBULANCE_DISPATCH", "OTHER"])[
        rng.choice(5, len(calls), p=[0.3, 0.4, 0.15, 0.1, 0.05])]
    write_urgent(world, calls, world.days(len(calls)), "NHS111", outcome, np.full(len(calls), 12.26))
    ooh = np.repeat(who, world.events("ooh", who, np.sqrt(risk), rates.ooh_contact))
    outcome = np.array(["SEE_AND_TREAT", "HEAR_AND_TREAT", "ED_REFERRAL"])[
        rng.choice(3, len(ooh), p=[0.55, 0.35, 0.10])]
    write_urgent(world, ooh, world.days(len(ooh)), "OOH", outcome, np.full(len(ooh), 71.0))


def write_urgent(world: World, person, day, service: str, outcome, cost) -> None:
    cost = np.where(world.chance(0.1, len(person)), np.nan, cost)
    world.writer.write("urgent_care_contacts", {
        "contact_id": world.ids(service[:3], len(person)),
        "service": np.full(len(person), service),
        "contact_datetime": world.times(day),
        "from_care_home": _care_home_flag(world, person),
        "outcome": outcome,
        "contact_cost": cost,
    }, person, day)


def _care_home_flag(world: World, person: np.ndarray) -> np.ndarray:
    flag = np.where(world.people.care[person] >= 2, "Y", "N").astype(object)
    flag[world.chance(0.04, len(person))] = None
    return flag


def attend(world: World, person: np.ndarray, day: np.ndarray, mode: np.ndarray,
           dies_on: np.ndarray | None = None) -> None:
    """A&E attendances; those admitted become emergency spells."""
    people, rng, n = world.people, world.rng, len(person)
    risk = admission_risk(world, person, people.age_on(person, day), mode)
    if dies_on is None:
        admitted = world.chance(world.lowered(person, day, world.probability("ae_admit", risk, 0.43)), n)
    else:  # the final admission of someone dying in hospital
        admitted = np.ones(n, dtype=bool)
    other = np.array(["HOM", "LFT", "TRN", "CHM"])[rng.choice(4, n, p=[0.86, 0.08, 0.04, 0.02])]
    other = np.where((other == "CHM") & (people.care[person] < 2), "HOM", other)
    disposal = np.where(admitted, "ADM", other)
    arrival = world.times(day)
    departure = arrival + rng.integers(40, 360, n).astype("timedelta64[m]")
    departure[world.chance(0.03, n)] = np.datetime64("NaT")
    cost = np.where(world.chance(0.08, n), np.nan, np.round(rng.normal(132, 25, n), 2))
    world.writer.write("acute_ae", {
        "attendance_id": world.ids("AE", n), "provider_code": np.full(n, ACUTE),
        "arrival_datetime": arrival, "departure_datetime": departure, "arrival_mode": mode,
        "from_care_home": _care_home_flag(world, person), "disposal": disposal,
        "attendance_cost": cost,
    }, person, day)
    chosen = np.flatnonzero(admitted)
    admit(world, person[chosen], day[chosen], np.full(len(chosen), "21"),
          None if dies_on is None else dies_on[chosen])


def admit(world: World, who: np.ndarray, day: np.ndarray, method: np.ndarray,
          dies_on: np.ndarray | None = None) -> None:
    """Emergency spells at the acute trust, and everything that follows discharge."""
    if len(who) == 0:
        return
    people = world.people
    if world.scheme is not None:
        world.scheme.log_admissions(who, day)
    age = people.age_on(who, day)
    fall = (age >= 65) & world.chance(np.where(age >= 80, 0.011, 0.008), len(who))
    los = _emergency_los(world, who, age, fall)
    dies = np.zeros(len(who), dtype=bool)
    if dies_on is not None:
        los = np.maximum(dies_on - day, 0)
        dies[:] = True
    spells = Spells(who, day.astype(np.int32), los.astype(np.int32), method, np.ones(len(who), bool),
                    fall, dies)
    discharge(world, spells, age)


def _emergency_los(world: World, who, age, fall) -> np.ndarray:
    frailty = world.people.frailty[who]
    mu = np.where(age >= 65, 1.62 + 0.4 * np.minimum(frailty, 2), 0.35) + np.where(fall, 0.7, 0)
    los = np.floor(world.rng.lognormal(mu, 0.95)).astype(int)
    return np.minimum(los, 120)


def discharge(world: World, spells: Spells, age: np.ndarray) -> None:
    """Decide where each spell ends, write it, then follow the person out of hospital."""
    people, rng, n = world.people, world.rng, len(spells)
    discharged_on = spells.admitted + spells.los
    old = (age >= 65) & ~spells.dies
    in_care = people.care[spells.who] >= 2
    step_down = old & spells.emergency & (spells.los >= 7) & ~in_care & world.chance(STEP_DOWN, n)
    eligible = old & spells.emergency & ~in_care & ~step_down & people.resident(spells.who)
    need = placement_need(world, spells.who)
    placed = eligible & world.chance(world.probability("placement_from_hospital", need * eligible,
                                                       world.rates.placement_from_hospital), n)
    delayed = old & (spells.los >= 5) & world.chance(np.where(placed, 0.05, 0.0045), n)
    delay_days = np.where(delayed, rng.integers(3, 22, n), 0)
    spells.los += delay_days
    discharged_on = spells.admitted + spells.los
    destination = np.select([spells.dies, step_down, placed | in_care],
                            [DEST_DIED, DEST_COMMUNITY, DEST_CARE_HOME], DEST_HOME)
    ready = np.where(spells.los >= 2, discharged_on - delay_days - rng.integers(0, 2, n), NO_DAY)
    write_spells(world, spells, ACUTE, destination, ready, age)
    people.in_hospital_until[spells.who] = np.maximum(people.in_hospital_until[spells.who], discharged_on)
    alive = ~spells.dies
    people.last_discharge[spells.who[alive & spells.emergency]] = discharged_on[alive & spells.emergency]
    people.recent_admissions[spells.who[spells.emergency]] += 1
    write_delays(world, spells.who[delayed], discharged_on[delayed] - delay_days[delayed],
                 discharged_on[delayed], placed[delayed])
    community_stay(world, spells.who[step_down], discharged_on[step_down])
    social_care.place_permanently(world, spells.who[placed], discharged_on[placed], from_hospital=True)
    home = old & (destination == DEST_HOME) & spells.emergency
    social_care.after_discharge(world, spells.who[home], discharged_on[home])
    readmit(world, spells.who[alive & spells.emergency], discharged_on[alive & spells.emergency])


def readmit(world: World, who: np.ndarray, discharged_on: np.ndarray) -> None:
    people = world.people
    terminal = people.terminal_until[who] != NO_DAY
    p = world.rates.readmission_30d * (1 + 0.6 * np.minimum(people.frailty[who], 2)) * np.where(terminal, 1.6, 1)
    back = world.chance(p, len(who))
    day = discharged_on[back] + world.rng.integers(0, 30, back.sum())
    keep = day < world.end_day
    people.readmission_on[who[back][keep]] = day[keep]  # known ahead: the truth's hazards
    attend(world, who[back][keep], day[keep].astype(np.int32), np.full(keep.sum(), "1"))


def die_in_hospital(world: World, who: np.ndarray, death_day: np.ndarray) -> None:
    """The final admission of people who die in hospital."""
    stay = world.rng.integers(1, 15, len(who))
    arrive = (death_day - stay).astype(np.int32)
    attend(world, who, arrive, np.full(len(who), "1"), dies_on=death_day.astype(np.int32))


def community_stay(world: World, who: np.ndarray, day: np.ndarray) -> None:
    n = len(who)
    los = np.floor(world.rng.lognormal(2.75, 0.55, n)).astype(np.int32) + 3
    spells = Spells(who, day.astype(np.int32), los, np.full(n, "81"), np.zeros(n, bool),
                    np.zeros(n, bool), np.zeros(n, bool))
    age = world.people.age_on(who, day)
    ready = spells.admitted + los - world.rng.integers(0, 3, n)
    write_spells(world, spells, COMMUNITY_HOSPITAL, np.full(n, DEST_HOME), ready, age)
    world.people.in_hospital_until[who] = np.maximum(world.people.in_hospital_until[who], day + los)
    social_care.after_discharge(world, who, day + los)


def elective(world: World, who: np.ndarray, age: np.ndarray) -> None:
    rates, rng = world.rates, world.rng
    risk = np.exp(np.clip(age - 30, 0, 50) * 0.03) * (1 + 0.2 * world.people.conditions_count(who, world.month_start))
    person = np.repeat(who, world.events("elective", who, risk, rates.elective))
    n = len(person)
    day_case = world.chance(rates.day_case_share, n)
    los = np.where(day_case, 0, np.floor(rng.lognormal(0.9, 0.7, n)).astype(int) + 1)
    spells = Spells(person, world.days(n), los.astype(np.int32),
                    np.array(ELECTIVE_ADMISSION)[rng.choice(len(ELECTIVE_ADMISSION), n, p=ELECTIVE_SHARES)],
                    np.zeros(n, bool), np.zeros(n, bool), np.zeros(n, bool))
    ready = np.where(los >= 2, spells.admitted + los, NO_DAY)
    write_spells(world, spells, ACUTE, np.full(n, DEST_HOME), ready, world.people.age_on(person, spells.admitted),
                 day_case=day_case)


def _specialty(world: World, spells: Spells, age: np.ndarray, provider: str) -> np.ndarray:
    rng, n = world.rng, len(spells)
    if provider == COMMUNITY_HOSPITAL:
        return np.full(n, "314")
    adult = np.array(["300", "430", "100", "110", "320", "340"])[
        rng.choice(6, n, p=[0.42, 0.2, 0.16, 0.1, 0.07, 0.05])]
    young = np.array(["300", "100", "110", "501", "710"])[rng.choice(5, n, p=[0.5, 0.2, 0.15, 0.1, 0.05])]
    specialty = np.where(age >= 65, adult, np.where(age < 16, "420", young))
    specialty = np.where((specialty == "430") & (age < 65), "300", specialty)
    women = (world.people.sex[spells.who] == 2) & (age >= 16) & (age <= 45)
    specialty = np.where((specialty == "501") & ~women, "300", specialty)
    specialty = np.where(spells.fall, "110", specialty)
    return np.where(spells.emergency, specialty,
                    np.array(["100", "110", "130", "101", "330", "502"])[rng.integers(0, 6, n)])


def _diagnoses(world: World, spells: Spells) -> tuple[np.ndarray, np.ndarray]:
    rng, n = world.rng, len(spells)
    primary = np.where(spells.emergency, MEDICAL_PRIMARY[rng.integers(0, len(MEDICAL_PRIMARY), n)],
                       ELECTIVE_PRIMARY[rng.integers(0, len(ELECTIVE_PRIMARY), n)])
    primary = np.where(spells.fall, FALL_PRIMARY[rng.integers(0, len(FALL_PRIMARY), n)], primary)
    extra = OTHER_SECONDARY[rng.integers(0, len(OTHER_SECONDARY), n)]
    cause = FALL_CAUSE[rng.integers(0, len(FALL_CAUSE), n)]
    secondary = np.where(spells.fall, np.char.add(np.char.add(cause, ";"), extra), extra).astype(object)
    secondary[world.chance(0.25, n) & ~spells.fall] = None
    return primary, secondary


def write_spells(world: World, spells: Spells, provider: str, destination: np.ndarray,
                 ready: np.ndarray, age: np.ndarray, day_case: np.ndarray | None = None) -> None:
    n = len(spells)
    if n == 0:
        return
    discharged = spells.admitted + spells.los
    open_spell = discharged >= world.end_day
    primary, secondary = _diagnoses(world, spells)
    method_code = np.where(spells.dies, "4", np.where(world.chance(0.02, n), "2", "1")).astype(object)
    destination = destination.astype(object)
    cost = _spell_cost(world, spells, provider, day_case)
    for column in (method_code, destination):
        column[open_spell] = None
    ready_day = np.where((ready == NO_DAY) | (ready >= world.end_day), NO_DAY, np.maximum(ready, spells.admitted))
    classification = np.where(day_case if day_case is not None else np.zeros(n, bool), "2", "1")
    world.writer.write("acute_apc", {
        "spell_id": world.ids("SP" if provider == ACUTE else "CH", n),
        "provider_code": np.full(n, provider),
        "admission_date": spells.admitted.astype("datetime64[D]"),
        "discharge_date": np.where(open_spell, np.datetime64("NaT"), discharged.astype("datetime64[D]")),
        "admission_method": spells.method, "patient_classification": classification,
        "main_specialty": _specialty(world, spells, age, provider),
        "primary_diagnosis": primary, "secondary_diagnoses": secondary,
        "discharge_method": method_code, "discharge_destination": destination,
        "ready_for_discharge_date": np.where(ready_day == NO_DAY, np.datetime64("NaT"),
                                             ready_day.astype("datetime64[D]")),
        "hrg_code": np.where(spells.emergency, "WD22Z", "FZ91A"),
        "spell_cost": cost,
    }, spells.who, spells.admitted)


def _spell_cost(world: World, spells: Spells, provider: str, day_case) -> np.ndarray:
    n = len(spells)
    if provider == COMMUNITY_HOSPITAL:
        return (spells.los * 285.0).astype(float)
    base = np.where(spells.emergency, 1450.0 + 230.0 * spells.los, 1150.0 + 280.0 * spells.los)
    if day_case is not None:
        base = np.where(day_case, 720.0, base)
    return np.where(world.chance(0.07, n), np.nan, np.round(base * world.rng.normal(1, 0.1, n), 2))


def write_delays(world: World, who, ready, transfer, awaiting_care) -> None:
    n = len(who)
    if n == 0:
        return
    reason = np.where(awaiting_care, np.array(["DI", "DII"])[world.rng.integers(0, 2, n)],
                      np.array(["A", "C", "E", "F", "G"])[world.rng.choice(5, n, p=[0.25, 0.2, 0.3, 0.1, 0.15])])
    agency = np.select([np.isin(reason, ["DI", "DII", "E"]), np.isin(reason, ["A"])], ["SC", "BOTH"], "NHS")
    open_delay = transfer >= world.end_day
    world.writer.write("delayed_transfers", {
        "delay_id": world.ids("DT", n), "provider_code": np.full(n, ACUTE),
        "ready_date": ready.astype(np.int32).astype("datetime64[D]"),
        "transfer_date": np.where(open_delay, np.datetime64("NaT"), transfer.astype("datetime64[D]")),
        "reason": reason, "agency": agency,
    }, who, ready.astype(np.int32))
