"""The code groupings of `groupings.yaml`, each written once and read by every stage that needs
it (marts, metrics and its reference, risk, evaluation, the service)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

from joinedup import contract

GROUPINGS_FILE = Path(__file__).with_name("groupings.yaml")


@cache
def groupings() -> dict[str, tuple[str, ...]]:
    """{grouping: its codes, in file order}."""
    return load(GROUPINGS_FILE)


def load(path: Path) -> dict[str, tuple[str, ...]]:
    """The groupings of a file; a code its column does not allow is an error."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    result = {}
    for name, spec in raw.items():
        feed, column = spec["column"].split(".")
        codes = tuple(str(code) for code in spec["codes"])
        allowed = contract.feed(feed).column(column).allowed_codes()
        unknown = sorted(set(codes) - allowed) if allowed is not None else []
        if unknown:
            raise ValueError(f"{path}: {name}: codes not in {spec['column']}: {unknown}")
        result[name] = codes
    return result


def codes(name: str) -> tuple[str, ...]:
    return groupings()[name]


def sql_list(name: str) -> str:
    """The grouping's codes as a SQL list body: '21', '22', ..."""
    return ", ".join(f"'{code}'" for code in codes(name))


EMERGENCY_ADMISSION = codes("emergency_admission")
ELECTIVE_ADMISSION = codes("elective_admission")
MATERNITY_SPECIALTY = codes("maternity_specialty")
MENTAL_HEALTH_SPECIALTY = codes("mental_health_specialty")
NOT_GENERAL_AND_ACUTE = MATERNITY_SPECIALTY + MENTAL_HEALTH_SPECIALTY
PERMANENT_CARE_SERVICE = codes("permanent_care_service")
