"""The metric catalogue (`catalogue.yaml`): each metric's id, title, plain-English definition,
grains, unit, better direction, days of data a figure needs and the feeds it reads. The engine,
the report, the plan and the web read it from here; nothing else lists the metrics."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, timedelta
from functools import cache

from joinedup.yaml_files import packaged_yaml

GRAINS = ("month", "quarter", "year")
UNITS = ("count", "percent", "per_100k", "dsr_per_100k")
DIRECTIONS = ("decrease", "increase")


@dataclass(frozen=True)
class Metric:
    id: str
    title: str
    definition: str
    grains: tuple[str, ...]
    unit: str
    direction: str  # "decrease": lower is better; "increase": higher is better
    national: bool  # one of the five BCF national metrics
    feeds: tuple[str, ...]
    decimals: int = 1
    counts: str | None = None  # what a plain count counts, for a chart's axis
    look_back_days: int = 0
    follow_up_days: int = 0
    follow_up_from: str = "period_end"  # or "december_31"
    headline: bool = True  # charted in the board report

    def days_needed(self, start: date, end: date) -> tuple[date, date]:
        """The first and last day of data the figure of the period start..end rests on."""
        anchor = date(start.year, 12, 31) if self.follow_up_from == "december_31" else end
        return start - timedelta(days=self.look_back_days), anchor + timedelta(
            days=self.follow_up_days
        )

    def to_dict(self) -> dict:
        return asdict(self)


def _metric(entry: dict) -> Metric:
    metric = Metric(**{**entry, "grains": tuple(entry["grains"]), "feeds": tuple(entry["feeds"])})
    bad = (
        set(metric.grains) - set(GRAINS)
        or ({metric.unit} - set(UNITS))
        or ({metric.direction} - set(DIRECTIONS))
        or ({metric.follow_up_from} - {"period_end", "december_31"})
    )
    if bad:  # the catalogue ships with the package: a slip here is a bug, caught by the tests
        raise ValueError(f"catalogue.yaml, metric {metric.id}: unknown {', '.join(sorted(bad))}")
    return metric


@cache
def catalogue() -> dict[str, Metric]:
    """Every metric by id, in the catalogue's order (the order of every output)."""
    return {entry["id"]: _metric(entry) for entry in packaged_yaml(__package__, "catalogue.yaml")}
