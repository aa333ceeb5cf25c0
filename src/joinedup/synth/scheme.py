"""A case-management scheme planted in the area (`joinedup synth --scheme`), so that the evaluator
(`joinedup evaluate`) can be tested against an effect that is known.

On the start date the pilot practices (a share of the area's, drawn from a stream of their own)
enrol their highest-risk adult patients, ranked as a practice's risk tool would from what it can
see: emergency admissions in the 12 months before, then age. From then on every chance that an
enrolled person's A&E attendance (or need for a direct admission) becomes an emergency admission
is multiplied by `hazard_ratio`.

The truth (`truth/scheme.json`, `truth/scheme_enrolment.csv`) holds the enrolment and, over the
evaluator's 6- and 12-month windows, the enrolled's expected emergency admissions with the scheme
and without it, per person. "Without" comes from a second simulation of the same area (same seed,
hazard ratio 1: identical up to the start, as the effect draws no random number of its own);
"expected" sums, over every attendance (or month's need for a direct admission) of an enrolled
person, its chance of becoming an admission, so that only the attendances themselves are random.
The effect so includes what follows from a prevented admission (its readmission, the raised
risk after an admission); the direct part alone is given beside it. Without `--scheme` nothing
here runs and no random draw changes: calibration and today's areas are as they were.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np

WINDOWS = {"6 months": 182, "12 months": 365}  # the evaluator's windows (evaluation/scheme.py)
ADULT = 18


@dataclass(frozen=True)
class SchemeSpec:
    start: date
    hazard_ratio: float = 0.8  # the enrolled's emergency admission hazard is multiplied by this
    practice_share: float = 1 / 3  # of the area's practices, the pilots
    cohort_share: float = 0.03  # of the pilots' registered adults, the highest-risk enrolled


@dataclass
class Scheme:
    spec: SchemeSpec
    seed: int
    start_day: int
    enrolled: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    pilots: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    admissions: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)
    lowered: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)  # day, chance
    prior: np.ndarray = field(default_factory=lambda: np.zeros(0))  # the ranking's admissions

    @classmethod
    def planned(cls, spec: SchemeSpec, seed: int) -> Scheme:
        return cls(spec, seed, int(np.datetime64(spec.start, "D").astype(int)))

    def log_admissions(self, who: np.ndarray, day: np.ndarray) -> None:
        """Emergency admissions before the start: what the risk tool ranks by."""
        before = day < self.start_day
        if before.any():
            self.admissions.append((who[before], day[before]))

    def is_enrolled(self, person: np.ndarray, day: np.ndarray | int) -> np.ndarray:
        if not len(self.enrolled):  # before the start
            return np.zeros(len(person), dtype=bool)
        known = person < len(self.enrolled)
        on = known & self.enrolled[np.where(known, person, 0)]
        return on & (np.asarray(day) >= self.start_day)

    def factor(self, person: np.ndarray, day: int) -> np.ndarray:
        return np.where(self.is_enrolled(person, day), self.spec.hazard_ratio, 1.0)

    def lower(self, person: np.ndarray, day: np.ndarray | int, chance: np.ndarray) -> np.ndarray:
        """Each event's admission chance (or expected count), lowered for the enrolled; what
        was prevented is recorded for the truth."""
        day = np.broadcast_to(np.asarray(day), person.shape)
        on = self.is_enrolled(person, day)
        if on.any():
            self.lowered.append((day[on], np.asarray(chance)[on]))
        return np.where(on, chance * self.spec.hazard_ratio, chance)


def enrol(scheme: Scheme, people, active: np.ndarray, practice_count: int) -> None:
    """Pick the pilot practices and enrol their highest-risk registered adults."""
    rng = np.random.default_rng([scheme.seed, 3])
    pilots = max(1, round(practice_count * scheme.spec.practice_share))
    scheme.pilots = np.sort(rng.choice(practice_count, size=pilots, replace=False))
    age = people.age_on(active, scheme.start_day)
    eligible = active[
        np.isin(people.practice[active], scheme.pilots)
        & (age >= ADULT)
        & (people.registered_on[active] < scheme.start_day)
    ]
    prior = np.zeros(people.size)
    for who, day in scheme.admissions:
        np.add.at(prior, who, day >= scheme.start_day - 365)
    ranked = eligible[np.lexsort((people.born[eligible], -prior[eligible]))]  # ties: the oldest
    scheme.enrolled = np.zeros(people.size, dtype=bool)
    scheme.enrolled[ranked[: round(len(eligible) * scheme.spec.cohort_share)]] = True
    scheme.prior = prior


def _expected(scheme: Scheme, days: int) -> float:
    """The enrolled's expected emergency admissions (before the scheme lowered them) in the
    first `days` from the start, summed."""
    return float(sum(chance[day < scheme.start_day + days].sum() for day, chance in scheme.lowered))


def truth(scheme: Scheme, without: Scheme) -> dict:
    """The planted effect per enrolled person over each window: expected admissions with the
    scheme against the same people's in the area simulated without it."""
    count = max(int(scheme.enrolled.sum()), 1)
    ratio = scheme.spec.hazard_ratio
    windows = {}
    for name, days in WINDOWS.items():
        with_scheme = ratio * _expected(scheme, days) / count
        without_scheme = _expected(without, days) / count
        windows[name] = {
            "expected_admissions_without_scheme": round(without_scheme, 6),
            "expected_admissions_with_scheme": round(with_scheme, 6),
            "effect_per_person": round(with_scheme - without_scheme, 6),
            "direct_effect_per_person": round((ratio - 1) * _expected(scheme, days) / count, 6),
        }
    return {
        "start": str(scheme.spec.start), "hazard_ratio": ratio,
        "practice_share": scheme.spec.practice_share, "cohort_share": scheme.spec.cohort_share,
        "pilot_practices": len(scheme.pilots), "enrolled": int(scheme.enrolled.sum()),
        "windows": windows,
    }


def write_truth(scheme: Scheme, without: Scheme, people, practice_codes, out: Path) -> None:
    (out / "scheme.json").write_text(json.dumps(truth(scheme, without), indent=1) + "\n",
                                     encoding="utf-8")
    who = np.flatnonzero(scheme.enrolled)
    with (out / "scheme_enrolment.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(("person_id", "practice_code", "enrolled_on", "prior_emergency_admissions"))
        writer.writerows(
            zip(
                people.person_id[who].tolist(),
                [practice_codes[p] for p in people.practice[who].tolist()],
                [str(scheme.spec.start)] * len(who),
                scheme.prior[who].astype(int).tolist(),
                strict=True,
            )
        )
