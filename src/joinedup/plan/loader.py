"""Load and check a BCF plan file (YAML): metric trajectories, schemes and the pooled budget,
and the plan register: risks, milestones, each scheme's go-live date, national conditions and
sub-projects, and the risk-sharing terms of the performance fund.

`load_plan()` with no path gives the packaged default plan (after Southend's 2015/16 plan), scaled
to the generated area's people; a user's plan is taken as written, for its own area. Every mistake
in a plan file is a BadInput naming the file and the key.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from joinedup.errors import BadInput
from joinedup.metrics.catalogue import catalogue
from joinedup.metrics.engine import DEFAULT_EXPERIENCE_QUESTION
from joinedup.plan.benefits import Benefit
from joinedup.yaml_files import packaged_yaml, read_user_yaml

DEFAULT_PLAN = "default_plan.yaml"
# condition id -> title (the BCF 2015/16 national conditions)
NATIONAL_CONDITIONS: dict[str, str] = packaged_yaml(__package__, "national_conditions.yaml")
CONDITION_STATES = ("yes", "no", "partly")
MILESTONE_STATES = ("planned", "done", "late")

# The metric ids a plan may set trajectories for: the catalogue's, and spend (marts).
METRICS = frozenset({*catalogue(), "spend_per_person"})
MEASURES = ("value", "numerator")

MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
YEAR = re.compile(r"^(\d{4})/(\d{2})$")
QUARTER = re.compile(r"^(\d{4})/(\d{2})-Q([1-4])$")

PLAN_KEYS = {
    "area",
    "population",
    "baseline_year",
    "experience_question",
    "pooled_budget",
    "schemes",
    "trajectories",
    "risks",
    "milestones",
    "risk_sharing",
}
REQUIRED_PLAN_KEYS = {"area", "baseline_year", "pooled_budget", "schemes", "trajectories"}
SCHEME_KEYS = {
    "id",
    "name",
    "investment",
    "expected_return",
    "other_savings",
    "metrics",
    "note",
    "benefit",
    "go_live",
    "conditions",
    "sub_projects",
}
RISK_KEYS = {
    "id",
    "description",
    "likelihood",
    "impact",
    "at_risk",
    "owner",
    "bears",
    "mitigations",
}
MILESTONE_KEYS = {"scheme", "description", "due", "status"}
SUB_PROJECT_KEYS = {"name", "investment", "lead"}
CONDITION_KEYS = {"met", "evidence"}
BENEFIT_KEYS = {
    "cohort_metric",
    "cohort",
    "change",
    "conversion",
    "conversion_metric",
    "unit_cost",
    "unit_cost_activity",
    "stated_outcomes",
    "stated_saving",
    "bed_days_per_outcome",
}
REQUIRED_BENEFIT_KEYS = {"cohort_metric", "cohort", "change", "unit_cost"}
REQUIRED_SCHEME_KEYS = {"id", "name", "investment"}
TRAJECTORY_KEYS = {"measure", "scale", "targets"}


@dataclass(frozen=True)
class Trajectory:
    metric: str
    measure: str  # "value": compare with the metric's value; "numerator": with its numerator
    targets: Mapping[str, float]  # period (YYYY-MM, YYYY/YY-Qn, YYYY/YY) -> target

    def target(self, period: str) -> float | None:
        return self.targets.get(period)


@dataclass(frozen=True)
class Risk:
    id: str
    description: str
    likelihood: int  # 1 (rare) to 5 (almost certain)
    impact: int  # 1 (negligible) to 5 (severe)
    at_risk: float  # GBP
    owner: str  # who manages it
    bears: str  # who bears the loss if it happens
    mitigations: tuple[str, ...]

    @property
    def score(self) -> int:
        return self.likelihood * self.impact


@dataclass(frozen=True)
class Milestone:
    scheme: str  # a scheme id, or "" for the whole plan
    description: str
    due: date
    status: str  # planned, done or late


@dataclass(frozen=True)
class SubProject:
    name: str
    investment: float
    lead: str


@dataclass(frozen=True)
class Condition:
    met: str  # yes, no or partly
    evidence: str


@dataclass(frozen=True)
class Scheme:
    id: str
    name: str
    investment: float
    expected_return: float | None  # None where the plan states none
    other_savings: float
    metrics: tuple[str, ...]
    note: str
    benefit: Benefit | None = None
    go_live: date | None = None  # when it started changing things (SPC charts rebase here)
    conditions: Mapping[str, Condition] = field(default_factory=dict)  # national condition id ->
    sub_projects: tuple[SubProject, ...] = ()


@dataclass(frozen=True)
class Plan:
    area: str
    baseline_year: str
    experience_question: str
    pooled_budget: Mapping[str, float]  # financial year -> GBP
    schemes: tuple[Scheme, ...]
    trajectories: Mapping[str, Trajectory]
    risks: tuple[Risk, ...] = ()
    milestones: tuple[Milestone, ...] = ()
    # who bears the performance fund not released, party -> share (the shares add up to 1)
    risk_sharing: Mapping[str, float] = field(default_factory=dict)

    def scheme(self, scheme_id: str) -> Scheme | None:
        return next((s for s in self.schemes if s.id == scheme_id), None)

    def target(self, metric: str, period: str) -> float | None:
        trajectory = self.trajectories.get(metric)
        return None if trajectory is None else trajectory.target(period)

    @property
    def total_investment(self) -> float:
        return sum(s.investment for s in self.schemes)


def load_plan(path: str | Path | None = None, people: int = 175_000) -> Plan:
    """The plan in `path` (YAML, or a return workbook .xlsx), or the packaged default scaled to
    `people` when path is None."""
    if path is None:
        raw = _mapping_of_plan(packaged_yaml(__package__, DEFAULT_PLAN), DEFAULT_PLAN)
        scale = people / _positive_number(raw.get("population"), DEFAULT_PLAN, "population")
        return _plan(raw, DEFAULT_PLAN, scale)
    path = Path(path)
    if path.suffix.lower() == ".xlsx":  # a BCF quarterly return
        from joinedup.plan.workbook import read_plan

        return read_plan(path)
    raw, _, _ = read_user_yaml(path, "plan file")
    return _plan(_mapping_of_plan(raw, str(path)), str(path), scale=1.0)


def plan_from_raw(raw: dict, where: str) -> Plan:
    """A plan from its keys as a plan file holds them (a return workbook's, say), unscaled."""
    return _plan(raw, where, scale=1.0)


def _mapping_of_plan(raw, where: str) -> dict:
    if not isinstance(raw, dict):
        raise BadInput(f"{where}: a plan must be a mapping of keys {', '.join(sorted(PLAN_KEYS))}")
    return raw


def _plan(raw: dict, where: str, scale: float) -> Plan:
    _check_keys(raw, PLAN_KEYS, REQUIRED_PLAN_KEYS, where, "")
    if "population" in raw:
        _positive_number(raw["population"], where, "population")
    plan = Plan(
        area=_text(raw["area"], where, "area"),
        baseline_year=_period(raw["baseline_year"], where, "baseline_year", YEAR),
        experience_question=_text(
            raw.get("experience_question", DEFAULT_EXPERIENCE_QUESTION),
            where,
            "experience_question",
        ),
        pooled_budget={
            _period(year, where, f"pooled_budget.{year}", YEAR): _number(
                amount, where, f"pooled_budget.{year}"
            )
            * scale
            for year, amount in _mapping(raw["pooled_budget"], where, "pooled_budget").items()
        },
        schemes=_schemes(raw["schemes"], where, scale),
        trajectories={
            metric: _trajectory(metric, spec, where, scale)
            for metric, spec in _mapping(raw["trajectories"], where, "trajectories").items()
        },
        risks=tuple(
            _risk(item, where, f"risks[{i}]", scale)
            for i, item in enumerate(_list(raw.get("risks", []), where, "risks"))
        ),
        milestones=tuple(
            _milestone(item, where, f"milestones[{i}]")
            for i, item in enumerate(_list(raw.get("milestones", []), where, "milestones"))
        ),
        risk_sharing=_shares(raw.get("risk_sharing", {}), where),
    )
    for i, milestone in enumerate(plan.milestones):
        if milestone.scheme and plan.scheme(milestone.scheme) is None:
            raise BadInput(f"{where}: milestones[{i}].scheme: no scheme {milestone.scheme!r}")
    return plan


def _risk(raw: Any, where: str, key: str, scale: float) -> Risk:
    raw = _mapping(raw, where, key)
    _check_keys(raw, RISK_KEYS, RISK_KEYS - {"mitigations"}, where, key + ".")
    return Risk(
        id=_text(raw["id"], where, f"{key}.id"),
        description=_text(raw["description"], where, f"{key}.description"),
        likelihood=_rating(raw["likelihood"], where, f"{key}.likelihood"),
        impact=_rating(raw["impact"], where, f"{key}.impact"),
        at_risk=_number(raw["at_risk"], where, f"{key}.at_risk") * scale,
        owner=_text(raw["owner"], where, f"{key}.owner"),
        bears=_text(raw["bears"], where, f"{key}.bears"),
        mitigations=tuple(
            _text(m, where, f"{key}.mitigations")
            for m in _list(raw.get("mitigations", []), where, f"{key}.mitigations")
        ),
    )


def _milestone(raw: Any, where: str, key: str) -> Milestone:
    raw = _mapping(raw, where, key)
    _check_keys(raw, MILESTONE_KEYS, MILESTONE_KEYS - {"scheme"}, where, key + ".")
    status = raw["status"]
    if status not in MILESTONE_STATES:
        raise BadInput(f"{where}: {key}.status: must be one of {', '.join(MILESTONE_STATES)}")
    return Milestone(
        scheme=_text(raw.get("scheme", ""), where, f"{key}.scheme", allow_empty=True),
        description=_text(raw["description"], where, f"{key}.description"),
        due=_date(raw["due"], where, f"{key}.due"),
        status=status,
    )


def _conditions(raw: Any, where: str, key: str) -> dict[str, Condition]:
    conditions = {}
    for condition, spec in _mapping(raw, where, key).items():
        if condition not in NATIONAL_CONDITIONS:
            raise BadInput(
                f"{where}: {key}.{condition}: not a national condition"
                f" (one of {', '.join(NATIONAL_CONDITIONS)})"
            )
        spec = _mapping(spec, where, f"{key}.{condition}")
        _check_keys(spec, CONDITION_KEYS, {"met"}, where, f"{key}.{condition}.")
        if spec["met"] not in CONDITION_STATES:
            raise BadInput(
                f"{where}: {key}.{condition}.met: must be one of {', '.join(CONDITION_STATES)}"
            )
        evidence = _text(spec.get("evidence", ""), where, f"{key}.{condition}.evidence", True)
        conditions[condition] = Condition(spec["met"], evidence)
    return conditions


def _sub_projects(raw: Any, where: str, key: str, scale: float) -> tuple[SubProject, ...]:
    projects = []
    for i, item in enumerate(_list(raw, where, key)):
        item = _mapping(item, where, f"{key}[{i}]")
        _check_keys(item, SUB_PROJECT_KEYS, {"name", "investment"}, where, f"{key}[{i}].")
        projects.append(
            SubProject(
                name=_text(item["name"], where, f"{key}[{i}].name"),
                investment=_number(item["investment"], where, f"{key}[{i}].investment") * scale,
                lead=_text(item.get("lead", ""), where, f"{key}[{i}].lead", allow_empty=True),
            )
        )
    return tuple(projects)


def _shares(raw: Any, where: str) -> dict[str, float]:
    shares = {
        _text(party, where, "risk_sharing"): _number(share, where, f"risk_sharing.{party}")
        for party, share in _mapping(raw, where, "risk_sharing").items()
    }
    if shares and abs(sum(shares.values()) - 1) > 1e-9:
        raise BadInput(f"{where}: risk_sharing: the shares must add up to 1")
    return shares


def _schemes(raw: Any, where: str, scale: float) -> tuple[Scheme, ...]:
    if not isinstance(raw, list):
        raise BadInput(f"{where}: schemes: must be a list of schemes")
    schemes = []
    for i, item in enumerate(raw):
        key = f"schemes[{i}]"
        if not isinstance(item, dict):
            raise BadInput(
                f"{where}: {key}: must be a mapping with keys {', '.join(sorted(SCHEME_KEYS))}"
            )
        _check_keys(item, SCHEME_KEYS, REQUIRED_SCHEME_KEYS, where, key + ".")
        returns = item.get("expected_return")
        schemes.append(
            Scheme(
                id=_text(item["id"], where, f"{key}.id"),
                name=_text(item["name"], where, f"{key}.name"),
                investment=_number(item["investment"], where, f"{key}.investment") * scale,
                expected_return=None
                if returns is None
                else _number(returns, where, f"{key}.expected_return") * scale,
                other_savings=_number(item.get("other_savings", 0), where, f"{key}.other_savings")
                * scale,
                metrics=tuple(
                    _metric(m, where, f"{key}.metrics")
                    for m in _list(item.get("metrics", []), where, f"{key}.metrics")
                ),
                note=_text(item.get("note", ""), where, f"{key}.note", allow_empty=True),
                benefit=None
                if item.get("benefit") is None
                else _benefit(item["benefit"], where, f"{key}.benefit", scale),
                go_live=None
                if item.get("go_live") is None
                else _date(item["go_live"], where, f"{key}.go_live"),
                conditions=_conditions(item.get("conditions", {}), where, f"{key}.conditions"),
                sub_projects=_sub_projects(
                    item.get("sub_projects", []), where, f"{key}.sub_projects", scale
                ),
            )
        )
    ids = [s.id for s in schemes]
    duplicate = next((i for i in ids if ids.count(i) > 1), None)
    if duplicate is not None:
        raise BadInput(f"{where}: schemes: scheme id {duplicate!r} appears more than once")
    return tuple(schemes)


def _benefit(raw: Any, where: str, key: str, scale: float) -> Benefit:
    """A benefit model; the cohort and the stated figures scale with the area, rates do not."""
    raw = _mapping(raw, where, key)
    _check_keys(raw, BENEFIT_KEYS, REQUIRED_BENEFIT_KEYS, where, key + ".")

    def optional(name: str, factor: float = 1.0):
        value = raw.get(name)
        return None if value is None else _number(value, where, f"{key}.{name}") * factor

    conversion_metric = raw.get("conversion_metric")
    activity = raw.get("unit_cost_activity")
    return Benefit(
        cohort_metric=_metric(raw["cohort_metric"], where, f"{key}.cohort_metric"),
        cohort=_number(raw["cohort"], where, f"{key}.cohort") * scale,
        change=_number(raw["change"], where, f"{key}.change"),
        conversion=1.0 if raw.get("conversion") is None else optional("conversion"),
        conversion_metric=None
        if conversion_metric is None
        else _metric(conversion_metric, where, f"{key}.conversion_metric"),
        unit_cost=_number(raw["unit_cost"], where, f"{key}.unit_cost"),
        unit_cost_activity=None
        if activity is None
        else _text(activity, where, f"{key}.unit_cost_activity"),
        stated_outcomes=optional("stated_outcomes", scale),
        stated_saving=optional("stated_saving", scale),
        bed_days_per_outcome=optional("bed_days_per_outcome"),
    )


def _trajectory(metric: Any, spec: Any, where: str, scale: float) -> Trajectory:
    key = f"trajectories.{metric}"
    _metric(metric, where, key)
    spec = _mapping(spec, where, key)
    _check_keys(spec, TRAJECTORY_KEYS, {"targets"}, where, key + ".")
    measure = spec.get("measure", "value")
    if measure not in MEASURES:
        raise BadInput(f"{where}: {key}.measure: must be one of {', '.join(MEASURES)}")
    if spec.get("scale", "none") not in ("population", "none"):
        raise BadInput(f"{where}: {key}.scale: must be population or none")
    factor = scale if spec.get("scale") == "population" else 1.0
    targets = {
        _period(period, where, f"{key}.targets.{period}"): _number(
            target, where, f"{key}.targets.{period}"
        )
        * factor
        for period, target in _mapping(spec["targets"], where, f"{key}.targets").items()
    }
    return Trajectory(metric=metric, measure=measure, targets=targets)


def _check_keys(raw: dict, allowed: set[str], required: set[str], where: str, prefix: str) -> None:
    unknown = sorted(str(k) for k in raw if k not in allowed)
    if unknown:
        raise BadInput(
            f"{where}: {prefix}{unknown[0]}: unknown key (expected one of {', '.join(sorted(allowed))})"
        )
    missing = sorted(required - set(raw))
    if missing:
        raise BadInput(f"{where}: {prefix}{missing[0]}: required key is missing")


def _mapping(raw: Any, where: str, key: str) -> dict:
    if not isinstance(raw, dict):
        raise BadInput(f"{where}: {key}: must be a mapping")
    return raw


def _list(raw: Any, where: str, key: str) -> list:
    if not isinstance(raw, list):
        raise BadInput(f"{where}: {key}: must be a list")
    return raw


def _text(raw: Any, where: str, key: str, allow_empty: bool = False) -> str:
    if (
        isinstance(raw, bool)
        or not isinstance(raw, str | int)
        or (not allow_empty and not str(raw).strip())
    ):
        raise BadInput(f"{where}: {key}: must be text")
    return str(raw)


def _number(raw: Any, where: str, key: str) -> float:
    if (
        isinstance(raw, bool)
        or not isinstance(raw, int | float)
        or not math.isfinite(raw)
        or raw < 0
    ):
        raise BadInput(f"{where}: {key}: must be a number of 0 or more")
    return float(raw)


def _rating(raw: Any, where: str, key: str) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int | float) or raw not in (1, 2, 3, 4, 5):
        raise BadInput(f"{where}: {key}: must be a whole number from 1 to 5")
    return int(raw)


def _date(raw: Any, where: str, key: str) -> date:
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        raise BadInput(f"{where}: {key}: must be a date (YYYY-MM-DD)") from None


def _positive_number(raw: Any, where: str, key: str) -> float:
    if _number(raw, where, key) == 0:
        raise BadInput(f"{where}: {key}: must be more than 0")
    return float(raw)


def _metric(raw: Any, where: str, key: str) -> str:
    if raw not in METRICS:
        raise BadInput(f"{where}: {key}: {raw!r} is not a metric of metrics.md")
    return raw


def _period(raw: Any, where: str, key: str, only: re.Pattern | None = None) -> str:
    period = str(raw)
    patterns = [only] if only else [MONTH, QUARTER, YEAR]
    for pattern in patterns:
        match = pattern.match(period)
        if match and (pattern is MONTH or int(match.group(2)) == (int(match.group(1)) + 1) % 100):
            return period
    wanted = (
        "a financial year (YYYY/YY)"
        if only
        else "a month (YYYY-MM), quarter (YYYY/YY-Qn) or financial year (YYYY/YY)"
    )
    raise BadInput(f"{where}: {key}: must be {wanted}")
