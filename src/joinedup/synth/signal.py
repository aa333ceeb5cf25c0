"""The social care signal: living alone, a known carer who stops caring, a home care package that
grows and a recent social care assessment each raise a person's hazards of a permanent placement
and, less, of an emergency admission, on top of everything latent health already does.

The raised hazards are renormalised every month over the people at risk (placements from the
community and from hospital apart), so that the signal moves
risk towards the people who carry it without changing the area's totals (every calibration
figure stays where the health model put it). docs/synth.md states the effect sizes and sources.
"""

from __future__ import annotations

import numpy as np

from joinedup.synth import hospital, social_care
from joinedup.synth.people import NO_DAY
from joinedup.synth.world import World

# relative hazard while the signal is on: (permanent placement, emergency admission)
EFFECTS = {
    "lives_alone": (2.0, 1.15),
    "carer_stopped": (3.5, 1.3),
    "package_grew": (3.0, 1.2),
    "assessed": (2.5, 1.1),
}
RECENT_DAYS = 365  # a stopped carer, a grown package or an assessment counts for a year
# share living alone by age band (0-17, 18-64, 65-74, 75-84, 85+), roughly ONS Families and
# Households: about a third of people aged 65+ live alone, over half of those aged 85+
LIVING_ALONE = ((0, 0.0), (18, 0.10), (65, 0.27), (75, 0.42), (85, 0.55))


def assign_living_alone(world: World, who: np.ndarray, age: np.ndarray) -> None:
    share = np.zeros(len(who))
    for low, p in LIVING_ALONE:
        share[age >= low] = p
    world.people.lives_alone[who] = world.chance(share, len(who))


def flags(world: World, who: np.ndarray, day: int) -> dict[str, np.ndarray]:
    """Which signals are on for each person on `day`."""
    people = world.people

    def recent(days: np.ndarray) -> np.ndarray:
        return (days != NO_DAY) & (days <= day) & (day - days < RECENT_DAYS)

    return {
        "lives_alone": people.lives_alone[who],
        "carer_stopped": recent(people.carer_stopped_on[who]),
        "package_grew": recent(people.package_grew_on[who]),
        "assessed": recent(people.assessed_on[who]),
    }


def relative_hazards(on: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(placement, emergency) multipliers before renormalisation: the effects multiply."""
    n = len(next(iter(on.values())))
    placement, emergency = np.ones(n), np.ones(n)
    for name, (to_placement, to_emergency) in EFFECTS.items():
        placement *= np.where(on[name], to_placement, 1.0)
        emergency *= np.where(on[name], to_emergency, 1.0)
    return placement, emergency


def refresh(world: World, who: np.ndarray, age: np.ndarray) -> None:
    """This month's signal multipliers, renormalised to average 1 over the people at risk
    (weighted by their hazard without the signal)."""
    people = world.people
    placement, emergency = relative_hazards(flags(world, who, world.month_start))
    people.emergency_signal[who] = 1
    people.placement_signal[who] = 1
    base = hospital.urgent_risk(world, who, age)
    people.emergency_signal[who] = emergency * _ratio(base, emergency)
    base = social_care.placement_risk(world, who, age)
    community = _ratio(base, placement)
    people.placement_signal[who] = placement * community
    # placements from hospital follow emergency admissions, which the signal also raises: their
    # own renormalisation, over older people at home weighted by emergency risk and need
    at_home = (age >= 65) & (people.care[who] < 2) & people.resident(who)
    discharged = hospital.urgent_risk(world, who, age) * hospital.base_placement_need(world, who) * at_home
    world.hospital_placement_scale = _ratio(discharged, placement) / community


def _ratio(weight: np.ndarray, multiplier: np.ndarray) -> float:
    weighted = float((weight * multiplier).sum())
    return float(weight.sum()) / weighted if weighted > 0 else 1.0
