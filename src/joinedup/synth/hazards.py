"""Each person's true yearly hazards of the modelled outcomes, at every 1 April of the simulation
(`truth/hazards.csv`): the ceiling that `joinedup risk evaluate --truth` measures models against.

The hazards are those the simulation itself draws from, taken from the person's state on the
index date and held for the year (what could be known that day, latent health included):
- `emergency_admission`: 1 - exp(-12 x the month's expected emergency admissions: ambulance
  conveyances and walk-in attendances times their chance of admission, and direct admissions),
  and for someone in their last months the chance of the final admission of a hospital death;
- `permanent_care`: 1 - exp(-12 x the month's chance of a placement from the community plus the
  expected emergency discharges to a placement), 0 for people already in permanent care;
- `expected_cost`: GBP over the year of the same hazards priced (emergency spells, A&E,
  ambulance, elective spells) plus the weekly cost of the social care services running on the
  index date. The top-5% cost outcome has no closed-form probability, so the oracle ranks people
  by expected cost (AUROC) and has no Brier score for it.
Placements and readmissions already arranged on the index date (dated on or after it) count as
certain. Not included: what happens during the year (entering the last months of life, new conditions,
readmissions), which no model could know on the index date either.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from joinedup.synth import hospital, social_care
from joinedup.synth.config import REFERENCE_MEAN_RISK
from joinedup.synth.people import NO_DAY
from joinedup.synth.world import World

HEADER = ("index_date", "person_id", "emergency_admission", "permanent_care", "expected_cost")
A_AND_E_COST, EMERGENCY_SPELL_COST, BED_DAY_COST, ELECTIVE_SPELL_COST = 132.0, 1450.0, 230.0, 1200.0
AMBULANCE_COST = 0.68 * 233.0 + 0.2 * 181.0 + 0.12 * 37.0


def monthly_rate(name: str, per_year: float) -> float:
    return per_year / 12 / REFERENCE_MEAN_RISK[name]


def yearly_hazards(world: World, who: np.ndarray, age: np.ndarray) -> dict[str, np.ndarray]:
    people, rates = world.people, world.rates
    risk = hospital.urgent_risk(world, who, age)
    conveyed = (hospital.ambulance_risk(risk, age) * monthly_rate("ambulance", rates.ambulance_incident)
                * rates.ambulance_conveyed)
    walk_in = risk * monthly_rate("ae_walk_in", rates.ae_walk_in)
    admitted = {mode: world.probability("ae_admit", hospital.admission_risk(world, who, age, np.full(len(who), mode)),
                                        0.43) for mode in ("1", "2")}
    direct = risk * (age >= 18) * monthly_rate("direct_emergency", rates.direct_emergency)
    emergency = conveyed * admitted["1"] + walk_in * admitted["2"] + direct
    if world.scheme is not None:
        emergency = emergency * world.scheme.factor(who, world.month_start)
    months = _months_to_live(world, who)
    dying_in_hospital = _hospital_death_chance(world, who)
    p_emergency = 1 - np.exp(-emergency * months) * (1 - dying_in_hospital)
    p_emergency[people.readmission_on[who] >= world.month_start] = 1.0  # already arranged

    at_home = (age >= 65) & (people.care[who] < 2) & people.resident(who)
    community = world.probability("placement", social_care.placement_risk(world, who, age),
                                  rates.placement_from_community_65 / 12)
    from_hospital = emergency * at_home * world.probability(
        "placement_from_hospital", hospital.placement_need(world, who) * at_home, rates.placement_from_hospital)
    p_placement = np.where(at_home, 1 - np.exp(-(community + from_hospital) * months), 0.0)
    p_placement[_placement_arranged(world, who)] = 1.0

    elective = (np.exp(np.clip(age - 30, 0, 50) * 0.03) * (1 + 0.2 * people.conditions_count(who, world.month_start))
                * monthly_rate("elective", rates.elective))
    health_cost = months * (emergency * (EMERGENCY_SPELL_COST + BED_DAY_COST * _expected_stay(world, who, age))
                            + (conveyed + walk_in) * A_AND_E_COST
                            + hospital.ambulance_risk(risk, age) * monthly_rate("ambulance", rates.ambulance_incident)
                            * AMBULANCE_COST + elective * ELECTIVE_SPELL_COST)
    return {"emergency_admission": p_emergency, "permanent_care": p_placement,
            "expected_cost": health_cost + _social_care_cost(world, who, months)}


def _placement_arranged(world: World, who: np.ndarray) -> np.ndarray:
    """People not yet in care whose permanent placement was decided before the index date and
    starts on or after it (a community placement starts about two weeks after its assessment;
    the care level already counts it, so these people are not `at_home`)."""
    book = world.services
    placement = ~book.written & np.isin(book.kind, [social_care.KIND_NAMES.index(k)
                                                    for k in social_care.CARE_LEVEL])
    pending = placement & (book.start >= world.month_start)
    started = placement & (book.start < world.month_start)
    return np.isin(who, book.person[pending]) & ~np.isin(who, book.person[started])


def _months_to_live(world: World, who: np.ndarray) -> np.ndarray:
    until = world.people.terminal_until[who]
    left = np.where(until == NO_DAY, 12.0, (until - world.month_start) / 30.44)
    return np.clip(left, 0, 12)


def _hospital_death_chance(world: World, who: np.ndarray) -> np.ndarray:
    """Someone in their last months dies within the year; `simulate.die` decides where."""
    people = world.people
    dying = (people.terminal_until[who] != NO_DAY) & (people.terminal_until[who] < world.month_start + 365)
    p = np.where(people.eol_added[who] != NO_DAY, 0.5, 0.8) * np.where(people.care[who] >= 2, 0.55, 1.0)
    return dying * p


def _expected_stay(world: World, who: np.ndarray, age: np.ndarray) -> np.ndarray:
    """Mean length of an emergency stay (hospital._emergency_los without falls)."""
    frailty = world.people.frailty[who]
    mu = np.where(age >= 65, 1.62 + 0.4 * np.minimum(frailty, 2), 0.35)
    return np.exp(mu + 0.95 ** 2 / 2) - 0.5


def _social_care_cost(world: World, who: np.ndarray, months: np.ndarray) -> np.ndarray:
    """The weekly cost of every service running for each person, over the rest of the year or
    of the service's planned span."""
    book, today = world.services, world.month_start
    running = np.flatnonzero(~book.written & ((book.end == NO_DAY) | (book.end >= today)))
    days = np.where(book.end[running] == NO_DAY, 365, np.clip(book.end[running] - today, 0, 365))
    slot = np.full(world.people.size, -1)
    slot[who] = np.arange(len(who))
    mine = slot[book.person[running]]
    days = np.minimum(days, months[np.maximum(mine, 0)] * 30.44)
    cost = np.zeros(len(who))
    np.add.at(cost, mine[mine >= 0], (book.cost[running] * days / 7)[mine >= 0])
    return cost


def rows(world: World, who: np.ndarray, age: np.ndarray) -> list[tuple]:
    """This index date's truth rows (every person alive and in the area's services)."""
    hazards = yearly_hazards(world, who, age)
    day = str(np.datetime64(world.month_start, "D"))
    return list(zip([day] * len(who), world.people.person_id[who].tolist(),
                    np.round(hazards["emergency_admission"], 6).tolist(),
                    np.round(hazards["permanent_care"], 7).tolist(),
                    np.round(hazards["expected_cost"], 2).tolist(), strict=True))


def write(path: Path, truth_rows: list[tuple]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(HEADER)
        writer.writerows(truth_rows)
