"""Train, evaluate and score the risk models over a warehouse, and keep them in a model directory:
`model.joblib` (the fitted models), `model_card.json` and `model_card.md` (data, period,
performance, limits, intended use), `evaluation.json` and one calibration plot per outcome.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import joblib
import numpy as np

from joinedup.errors import BadInput, StoreError
from joinedup.governance import objections
from joinedup.progress import stage
from joinedup.risk import evaluation, oracle
from joinedup.risk import scores as score_store
from joinedup.risk.features import FeatureTable, build_features, social_care_features
from joinedup.risk.models import BoostedModel, Inputs, RiskModel, fit, fit_boosted
from joinedup.risk.outcomes import OUTCOMES, build_outcomes, outcomes_observable, window_end
from joinedup.risk.rules import RuleSet, load_rules
from joinedup.risk.scores import StoredScores
from joinedup.risk.tiers import WorklistRow, assign_tiers, disclosed, on_care_plan, pyramid
from joinedup.warehouse import pseudonyms

PRIMARY_OUTCOME = "emergency_admission"
MODEL_FILE = "model.joblib"
CARD_JSON = "model_card.json"
CARD_MARKDOWN = "model_card.md"
EVALUATION_FILE = "evaluation.json"
INTENDED_USE = (
    "Ranking registered people by their risk of an emergency admission, a permanent admission to "
    "residential or nursing care, or being in the top 5% by cost over the next 12 months, to "
    "commission services (tier counts) and to help practice multi-disciplinary teams choose whom "
    "to review. Decision support only: a clinician reviews every listed person."
)
LIMITS = (
    "Trained and validated on a synthetic area only; recalibrate on local data before use.",
    "Predicts from recorded activity: people who use few services are under-ranked.",
    "Registered population only; people with a national data opt-out are excluded.",
    "Associations, not causes: a high score does not say which intervention will help.",
    "Outcomes cover 12 months; deaths in the window stay in the denominator.",
)


LEARNERS = ("logistic", "boosted")
UNEXPLAINED_TIER = "low"  # the one tier whose stored scores carry no reasons


@dataclass
class ModelBundle:
    """Both learners for every outcome, each with its twin without social care features, and
    per outcome the learner chosen by validated log loss (logistic until validated)."""

    inputs: Inputs
    models: dict[str, RiskModel]
    without_social_care: dict[str, RiskModel]
    boosted: dict[str, BoostedModel]
    boosted_without_social_care: dict[str, BoostedModel]
    seed: int
    index_date: str  # the training index date
    chosen: dict[str, str] = field(default_factory=dict)

    def learner(self, outcome: str) -> str:
        return self.chosen.get(outcome, LEARNERS[0])

    def model(self, outcome: str, learner: str | None = None, twin: bool = False):
        learner = learner or self.learner(outcome)
        if learner == "logistic":
            return (self.without_social_care if twin else self.models)[outcome]
        return (self.boosted_without_social_care if twin else self.boosted)[outcome]

    def predict(
        self, table: FeatureTable, twins: bool = False, learner: str | None = None
    ) -> dict[str, np.ndarray]:
        """Scores per outcome from the chosen learner (or the one named)."""
        transformed = None
        scores = {}
        for outcome in self.models:
            model = self.model(outcome, learner, twins)
            if isinstance(model, BoostedModel):
                scores[outcome] = model.predict(table)
            else:
                if transformed is None:
                    transformed = self.inputs.transform(table)
                scores[outcome] = model.predict(transformed)
        return scores

    def explain(self, outcome: str, table: FeatureTable) -> list[str]:
        """Per person, the factors that most raised the chosen model's score."""
        model = self.model(outcome)
        if isinstance(model, BoostedModel):
            return model.explain(table)
        return model.explain(self.inputs.transform(table), table)


@dataclass
class Cohort:
    """The usable population at an index date: features, and outcomes when observable."""

    features: FeatureTable
    outcomes: dict[str, np.ndarray] | None
    opted_out: int


def cohort(con, index: date, with_outcomes: bool) -> Cohort:
    table = build_features(con, index)
    keep = objections.allowed(con, table.pseudo_ids, index)
    table = table.select(keep)
    if len(table) == 0:
        raise BadInput(f"no registered people without an opt-out at {index.isoformat()}")
    outcomes = build_outcomes(con, table) if with_outcomes else None
    return Cohort(table, outcomes, int((~keep).sum()))


def require_outcomes(con, index: date) -> None:
    if not outcomes_observable(con, index):
        raise BadInput(
            f"the warehouse does not reach {window_end(index).isoformat()}: outcomes after "
            f"{index.isoformat()} cannot be observed; choose an earlier index date"
        )


def train(con, train_index: date, seed: int = 0, progress: bool = False) -> ModelBundle:
    """Fit every outcome's model (and its no-social-care twin) at `train_index`."""
    require_outcomes(con, train_index)
    with stage(f"risk: features and outcomes at {train_index}", progress):
        data = cohort(con, train_index, with_outcomes=True)
    return fit_bundle(data, train_index, seed, progress)


def fit_bundle(data: Cohort, train_index: date, seed: int = 0, progress: bool = False) -> ModelBundle:
    """Both learners and their twins for every outcome, on one cohort with outcomes."""
    names = data.features.names
    health_only = [n for n in names if n not in social_care_features()]
    inputs = Inputs(names).fit(data.features)
    transformed = inputs.transform(data.features)
    models, twins, boosted, boosted_twins = {}, {}, {}, {}
    for outcome in OUTCOMES:
        y = data.outcomes[outcome]
        if y.min() == y.max():
            raise BadInput(f"outcome {outcome} has no variation at {train_index}: cannot train")
        with stage(f"risk: fitting {outcome}", progress):
            models[outcome] = fit(inputs, transformed, outcome, y, names, seed)
            c = models[outcome].trained["penalty_c"]
            twins[outcome] = fit(inputs, transformed, outcome, y, health_only, seed, c)
            boosted[outcome] = fit_boosted(data.features, outcome, y, names, seed)
            boosted_twins[outcome] = fit_boosted(data.features, outcome, y, health_only, seed)
    return ModelBundle(
        inputs, models, twins, boosted, boosted_twins, seed, train_index.isoformat()
    )


def choose_learners(bundle: ModelBundle, validation: dict) -> None:
    """Per outcome, the learner with the lower log loss at temporal validation."""
    for outcome, report in validation["outcomes"].items():
        losses = {name: report["learners"][name]["log_loss"] for name in LEARNERS}
        bundle.chosen[outcome] = min(LEARNERS, key=lambda name: losses[name])


def evaluate(
    con,
    bundle: ModelBundle,
    index: date,
    rules: RuleSet,
    plot_dir: Path | None = None,
    truth: oracle.Truth | None = None,
) -> dict:
    """Every outcome's performance at `index` (a later date than training, for temporal
    validation) for both learners, against the rule list, against the model without social
    care and, given a generated area's truth (its folder and the rows' lineage), against the true
    hazards (the ceiling).
    The headline figures are the chosen learner's (before a choice: the better log loss)."""
    require_outcomes(con, index)
    data = cohort(con, index, with_outcomes=True)
    flags = rules.flag(data.features)
    result = {
        "index_date": index.isoformat(),
        "outcome_window_end": window_end(index).isoformat(),
        "people": len(data.features),
        "opted_out_excluded": data.opted_out,
        "rule": {"name": rules.name, "list_size": int(flags.sum())},
        "outcomes": {},
    }
    scores = {name: bundle.predict(data.features, learner=name) for name in LEARNERS}
    twins = {name: bundle.predict(data.features, True, name) for name in LEARNERS}
    hazards = oracle.true_hazards(con, truth, data.features) if truth is not None else None
    for outcome in OUTCOMES:
        y = data.outcomes[outcome]
        learners = {
            name: outcome_report(y, scores[name][outcome], twins[name][outcome], flags)
            for name in LEARNERS
        }
        chosen = bundle.chosen.get(outcome) or min(
            LEARNERS, key=lambda name: learners[name]["log_loss"]
        )
        p = scores[chosen][outcome]
        result["outcomes"][outcome] = {
            **learners[chosen],
            "learner": chosen,
            "learners": {name: learner_summary(r) for name, r in learners.items()},
        }
        if hazards is not None:
            twin = twins[chosen][outcome]
            result["outcomes"][outcome]["oracle"] = oracle.ceiling(
                y, p, twin, hazards, outcome, flags
            )
        if plot_dir is not None:
            title = f"{outcome.replace('_', ' ')}, {index.isoformat()}"
            evaluation.write_calibration_plot(plot_dir / f"calibration_{outcome}.svg", y, p, title)
    return result


def outcome_report(y, p, p_health, flags) -> dict:
    model = evaluation.evaluate_scores(y, p)
    health = evaluation.evaluate_scores(y, p_health)
    return {
        **model,
        "log_loss": evaluation.log_loss(y, p),
        "brier": evaluation.brier(y, p),
        "versus_rule": evaluation.versus_rule(y, p, flags),
        "without_social_care": {
            k: health[k] for k in ("discrimination", "calibration", "top_lists")
        },
        "social_care_adds": social_care_gain(model, health),
    }


def learner_summary(report: dict) -> dict:
    """One learner's validated figures, for comparing learners in the card."""
    return {
        "log_loss": report["log_loss"],
        "brier": report["brier"],
        "auroc": (report["discrimination"] or {}).get("auroc"),
        "calibration_slope": (report["calibration"] or {}).get("slope"),
        "auroc_without_social_care": (
            report["without_social_care"]["discrimination"] or {}
        ).get("auroc"),
    }


def social_care_gain(model: dict, health: dict) -> dict:
    def auroc(report: dict) -> float | None:
        return report["discrimination"]["auroc"] if report["discrimination"] else None

    gain = {"auroc": None}
    if auroc(model) is not None and auroc(health) is not None:
        gain["auroc"] = auroc(model) - auroc(health)
    for name, listed in model["top_lists"].items():
        before = health["top_lists"][name]["ppv"]
        gain[f"ppv_{name}"] = None if before is None else listed["ppv"] - before
    return gain


def score(
    con, bundle: ModelBundle, index: date, rules: RuleSet | None = None, progress: bool = False
) -> StoredScores:
    """Score everyone registered at `index` whom no national data opt-out leaves out, with the
    case-finding rule's flag (default rule: Southend's) and, above the low tier, the chosen
    model's reasons (blank in the low tier: explaining a boosted score costs a prediction per
    feature, too slow for a whole county, and no worklist starts there)."""
    with stage("risk: features", progress):
        table = cohort(con, index, with_outcomes=False).features
    with stage(f"risk: scores of {len(table):,} people", progress):
        scored = bundle.predict(table)
        tiers = assign_tiers(scored[PRIMARY_OUTCOME])
    reasons = np.full(len(table), "", dtype=object)
    explained = np.flatnonzero(tiers != UNEXPLAINED_TIER)
    with stage(f"risk: reasons of {len(explained):,} people", progress):
        reasons[explained] = bundle.explain(PRIMARY_OUTCOME, table.select(explained))
    return StoredScores(
        index=index,
        pseudo_ids=table.pseudo_ids,
        practices=table.practices,
        localities=table.localities,
        scores=scored,
        tiers=tiers,
        reasons=reasons,
        rule_flagged=(rules or load_rules()).flag(table),
    )


@dataclass
class ScoreRun:
    index_date: date
    rows_written: int
    pyramid_by_locality: dict  # disclosure-controlled

    def to_dict(self) -> dict:
        return {
            "index_date": self.index_date.isoformat(),
            "rows_written": self.rows_written,
            "table": score_store.SCORES_TABLE,
            "pyramid_by_locality": self.pyramid_by_locality,
        }


def score_into_warehouse(
    con,
    bundle: ModelBundle,
    index: date,
    rules: RuleSet | None = None,
    writer: Callable[[], object] | None = None,
    progress: bool = False,
) -> ScoreRun:
    """Score everyone at `index` and replace that date's rows of the scores table: on
    `writer()` when given (the store being copied while `con` is read), else on `con`."""
    stored = score(con, bundle, index, rules, progress)
    with stage("risk: writing the scores", progress):
        written = score_store.write(writer() if writer else con, stored)
    return ScoreRun(index, written, disclosed(pyramid(stored.localities, stored.tiers)))


def tier_pyramid(con, index: date, by: str) -> dict:
    """The stored tiers' counts by practice or locality, disclosure-controlled (tier A)."""
    stored = score_store.read(con, index)
    groups = stored.practices if by == "practice" else stored.localities
    return disclosed(pyramid(groups, stored.tiers))


@dataclass
class RuleList:
    rule: str
    population: int
    people: list[dict]  # practice_code, pseudo_id, criteria_met; by practice then pseudo_id

    def to_dict(self) -> dict:
        return {"rule": self.rule, "list_size": len(self.people), "people": self.people}


def rule_list(con, rules: RuleSet, index: date) -> RuleList:
    """The case-finding rule's people at `index` (opt-outs left out), with the criteria met."""
    table = cohort(con, index, with_outcomes=False).features
    reasons = rules.reasons(table)
    flagged = rules.flag(table).nonzero()[0]
    shown = pseudonyms.pseudonyms_of(con, table.pseudo_ids[flagged])
    rows = [
        {
            "practice_code": str(table.practices[i]),
            "pseudo_id": str(pseudonym),
            "criteria_met": reasons[i],
        }
        for i, pseudonym in zip(flagged, shown, strict=True)
    ]
    rows.sort(key=lambda r: (r["practice_code"], r["pseudo_id"]))
    return RuleList(rules.name, len(table), rows)


def worklists(
    con,
    scored: StoredScores,
    tiers: tuple[str, ...],
    practice: str | None = None,
) -> list[WorklistRow]:
    """People in the given tiers, by practice then score, with their stored reasons and rule
    flag and whether they are already on a care plan."""
    chosen = np.isin(scored.tiers, tiers)
    if practice is not None:
        chosen &= scored.practices.astype(str) == practice
    rows = np.flatnonzero(chosen)
    p = scored.scores[PRIMARY_OUTCOME]
    rows = rows[np.lexsort((-p[rows], scored.practices[rows].astype(str)))]
    planned = on_care_plan(con, scored.pseudo_ids[rows], scored.index)
    shown = pseudonyms.pseudonyms_of(con, scored.pseudo_ids[rows])
    return [
        WorklistRow(
            practice_code=str(scored.practices[r]),
            pseudo_id=str(pseudonym),
            score=float(p[r]),
            tier=str(scored.tiers[r]),
            reasons=str(scored.reasons[r]),
            on_care_plan=bool(plan),
            rule_flagged=bool(scored.rule_flagged[r]),
        )
        for r, plan, pseudonym in zip(rows, planned, shown, strict=True)
    ]


@dataclass
class Trained:
    model_dir: Path
    card: dict
    evaluation: dict

    def to_dict(self) -> dict:
        return {"model_dir": str(self.model_dir), "card": self.card, "evaluation": self.evaluation}


def train_and_validate(
    con,
    model_dir: Path,
    rules: RuleSet,
    train_index: date,
    validate_index: date,
    seed: int = 0,
    progress: bool = False,
) -> Trained:
    """Train both learners, validate them at the later date, choose per outcome, and write the
    model directory (model, card, evaluation, calibration plots)."""
    bundle = train(con, train_index, seed, progress)
    model_dir.mkdir(parents=True, exist_ok=True)
    with stage(f"risk: validating at {validate_index}", progress):
        report = evaluate(con, bundle, validate_index, rules, model_dir)
    choose_learners(bundle, report)
    return Trained(model_dir, save(model_dir, bundle, report), report)


def evaluate_saved(
    con,
    model_dir: Path,
    index: date,
    rules: RuleSet,
    truth: oracle.Truth | None = None,
    progress: bool = False,
) -> dict:
    """Evaluate the saved model at `index`; the report and plots go to evaluation-<date>/."""
    bundle = load(model_dir)
    plots = model_dir / f"evaluation-{index.isoformat()}"
    plots.mkdir(parents=True, exist_ok=True)
    with stage(f"risk: evaluating at {index}", progress):
        report = evaluate(con, bundle, index, rules, plots, truth)
    (plots / EVALUATION_FILE).write_text(json.dumps(report, indent=2), "utf-8")
    return report


def model_card(bundle: ModelBundle, validation: dict | None) -> dict:
    return {
        "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "model": "per outcome, the better by validated log loss of (a) logistic regression on "
        "standardised log1p counts and flags and a cubic spline of age, its L2 penalty chosen by "
        "3-fold cross-validated log loss, and (b) histogram gradient-boosted trees on the raw "
        "features, early-stopped, Platt-scaled on 3-fold cross-fitted scores; each "
        "with a twin without social care features",
        "learners": dict(bundle.chosen),
        "intended_use": INTENDED_USE,
        "data": {
            "source": "joinedup warehouse: GP register, QOF registers, prescribing, GP "
            "appointments, acute APC and A&E, community, mental health, ambulance/111/OOH, "
            "delayed transfers, end-of-life register, adult social care (CLD)",
            "population": "alive and registered with a practice the day before the index date; "
            "national data opt-outs excluded",
            "features": bundle.inputs.features,
            "social_care_features": social_care_features(),
        },
        "period": {
            "train_index_date": bundle.index_date,
            "train_outcome_window_end": window_end(
                date.fromisoformat(bundle.index_date)
            ).isoformat(),
            "validation_index_date": validation["index_date"] if validation else None,
        },
        "training": {
            o: {"logistic": m.trained, "boosted": bundle.boosted[o].trained}
            for o, m in bundle.models.items()
        },
        "learner_comparison": {
            o: r["learners"] for o, r in (validation or {}).get("outcomes", {}).items()
        },
        "performance": summary(validation) if validation else None,
        "limits": list(LIMITS),
        "random_state": bundle.seed,
    }


def summary(report: dict) -> dict:
    """Headline figures per outcome for the card and the CLI's text output."""
    result = {}
    for outcome, r in report["outcomes"].items():
        rule = r["versus_rule"]
        result[outcome] = {
            "learner": r["learner"],
            "events": r["events"],
            "auroc": r["discrimination"],
            "calibration_slope": r["calibration"]["slope"] if r["calibration"] else None,
            "calibration_intercept": r["calibration"]["intercept"] if r["calibration"] else None,
            "ppv_top_5%": r["top_lists"]["top_5%"]["ppv"],
            "sensitivity_top_5%": r["top_lists"]["top_5%"]["sensitivity"],
            "rule_ppv": rule["rule"]["ppv"],
            "model_ppv_at_rule_size": rule["model_same_size"]["ppv"],
            "auroc_without_social_care": (r["without_social_care"]["discrimination"] or {}).get(
                "auroc"
            ),
            "social_care_adds_auroc": r["social_care_adds"]["auroc"],
            "social_care_adds_expected_auroc": _expected_gain(r.get("oracle")),
        }
    return result


def _expected_gain(ceiling: dict | None) -> float | None:
    """The social care features' gain in AUROC expected under the true hazards, when known."""
    if not ceiling or ceiling["model_expected_auroc"] is None:
        return None
    return ceiling["model_expected_auroc"] - ceiling["twin_expected_auroc"]


def card_markdown(card: dict) -> str:
    lines = [
        "# Risk model card",
        "",
        f"Created {card['created_at']}. Model: {card['model']}.",
        "",
        "## Intended use",
        card["intended_use"],
        "",
        "## Data",
        f"- Source: {card['data']['source']}.",
        f"- Population: {card['data']['population']}.",
        f"- Features ({len(card['data']['features'])}): {', '.join(card['data']['features'])}.",
        "",
        "## Period",
        f"- Trained at {card['period']['train_index_date']}, outcomes to "
        f"{card['period']['train_outcome_window_end']} (exclusive).",
        f"- Validated at {card['period']['validation_index_date']} (temporal validation).",
        "",
        "## Performance (validation)",
        "| outcome | events | AUROC (95% CI) | without social care | slope | intercept "
        "| PPV top 5% | rule PPV | model PPV at rule size |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for outcome, s in (card["performance"] or {}).items():
        lines.append(
            f"| {outcome} | {s['events']} | {_auroc_text(s['auroc'])} | "
            f"{_num(s['auroc_without_social_care'])} | {_num(s['calibration_slope'])} | "
            f"{_num(s['calibration_intercept'])} | {_num(s['ppv_top_5%'])} | "
            f"{_num(s['rule_ppv'])} | {_num(s['model_ppv_at_rule_size'])} |"
        )
    lines += comparison_lines(card["learner_comparison"])
    lines += linking_lines(card["performance"] or {})
    lines += ["", "## Limits", *[f"- {limit}" for limit in card["limits"]], ""]
    return "\n".join(lines)


def comparison_lines(comparison: dict) -> list[str]:
    lines = [
        "",
        "## Learners (validation; the chosen one has the lower log loss)",
        "| outcome | learner | log loss | Brier | AUROC | slope | AUROC without social care |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for outcome, learners in comparison.items():
        for name, s in learners.items():
            lines.append(
                f"| {outcome} | {name} | {_num(s['log_loss'], 5)} | {_num(s['brier'], 5)} | "
                f"{_num(s['auroc'])} | {_num(s['calibration_slope'])} | "
                f"{_num(s['auroc_without_social_care'])} |"
            )
    return lines


def linking_lines(performance: dict) -> list[str]:
    """The "what linking adds" table: the chosen model against its twin without social care."""
    lines = [
        "",
        "## What linking adds (social care features, chosen model against its twin)",
        "| outcome | AUROC with social care | without | gain | gain against the true hazards |",
        "| --- | --- | --- | --- | --- |",
    ]
    for outcome, s in performance.items():
        with_sc = (s["auroc"] or {}).get("auroc")
        lines.append(
            f"| {outcome} | {_num(with_sc)} | {_num(s['auroc_without_social_care'])} | "
            f"{_num(s['social_care_adds_auroc'])} | {_num(s['social_care_adds_expected_auroc'])} |"
        )
    return lines


def ceiling_lines(report: dict) -> list[str]:
    """Text lines for the ceiling, when the report has the true hazards."""
    rows = {o: r["oracle"] for o, r in report["outcomes"].items() if "oracle" in r}
    if not rows:
        return []
    lines = [
        "ceiling (true hazards):",
        f"{'outcome':<20} {'oracle':>7} {'model':>7} {'rule':>7} {'share':>6} "
        f"{'Brier oracle':>12} {'model':>7} {'chance':>7} {'E[AUROC] model':>14} {'twin':>6}",
    ]
    for outcome, c in rows.items():
        lines.append(
            f"{outcome:<20} {_num(c['oracle_auroc']):>7} {_num(c['model_auroc']):>7} "
            f"{_num(c['rule_auroc']):>7} {_num(c['share_of_achievable_auroc_gain'], 2):>6} "
            f"{_num(c['oracle_brier'], 5):>12} {_num(c['model_brier'], 5):>7} "
            f"{_num(c['chance_brier'], 5):>7} {_num(c['model_expected_auroc']):>14} "
            f"{_num(c['twin_expected_auroc']):>6}"
        )
    return lines


def _num(value: float | None, places: int = 3) -> str:
    return "-" if value is None else f"{value:.{places}f}"


def _auroc_text(auroc: dict | None) -> str:
    if not auroc:
        return "-"
    return f"{auroc['auroc']:.3f} ({auroc['ci_low']:.3f}-{auroc['ci_high']:.3f})"


def save(model_dir: Path, bundle: ModelBundle, validation: dict | None) -> dict:
    model_dir.mkdir(parents=True, exist_ok=True)
    joblib.dump(bundle, model_dir / MODEL_FILE)
    card = model_card(bundle, validation)
    (model_dir / CARD_JSON).write_text(json.dumps(card, indent=2), encoding="utf-8")
    (model_dir / CARD_MARKDOWN).write_text(card_markdown(card), encoding="utf-8")
    if validation is not None:
        (model_dir / EVALUATION_FILE).write_text(json.dumps(validation, indent=2), "utf-8")
    return card


def load(model_dir: Path) -> ModelBundle:
    path = model_dir / MODEL_FILE
    if not path.is_file():
        raise StoreError(f"{path}: no trained model here; run `joinedup risk train` first")
    try:
        bundle = joblib.load(path)
    except Exception as error:  # unpickling fails in many ways; each means "not readable here"
        raise StoreError(f"{path}: cannot read this model ({type(error).__name__})") from error
    if not isinstance(bundle, ModelBundle):
        raise StoreError(f"{path}: not a joinedup risk model; train it again")
    return bundle
