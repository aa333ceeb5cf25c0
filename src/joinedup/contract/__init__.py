"""The input data contract, loaded from the YAML files beside this module.

The YAML is the single source of truth: feeds, columns, types, keys and code lists are read from
it, never restated in code. The copy here must equal `../shared/contract` (a test checks).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

CONTRACT_DIR = Path(__file__).parent


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # string, integer, decimal, date, datetime, nhs_number, postcode, code:<list>, enum:[..]
    required: bool
    identifying: bool = False
    description: str = ""

    @property
    def base_type(self) -> str:
        """The type without its code list: 'code', 'enum' or the plain type name."""
        return self.type.split(":", 1)[0]

    def allowed_codes(self) -> frozenset[str] | None:
        """The allowed values of a code or enum column, else None."""
        kind, _, arg = self.type.partition(":")
        if kind == "code":
            return frozenset(codes()[arg])
        if kind == "enum":
            return frozenset(v.strip() for v in arg.strip("[]").split(","))
        return None


@dataclass(frozen=True)
class Feed:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    grain: str
    mirrors: str
    sender: str
    is_reference: bool
    has_person_identifiers: bool
    order: tuple[tuple[str, str], ...] = ()  # (start, end) pairs: an end before its start is rejected

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"{self.name} has no column {name}")

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    @property
    def identifying_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.identifying)

    @property
    def is_person_level(self) -> bool:
        """True when rows belong to a person (they carry an NHS number or identifiers)."""
        return any(c.name == "nhs_number" for c in self.columns)


def _column(spec: dict) -> Column:
    return Column(
        name=spec["name"],
        type=str(spec["type"]),
        required=bool(spec.get("required", False)),
        identifying=bool(spec.get("identifying", False)),
        description=str(spec.get("description", "")),
    )


@cache
def _raw() -> dict:
    return yaml.safe_load((CONTRACT_DIR / "feeds.yaml").read_text(encoding="utf-8"))


@cache
def codes() -> dict[str, dict[str, str]]:
    """Every shared code list: {list name: {code: label}} with codes as strings."""
    raw = yaml.safe_load((CONTRACT_DIR / "codes.yaml").read_text(encoding="utf-8"))
    return {name: {str(k): str(v) for k, v in items.items()} for name, items in raw.items()}


@cache
def feeds() -> dict[str, Feed]:
    """Every feed and reference table of the contract, by name, in contract order."""
    raw = _raw()
    identifiers = tuple(_column(c) for c in raw["person_identifiers"])
    result: dict[str, Feed] = {}
    for section, is_reference in (("feeds", False), ("reference", True)):
        for name, spec in raw[section].items():
            own = tuple(_column(c) for c in spec["columns"])
            with_ids = bool(spec.get("person_identifiers", False))
            columns = identifiers + own if with_ids else own
            result[name] = Feed(
                name=name,
                columns=columns,
                key=tuple(spec["key"]),
                grain=spec.get("grain", ""),
                mirrors=spec.get("mirrors", ""),
                sender=spec.get("sender", ""),
                is_reference=is_reference,
                has_person_identifiers=with_ids,
                order=tuple((str(s), str(e)) for s, e in spec.get("order", ())),
            )
    return result


def feed(name: str) -> Feed:
    return feeds()[name]


def event_feeds() -> list[Feed]:
    return [f for f in feeds().values() if not f.is_reference]


def reference_tables() -> list[Feed]:
    return [f for f in feeds().values() if f.is_reference]


POSTCODE_PATTERN = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}$")


def normalise_postcode(value: str) -> str:
    """Upper case, single space before the inward code: 'ss1 2ab' -> 'SS1 2AB'."""
    compact = re.sub(r"\s+", "", value.upper())
    return f"{compact[:-3]} {compact[-3:]}" if len(compact) > 3 else compact
