"""Case-finding rules as data: a YAML rule set (default: `case_finding.yaml`, the Southend rule)
evaluated against a feature table. Bad rule files fail with one message naming the file and key.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from joinedup.errors import BadInput
from joinedup.risk.features import FeatureTable, feature_names
from joinedup.yaml_files import read_user_yaml

DEFAULT_RULES = Path(__file__).with_name("case_finding.yaml")
OPERATORS = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
}


@dataclass(frozen=True)
class Test:
    feature: str
    op: str
    value: float

    def apply(self, features: FeatureTable) -> np.ndarray:
        column = features.column(self.feature)
        return np.nan_to_num(OPERATORS[self.op](column, self.value), nan=0).astype(bool)


@dataclass(frozen=True)
class RuleSet:
    name: str
    description: str
    criteria: dict[str, tuple[Test, ...]]  # a criterion is met when any of its tests is
    required: tuple[str, ...]
    at_least: int
    of: tuple[str, ...]

    def criteria_met(self, features: FeatureTable) -> dict[str, np.ndarray]:
        met = {}
        for name, tests in self.criteria.items():
            hits = np.zeros(len(features), dtype=bool)
            for test in tests:
                hits |= test.apply(features)
            met[name] = hits
        return met

    def flag(self, features: FeatureTable) -> np.ndarray:
        """True for every person the rule flags."""
        met = self.criteria_met(features)
        flagged = np.ones(len(features), dtype=bool)
        for name in self.required:
            flagged &= met[name]
        counted = sum((met[name].astype(int) for name in self.of), np.zeros(len(features), int))
        return flagged & (counted >= self.at_least)

    def reasons(self, features: FeatureTable) -> list[str]:
        """Per person, the criteria met, joined by '; '."""
        met = self.criteria_met(features)
        names = list(met)
        stacked = np.column_stack([met[n] for n in names]) if names else np.zeros((0, 0))
        return ["; ".join(n for n, hit in zip(names, row, strict=True) if hit) for row in stacked]


def load_rules(path: Path | None = None) -> RuleSet:
    path = path or DEFAULT_RULES
    raw, _, _ = read_user_yaml(path, "rule file")
    return parse_rules(raw, str(path))


def parse_rules(raw: object, source: str) -> RuleSet:
    if not isinstance(raw, dict):
        raise BadInput(f"{source}: a rule file is a mapping with criteria and flag_when")
    criteria_raw = _mapping(raw, "criteria", source)
    criteria = {
        name: _tests(spec, f"{source}: criteria.{name}") for name, spec in criteria_raw.items()
    }
    when = _mapping(raw, "flag_when", source)
    required = tuple(when.get("all", []))
    of = tuple(when.get("of", []))
    for name in required + of:
        if name not in criteria:
            raise BadInput(f"{source}: flag_when names unknown criterion '{name}'")
    at_least = when.get("at_least", len(of))
    if not isinstance(at_least, int) or not 0 <= at_least <= len(of):
        raise BadInput(f"{source}: flag_when.at_least must be a whole number from 0 to len(of)")
    return RuleSet(
        name=str(raw.get("name", "rule")),
        description=str(raw.get("description", "")),
        criteria=criteria,
        required=required,
        at_least=at_least,
        of=of,
    )


def _mapping(raw: dict, key: str, source: str) -> dict:
    value = raw.get(key)
    if not isinstance(value, dict) or not value:
        raise BadInput(f"{source}: '{key}' must be a non-empty mapping")
    return value


def _tests(spec: object, where: str) -> tuple[Test, ...]:
    if isinstance(spec, dict) and "any" in spec:
        return tuple(_test(item, f"{where}.any[{i}]") for i, item in enumerate(spec["any"]))
    return (_test(spec, where),)


def _test(spec: object, where: str) -> Test:
    if not isinstance(spec, dict) or set(spec) != {"feature", "op", "value"}:
        raise BadInput(f"{where}: a test is {{feature, op, value}}")
    if spec["feature"] not in feature_names():
        raise BadInput(f"{where}: unknown feature '{spec['feature']}'")
    if spec["op"] not in OPERATORS:
        raise BadInput(f"{where}: op must be one of {', '.join(OPERATORS)}")
    if not isinstance(spec["value"], int | float):
        raise BadInput(f"{where}: value must be a number")
    return Test(spec["feature"], spec["op"], float(spec["value"]))
