"""The metrics output (metrics.md "Output shape"): one object for an area's metric records,
written by `joinedup metrics` and served by the web service's /api/v1/metrics in one shape."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True)
class MetricSet:
    area: str
    records: list[dict]
    generated_at: str | None = None  # UTC, YYYY-MM-DDTHH:MM:SSZ; None when served from a cache

    @classmethod
    def now(cls, area: str, records: list[dict]) -> MetricSet:
        return cls(area, records, datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))

    def to_dict(self) -> dict:
        return {"area": self.area, "generated_at": self.generated_at, "metrics": self.records}
