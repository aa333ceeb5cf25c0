"""The shared context of one simulation: people, places, the writer, time and id counters."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from joinedup.synth.config import AreaSpec, Rates
from joinedup.synth.geography import Geography
from joinedup.synth.output import AreaWriter
from joinedup.synth.people import People

if TYPE_CHECKING:
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
    _ids: dict[str, int] = field(default_factory=dict)
    _scale: dict[str, float] = field(default_factory=dict)

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
        """Draw this month's event counts for `who` with Poisson rates proportional to `risk`.

        The scale is fixed at the first call so that the area's average is `per_year` per resident
        at the start; later changes in the population (ageing, illness) then move the totals."""
        if name not in self._scale:
            if len(who) == 0:
                return np.zeros(0, dtype=int)
            residents = self.people.resident(who)
            self._scale[name] = per_year / 12 * residents.sum() / max(risk[residents].sum(), 1e-9)
        return self.rng.poisson(risk * self._scale[name])

    def probability(self, name: str, risk: np.ndarray, mean: float) -> np.ndarray:
        """Per-person probabilities proportional to `risk`, scaled once so that the mean among
        the people at risk (risk > 0) when first asked is `mean`."""
        at_risk = risk[risk > 0]
        if name not in self._scale:
            if len(at_risk) == 0:
                return np.zeros(len(risk))
            self._scale[name] = mean / float(at_risk.mean())
        return np.clip(risk * self._scale[name], 0, 0.97)

    def chance(self, probability: np.ndarray | float, size: int | None = None) -> np.ndarray:
        n = size if size is not None else len(np.atleast_1d(probability))
        return self.rng.random(n) < probability


def repeat_people(who: np.ndarray, counts: np.ndarray) -> np.ndarray:
    return np.repeat(who, counts)
