"""Marts: the person timeline and Year of Care activity and cost, built as SQL over the
warehouse (see docs/architecture.md and metrics.md, Cost)."""

from joinedup.marts.build import MartsSummary, build_marts
from joinedup.marts.spend import SpendRow, spend_per_person

__all__ = ["MartsSummary", "SpendRow", "build_marts", "spend_per_person"]
