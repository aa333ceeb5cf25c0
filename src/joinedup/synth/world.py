"""The shared context of one simulation: people, places, the writer, time and id counters."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from joinedup.synth.config import REFERENCE_MEAN_RISK, AreaSpec, Rates
from joinedup.synth.geography import Geography
from joinedup.synth.output import AreaWriter
from joinedup.synth.people import People

if TYPE_CHECKING:
    from joinedup.synth.scheme import Scheme
    from joinedup.synth.social_care import ServiceBook

ACUTE, COMMUNITY_HOSPITAL = "RZA", "RZC"


@dataclass
class World:
    spec: AreaSpec
    rates: Rates
    rng: np.random.Generator
    geo: Geography
    people: People
    writer: AreaWriter
    services: ServiceBook
    month_start: int = 0  # day number of the first day of the current month
    month_end: int = 0  # day number of the first day of the next month
    month_index: int = 0
    hospital_placement_scale: float = 1.0  # the social care signal's renormalisation (signal.py)
    scheme: Scheme | None = None  # a planted case-management scheme (scheme.py), off by default
    _ids: dict[str, int] = field(default_factory=dict)

    @property
    def end_day(self) -> int:
        """The first day after the simulated period."""
        start = np.datetime64(self.spec.start, "M")
        return int((start + self.spec.months).astype("datetime64[D]").astype(int))

    def ids(self, prefix: str, count: int) -> np.ndarray:
        first = self._ids.get(prefix, 0)
        self._ids[prefix] = first + count
        numbers = np.arange(first + 1, first + count + 1)
        return np.array([f"{prefix}{n:08d}" for n in numbers.tolist()], dtype=object)

    def days(self, count: int) -> np.ndarray:
        """Random days within the current month."""
        return self.rng.integers(self.month_start, self.month_end, size=count).astype(np.int32)

    def times(self, days: np.ndarray) -> np.ndarray:
        """Date-times (minute precision) on the given days, weighted to the daytime."""
        minutes = np.clip(self.rng.normal(14 * 60, 4.5 * 60, len(days)), 0, 1439).astype(int)
        return days.astype("datetime64[D]").astype("datetime64[m]") + minutes.astype("timedelta64[m]")

    def active(self) -> np.ndarray:
        """People alive and known to the area's services this month."""
        p = self.people
        return np.flatnonzero(p.alive[: p.size] & p.present[: p.size])

    def events(self, name: str, who: np.ndarray, risk: np.ndarray, per_year: float) -> np.ndarray:
        """This month's event counts for `who`: Poisson with rates proportional to `risk`, the
        reference area averaging `per_year` events a year per resident."""
        return self.rng.poisson(risk * self.unit_rate(name, per_year))

    @staticmethod
    def unit_rate(name: str, per_year: float) -> float:
        """The monthly rate of one unit of `name`'s risk."""
        return per_year / 12 / REFERENCE_MEAN_RISK[name]

    def lowered(self, person: np.ndarray, day, chance: np.ndarray) -> np.ndarray:
        """Admission chances (or expected counts) after the planted scheme, if any."""
        return chance if self.scheme is None else self.scheme.lower(person, day, chance)

    def probability(self, name: str, risk: np.ndarray, mean: float) -> np.ndarray:
        """Per-person probabilities proportional to `risk`, averaging `mean` among the people at
        risk in the reference area."""
        return np.clip(risk * (mean / REFERENCE_MEAN_RISK[name]), 0, 0.97)

    def chance(self, probability: np.ndarray | float, size: int | None = None) -> np.ndarray:
        n = size if size is not None else len(np.atleast_1d(probability))
        return self.rng.random(n) < probability

