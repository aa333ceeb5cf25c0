"""Latent health: long-term conditions that accrue with age and deprivation, frailty that rises,
dementia (mostly undiagnosed at first), and a terminal phase before death that drives the last
year of life's heavy use of hospitals."""

from __future__ import annotations

import numpy as np

from joinedup.synth.people import CONDITIONS, DEM, MED_SLOTS, NO_DAY, PC
from joinedup.synth.world import World

# condition: (prevalence at age 80, growth per year of age, prevalence floor from age 18)
CONDITION_SHAPE = {
    "AF": (0.075, 0.08, 0.0), "AST": (0.035, 0.0, 0.022), "CAN": (0.06, 0.06, 0.001),
    "CHD": (0.09, 0.07, 0.0), "CKD": (0.09, 0.08, 0.0), "COPD": (0.07, 0.06, 0.001),
    "DEP": (0.03, 0.0, 0.028), "DM": (0.12, 0.04, 0.008), "EP": (0.006, 0.0, 0.005),
    "HF": (0.04, 0.09, 0.0), "HYP": (0.28, 0.05, 0.004), "LD": (0.002, 0.0, 0.004),
    "MH": (0.006, 0.0, 0.006), "OST": (0.03, 0.07, 0.0), "PAD": (0.02, 0.07, 0.0),
    "RA": (0.015, 0.04, 0.001), "STIA": (0.06, 0.08, 0.0),
}
# BNF chemical substances (9 characters) prescribed for each condition; ACUTE for short courses.
MEDICINES = {
    "AF": ["0208020Z0", "0204000H0"], "AST": ["0302000C0", "0301011R0"], "CAN": ["0802020T0"],
    "CHD": ["0212000B0", "0209000A0", "0206010F0"], "CKD": ["0205051R0"],
    "COPD": ["0301020Q0", "0302000N0"], "DEM": ["0411000D0", "0411000F0"],
    "DEP": ["0403030E0", "0403030Q0"], "DM": ["0601022B0", "0601021M0"], "EP": ["0408010G0"],
    "HF": ["0202020L0", "0204000R0"], "HYP": ["0206020A0", "0205051R0", "0202010D0"],
    "LD": ["0402010J0"], "MH": ["0402010A0"], "OST": ["0606020A0", "0906040G0"],
    "PAD": ["0209000C0"], "RA": ["1001030U0"], "STIA": ["0212000B0", "0209000C0"],
    "PC": ["0407020Q0"], "ACUTE": ["0501013B0", "0501130R0", "0407010H0", "1001010J0"],
}
MEDICINE_CODES = sorted({code for codes in MEDICINES.values() for code in codes})
# dementia prevalence by age (65-69 ... 90+), roughly the Dementia UK estimates
DEMENTIA_BY_AGE = np.array([0.018, 0.035, 0.063, 0.115, 0.19, 0.30])
YEAR = 365.25


def prevalence(condition: str, age: np.ndarray, imd: np.ndarray) -> np.ndarray:
    at_80, growth, floor = CONDITION_SHAPE[condition]
    aged = at_80 * np.exp(growth * (np.minimum(age, 95) - 80))
    deprivation = 1 + 0.05 * (5.5 - imd)
    return np.where(age >= 18, np.clip(np.maximum(aged, floor) * deprivation, 0, 0.85), floor * 0.3)


def initial_conditions(world: World, who: np.ndarray, age: np.ndarray, imd: np.ndarray) -> None:
    people, rng, today = world.people, world.rng, world.month_start
    susceptibility = rng.lognormal(0, 0.5, len(who))  # conditions cluster in the same people
    for condition in CONDITION_SHAPE:
        p = np.clip(prevalence(condition, age, imd) * susceptibility / 1.13, 0, 0.95)
        has = rng.random(len(who)) < p
        years_ago = rng.uniform(0, np.clip(age[has] - 17, 1, 15))
        people.condition_on[who[has], CONDITIONS.index(condition)] = today - (years_ago * YEAR).astype(int)
    people.frailty[who] = frailty_for(world, who, age)
    dementia = rng.random(len(who)) < dementia_prevalence(age) * susceptibility / 1.13
    onset = today - (rng.uniform(0, 5, dementia.sum()) * YEAR).astype(int)
    people.dementia_onset[who[dementia]] = onset
    diagnosed = rng.random(dementia.sum()) < 0.71
    people.condition_on[who[dementia][diagnosed], DEM] = onset[diagnosed] + 200
    assign_medicines(world, who)


def dementia_prevalence(age: np.ndarray) -> np.ndarray:
    band = np.clip((age - 65) // 5, 0, 5).astype(int)
    return np.where(age >= 65, DEMENTIA_BY_AGE[band], np.where(age >= 50, 0.0008, 0))


def frailty_for(world: World, who: np.ndarray, age: np.ndarray) -> np.ndarray:
    """An electronic-frailty-index-like score: rises with age, conditions and deprivation."""
    people = world.people
    ltc = people.conditions_count(who, world.month_start)
    imd = world.geo.postcode_imd[np.minimum(people.postcode[who], len(world.geo.postcodes) - 1)]
    base = np.clip((age - 55) / 35, 0, None) ** 2 + 0.06 * ltc + 0.01 * (10 - imd)
    return (base * world.rng.lognormal(0, 0.35, len(who))).astype(np.float32)


def assign_medicines(world: World, who: np.ndarray) -> None:
    """Repeat medicines follow conditions: more conditions, more medicines."""
    people, rng = world.people, world.rng
    slots = np.zeros((len(who), MED_SLOTS), dtype=np.int16)
    filled = np.zeros(len(who), dtype=int)
    for condition, codes in MEDICINES.items():
        if condition in ("ACUTE",):
            continue
        has = people.has(who, CONDITIONS.index(condition), world.month_start)
        for code in codes:
            take = has & (rng.random(len(who)) < 0.7) & (filled < MED_SLOTS)
            slots[take, filled[take]] = MEDICINE_CODES.index(code) + 1
            filled[take] += 1
    people.meds[who] = slots
    people.n_meds[who] = filled
    people.med_phase[who] = rng.integers(0, 2, len(who))


def progress_health(world: World, who: np.ndarray, age: np.ndarray) -> None:
    """A month of new diagnoses, dementia onsets and diagnoses, and rising frailty."""
    people, rng = world.people, world.rng
    imd = world.geo.postcode_imd[np.minimum(people.postcode[who], len(world.geo.postcodes) - 1)]
    changed = np.zeros(len(who), dtype=bool)
    for condition, (_, growth, _) in CONDITION_SHAPE.items():
        column = CONDITIONS.index(condition)
        p = prevalence(condition, age, imd)
        incidence = (max(growth, 0.004) * p / (1 - p)) / 12
        new = (people.condition_on[who, column] == NO_DAY) & (rng.random(len(who)) < incidence)
        people.condition_on[who[new], column] = world.days(new.sum())
        changed |= new
    onset = (people.dementia_onset[who] == NO_DAY) & (rng.random(len(who)) < dementia_prevalence(age) * 0.02)
    people.dementia_onset[who[onset]] = world.days(onset.sum())
    latent = (people.dementia_onset[who] != NO_DAY) & (people.condition_on[who, DEM] == NO_DAY)
    diagnosed = latent & (rng.random(len(who)) < 0.024)
    people.condition_on[who[diagnosed], DEM] = world.days(diagnosed.sum())
    changed |= diagnosed
    people.frailty[who] += np.where(age > 60, 0.0025 * (age - 60) / 20, 0).astype(np.float32)
    if changed.any():
        assign_medicines(world, who[changed])


def terminal_hazard(world: World, who: np.ndarray, age: np.ndarray) -> np.ndarray:
    """Monthly chance of entering the last months of life."""
    people = world.people
    ltc = people.conditions_count(who, world.month_start)
    dementia = people.dementia_onset[who] != NO_DAY
    yearly = (world.rates.terminal_base * np.exp(0.095 * (np.clip(age, 0, 105) - 80))
              * (1 + 0.25 * ltc) * (1 + 0.8 * people.frailty[who]) * (1 + 0.8 * dementia)
              * np.where(people.care[who] >= 2, 2.2, 1.0))
    return np.clip(yearly, 0, 0.9) / 12


def enter_terminal_phase(world: World, who: np.ndarray, age: np.ndarray, initial: bool = False) -> None:
    """Some people enter a terminal phase of 1-12 months; death comes at its end."""
    people, rng = world.people, world.rng
    candidates = who[people.terminal_until[who] == NO_DAY]
    hazard = terminal_hazard(world, candidates, age[people.terminal_until[who] == NO_DAY])
    if initial:  # the people already in their last months when the simulation starts
        hazard = hazard * 6.5
    entering = candidates[rng.random(len(candidates)) < hazard]
    months = rng.integers(1, 13, len(entering)) if not initial else rng.integers(0, 12, len(entering))
    people.terminal_until[entering] = (world.month_start + months * 30.4
                                       + rng.integers(0, 30, len(entering))).astype(np.int32)
    on_register = rng.random(len(entering)) < 0.42
    added = people.terminal_until[entering] - rng.integers(30, 300, len(entering))
    people.eol_added[entering[on_register]] = np.maximum(added[on_register], world.month_start - 200)
    people.condition_on[entering[on_register], PC] = people.eol_added[entering[on_register]]
