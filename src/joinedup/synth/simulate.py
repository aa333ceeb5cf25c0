"""The simulation: build the area and its people, then step month by month through births,
moves, illness, care and deaths, writing every organisation's feed as events happen."""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np

from joinedup.progress import Progress
from joinedup.synth import community, hazards, health, hospital, registers, signal, social_care
from joinedup.synth.config import AreaSpec, FlawRates, Rates
from joinedup.synth.geography import build_geography
from joinedup.synth.output import AreaWriter
from joinedup.synth.people import NO_DAY, People, age_weights
from joinedup.synth.scheme import Scheme, SchemeSpec, enrol, write_truth
from joinedup.synth.social_care import ServiceBook
from joinedup.synth.world import World

DAY_MS = "datetime64[D]"


def generate(out: Path, spec: AreaSpec, rates: Rates | None = None, flaws: FlawRates | None = None,
             progress: bool = True, plant: SchemeSpec | None = None) -> dict[str, int]:
    """Simulate the area and write its feeds and truth to `out`; return rows written per feed.
    `plant`: a case-management scheme whose effect the truth records (scheme.py); its
    counterfactual is the same area simulated first without the effect (into a scratch folder)."""
    out.mkdir(parents=True, exist_ok=True)
    if plant is None:
        return _simulate(out, spec, rates, flaws, progress, None)[0]
    without = None
    if plant.hazard_ratio != 1:
        with tempfile.TemporaryDirectory(dir=out) as scratch:
            without = _simulate(Path(scratch), spec, rates, flaws, progress,
                                replace(plant, hazard_ratio=1.0))[1]
    rows, world = _simulate(out, spec, rates, flaws, progress, plant)
    without = without or world
    write_truth(world.scheme, without.scheme, world.people, world.geo.practice_codes, out / "truth")
    return rows


def _simulate(out: Path, spec: AreaSpec, rates: Rates | None, flaws: FlawRates | None, progress: bool,
              plant: SchemeSpec | None) -> tuple[dict[str, int], World]:
    rng = np.random.default_rng(spec.seed)
    geo = build_geography(spec, rng)
    extra = int(spec.people * (spec.registered_non_residents + 0.08 * spec.months / 12)) + 100
    people = People(spec.people + extra, geo)
    as_of = np.datetime64(spec.start, "M") + spec.months + 1
    writer = AreaWriter(out, people, flaws or FlawRates(), np.random.default_rng([spec.seed, 1]),
                        as_of.astype(DAY_MS))
    world = World(spec, rates or Rates(), rng, geo, people, writer, ServiceBook(),
                  scheme=None if plant is None else Scheme.planned(plant, spec.seed))
    _set_month(world, 0)
    populate(world)
    # Lookalikes are drawn from a stream of their own: the simulation's events stay as they were.
    people.add_lookalikes(world.active(), np.random.default_rng([spec.seed, 2]), world.month_start,
                          geo.postcode_ward)
    snapshots: dict[int, list[tuple]] = {}
    deaths: dict[int, str] = {}
    truth_hazards: list[tuple] = []
    steps = Progress("synth: month", spec.months, enabled=progress)
    for month in range(spec.months):
        _set_month(world, month)
        simulate_month(world, deaths, truth_hazards)
        date = np.datetime64(world.month_start, "D").astype(object)
        if date.month == 6:  # mid-year estimate, as ONS's 30 June
            snapshots[date.year] = registers.population_snapshot(world, date.year)
        steps.step()
    finish(world, out, snapshots, deaths)
    hazards.write(out / "truth" / "hazards.csv", truth_hazards)
    return writer.close(), world


def _set_month(world: World, month: int) -> None:
    first = np.datetime64(world.spec.start, "M") + month
    world.month_index = month
    world.month_start = int(first.astype(DAY_MS).astype(int))
    world.month_end = int((first + 1).astype(DAY_MS).astype(int))


def populate(world: World) -> None:
    spec, rng, people, geo = world.spec, world.rng, world.people, world.geo
    non_residents = round(spec.people * spec.registered_non_residents)
    who = people.add(spec.people + non_residents)
    age = rng.choice(101, size=len(who), p=age_weights())
    male_share = np.where(age < 65, 0.495, np.where(age < 85, 0.45, 0.33))
    people.set_identity(who, rng, np.where(rng.random(len(who)) < male_share, 1, 2))
    people.born[who] = world.month_start - (age * 365.25 + rng.integers(0, 365, len(who))).astype(int)
    resident = np.arange(len(who)) < spec.people
    people.postcode[who[resident]] = _postcodes_by_ward(world, resident.sum())
    people.postcode[who[~resident]] = len(geo.postcodes) + rng.integers(0, len(geo.outside_postcodes),
                                                                         (~resident).sum())
    people.resident_at_start[who] = resident
    _register(world, who, world.month_start - rng.integers(0, 7000, len(who)))
    people.registered_on[who] = np.maximum(people.registered_on[who], people.born[who])
    people.propensity[who] = rng.gamma(1.3, 1 / 1.3, len(who))
    imd = geo.postcode_imd[np.minimum(people.postcode[who], len(geo.postcodes) - 1)]
    health.initial_conditions(world, who, age, imd)
    signal.assign_living_alone(world, who, age)
    health.enter_terminal_phase(world, who, age, initial=True)
    social_care.initial_social_care(world, who, age)


def _postcodes_by_ward(world: World, count: int) -> np.ndarray:
    geo, rng = world.geo, world.rng
    ward = rng.choice(len(geo.ward_codes), size=count, p=geo.ward_weight)
    by_ward = [np.flatnonzero(geo.postcode_ward == w) for w in range(len(geo.ward_codes))]
    pick = rng.random(count)
    return np.array([by_ward[w][int(u * len(by_ward[w]))] for w, u in zip(ward, pick, strict=True)],
                    dtype=np.int32)


def _register(world: World, who: np.ndarray, since: np.ndarray) -> None:
    """Register with a practice, most often one in the person's own locality."""
    geo, people = world.geo, world.people
    in_area = people.postcode[who] < len(geo.postcodes)
    locality = np.where(in_area, geo.ward_locality[geo.postcode_ward[np.minimum(people.postcode[who],
                                                                                 len(geo.postcodes) - 1)]], -1)
    practice = np.empty(len(who), dtype=np.int16)
    for loc in np.unique(locality):
        rows = locality == loc
        weight = geo.practice_weight * np.where(geo.practice_locality == loc, 4.0, 1.0)
        practice[rows] = world.rng.choice(len(weight), size=rows.sum(), p=weight / weight.sum())
    people.practice[who] = practice
    people.registered_on[who] = since


def simulate_month(world: World, deaths: dict[int, str], truth_hazards: list[tuple]) -> None:
    """A month; on 1 April, first the truth's yearly hazards of everyone alive that morning."""
    people = world.people
    if world.scheme is not None and world.month_start == world.scheme.start_day:
        enrol(world.scheme, people, world.active(), len(world.geo.practice_codes))
    if np.datetime64(world.month_start, "D").astype(object).month == 4:
        who = world.active()
        age = people.age_on(who, world.month_start)
        signal.refresh(world, who, age)
        truth_hazards += hazards.rows(world, who, age)
    demography(world, deaths)
    who = world.active()
    age = np.maximum(people.age_on(who, world.month_start), 0)  # babies born later this month
    signal.refresh(world, who, age)
    health.progress_health(world, who, age)
    health.enter_terminal_phase(world, who, age)
    hospital.month_of_urgent_care(world, who, age)
    social_care.month_of_social_care(world, who, age)
    social_care.finish_planned(world)
    community.month_of_primary_care(world, who, age)
    community.month_of_community_care(world, who, age)
    people.recent_admissions[who] *= np.float32(0.9)


def demography(world: World, deaths: dict[int, str]) -> None:
    die(world, deaths)
    births(world)
    moves(world)


def die(world: World, deaths: dict[int, str]) -> None:
    """Everyone whose terminal phase ends this month dies, in hospital or elsewhere."""
    people, rng = world.people, world.rng
    who = world.active()
    dying = who[(people.terminal_until[who] != NO_DAY) & (people.terminal_until[who] < world.month_end)]
    day = np.maximum(people.terminal_until[dying], world.month_start).astype(np.int32)
    on_register = people.eol_added[dying] != NO_DAY
    in_care = people.care[dying] >= 2
    p_hospital = np.where(on_register, 0.5, 0.8) * np.where(in_care, 0.55, 1.0)
    hospital_death = rng.random(len(dying)) < p_hospital
    hospital.die_in_hospital(world, dying[hospital_death], day[hospital_death])
    elsewhere = np.array(["HOME", "HOSPICE", "OTHER"])[rng.choice(3, len(dying), p=[0.62, 0.26, 0.12])]
    place = np.where(hospital_death, "HOSPITAL", np.where(in_care, "CARE_HOME", elsewhere))
    for person, where in zip(dying.tolist(), place.tolist(), strict=True):
        deaths[person] = where
    people.alive[dying] = False
    people.died_on[dying] = day
    people.close_registration(dying, day)
    social_care.end_services(world, dying, day, "DECEASED")


def births(world: World) -> None:
    people, rng = world.people, world.rng
    residents = world.active()
    residents = residents[people.resident(residents)]
    count = rng.poisson(world.rates.births / 12 * len(residents))
    mothers = residents[(people.sex[residents] == 2) & (people.age_on(residents, world.month_start) >= 18)
                        & (people.age_on(residents, world.month_start) <= 44)]
    mother = mothers[rng.integers(0, len(mothers), count)]
    baby = people.add(count)
    people.set_identity(baby, rng, rng.integers(1, 3, count))
    people.family_idx[baby] = people.family_idx[mother]
    # born last month, so that none of this month's events falls before a baby's birth
    born = world.days(count) - 31
    people.born[baby] = born
    people.postcode[baby] = people.postcode[mother]
    people.practice[baby] = people.practice[mother]
    people.registered_on[baby] = born  # the birth notification registers the baby (PDS)
    people.propensity[baby] = rng.gamma(1.3, 1 / 1.3, count)
    people.frailty[baby] = 0


def moves(world: World) -> None:
    people, rng, rates = world.people, world.rng, world.rates
    who = world.active()
    age = people.age_on(who, world.month_start)
    mobile = np.where((age >= 18) & (age < 40), 2.0, np.where(age >= 75, 0.3, 0.8))
    not_dying = people.terminal_until[who] == NO_DAY
    day = world.days(len(who))
    leaving = not_dying & (people.care[who] < 2) & (rng.random(len(who)) < rates.move_out / 12 * mobile)
    leave(world, who[leaving], day[leaving])
    moving = ~leaving & (people.care[who] < 2) & (rng.random(len(who)) < rates.move_within / 12 * mobile)
    movers = who[moving & people.resident(who)]
    people.move(movers, _postcodes_by_ward(world, len(movers)), world.month_start)
    change = movers[rng.random(len(movers)) < 0.3]
    people.close_registration(change, day[moving & people.resident(who)][: len(movers)][
        np.isin(movers, change)])
    _register(world, change, people.moved_on_day[change] + 1)
    arrive(world, round(rng.poisson(rates.move_in / 12 * len(who))))


def leave(world: World, person: np.ndarray, day: np.ndarray) -> None:
    """Moving out of the area: the registration ends and the services stop."""
    people = world.people
    social_care.end_services(world, person, day, "NFA_OTHER")
    people.close_registration(person, day)
    outside = world.geo.outside_postcodes
    people.move(person, len(world.geo.postcodes) + world.rng.integers(0, len(outside), len(person)), day)
    people.present[person] = False


def arrive(world: World, count: int) -> None:
    """New residents, mostly young adults, registering with a practice on arrival."""
    people, rng = world.people, world.rng
    new = people.add(count)
    age = np.where(rng.random(count) < 0.8, rng.integers(18, 45, count), rng.integers(0, 90, count))
    people.set_identity(new, rng, rng.integers(1, 3, count))
    day = world.days(count)
    born = day - (age * 365.25 + rng.integers(0, 365, count)).astype(int)
    people.born[new] = np.minimum(born, world.month_start - 1)  # before any event this month
    people.postcode[new] = _postcodes_by_ward(world, count)
    _register(world, new, day)
    people.propensity[new] = rng.gamma(1.3, 1 / 1.3, count)
    imd = world.geo.postcode_imd[people.postcode[new]]
    health.initial_conditions(world, new, age, imd)
    signal.assign_living_alone(world, new, age)


def finish(world: World, out: Path, snapshots: dict, deaths: dict[int, str]) -> None:
    world.month_start = world.end_day - 1
    social_care.close_all(world)
    registers.write_registrations(world)
    registers.write_conditions(world)
    registers.write_deaths(world, deaths)
    registers.write_eol_register(world)
    registers.write_objections(world)
    registers.write_reference(world, out, snapshots)
    registers.write_people_truth(world, out)
