"""Risk models: penalised logistic regression on standardised log counts, with a cubic spline for
age. A linear model on the logit scale is calibrated by construction on the data it was fitted to,
and it explains itself: a person's contribution from a feature is coef x (value - training mean)
summed over the columns the feature expands to (the age spline's bases), on the logit scale.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, SplineTransformer, StandardScaler

from joinedup.risk.features import FeatureTable

SPLINE_KNOTS = 5
SPLINE_DEGREE = 3
# Inverse L2 penalties tried by cross-validation: rare outcomes (permanent care: ~0.1% a year)
# need a strong penalty to stay calibrated, common ones (emergency admission: ~8%) almost none.
PENALTIES_C = (1.0, 0.1, 0.01, 0.001)
CV_FOLDS = 3
CV_MAX_PEOPLE = 40_000  # the penalty is chosen on a sample this size; the model fits on everyone
EXPLAINED_FACTORS = 3

LABELS = {
    "age": "age",
    "female": "female",
    "imd_decile": "IMD decile",
    "ltc_count": "long-term conditions",
    "medicines_90d": "medicines in last 90 days",
    "ae_6m": "A&E attendances, last 6 months",
    "ae_12m": "A&E attendances, last 12 months",
    "emergency_6m": "emergency admissions, last 6 months",
    "emergency_12m": "emergency admissions, last 12 months",
    "elective_12m": "elective admissions, last 12 months",
    "bed_days_12m": "bed days, last 12 months",
    "gp_appointments_12m": "GP appointments, last 12 months",
    "community_contacts_12m": "community contacts, last 12 months",
    "mh_contacts_12m": "mental health contacts, last 12 months",
    "memory_assessment_12m": "memory assessment contacts, last 12 months",
    "ambulance_12m": "ambulance contacts, last 12 months",
    "nhs111_ooh_12m": "111 and out-of-hours contacts, last 12 months",
    "delayed_transfers_12m": "delayed transfers, last 12 months",
    "eol_register": "on the end-of-life register",
    "sc_home_care": "receives home care",
    "sc_weekly_cost": "social care package, GBP a week",
    "sc_reablement_12m": "reablement, last 12 months",
    "sc_carer_12m": "is a carer known to social care",
    "sc_respite_12m": "respite care, last 12 months",
    "sc_permanent_care": "in permanent residential or nursing care",
    "sc_requests_12m": "social care requests and assessments, last 12 months",
    "sc_memory_cognition": "social care for memory and cognition",
}


def describe(name: str, value: float) -> str:
    """'label (value)' for a reason list; flags read as the state they name."""
    if name == "female":
        return "female" if value else "male"
    if name.startswith("reg_"):
        return f"on the {name[4:].upper()} register"
    label = LABELS.get(name, name)
    if name == "eol_register" or (name.startswith("sc_") and value == 1):
        return label
    return f"{label} ({value:g})"


def is_reason(name: str, value: float, push: float) -> bool:
    """A factor explains a high score when it pushed the score up and the person has it: the
    absence of a register or of an event is never given as a reason (that only happens through
    a negative coefficient). Sex, age and deprivation are always states a person has."""
    return push > 0 and (value != 0 or name in ("female", "age", "imd_decile"))


@dataclass
class RiskModel:
    """One fitted model for one outcome, over a named subset of the features."""

    outcome: str
    features: list[str]
    pipeline: Pipeline
    column_means: np.ndarray  # of the transformed training matrix, for explanations
    column_groups: np.ndarray  # transformed column -> index into `features`
    trained: dict = field(default_factory=dict)  # index date, people, events

    def inputs(self, table: FeatureTable) -> np.ndarray:
        return table.matrix[:, [table.names.index(n) for n in self.features]]

    def predict(self, table: FeatureTable) -> np.ndarray:
        return self.pipeline.predict_proba(self.inputs(table))[:, 1]

    def contributions(self, table: FeatureTable) -> np.ndarray:
        """Per person and feature, the feature's push on the logit against the training mean."""
        transformed = self.pipeline.named_steps["pre"].transform(self.inputs(table))
        coef = self.pipeline.named_steps["model"].coef_[0]
        by_column = (transformed - self.column_means) * coef
        grouped = np.zeros((len(table), len(self.features)))
        np.add.at(grouped.T, self.column_groups, by_column.T)
        return grouped

    def explain(self, table: FeatureTable, rows: np.ndarray) -> list[str]:
        """For the given rows, the few factors that most raised the score, most first."""
        subset = table.select(rows)
        pushes = self.contributions(subset)
        values = self.inputs(subset)
        reasons = []
        for push, value in zip(pushes, values, strict=True):
            ranked = np.argsort(-push, kind="stable")
            top = [i for i in ranked if is_reason(self.features[i], value[i], push[i])]
            reasons.append(
                "; ".join(describe(self.features[i], value[i]) for i in top[:EXPLAINED_FACTORS])
            )
        return reasons


def build_pipeline(features: list[str], seed: int, c: float) -> Pipeline:
    age = [features.index("age")]
    rest = [i for i, name in enumerate(features) if name != "age"]
    pre = ColumnTransformer(
        [
            (
                "age",
                make_pipeline(
                    SimpleImputer(strategy="median"),
                    SplineTransformer(n_knots=SPLINE_KNOTS, degree=SPLINE_DEGREE),
                ),
                age,
            ),
            (
                "rest",
                make_pipeline(
                    SimpleImputer(strategy="median", keep_empty_features=True),
                    FunctionTransformer(np.log1p, feature_names_out="one-to-one"),
                    StandardScaler(),
                ),
                rest,
            ),
        ]
    )
    model = LogisticRegression(C=c, max_iter=5000, random_state=seed)
    return Pipeline([("pre", pre), ("model", model)])


def column_groups(features: list[str]) -> np.ndarray:
    """Which feature each transformed column came from: the age bases, then the rest in order."""
    age_columns = SPLINE_KNOTS + SPLINE_DEGREE - 1
    rest = [i for i, name in enumerate(features) if name != "age"]
    return np.array([features.index("age")] * age_columns + rest)


def choose_penalty(inputs: np.ndarray, y: np.ndarray, features: list[str], seed: int) -> float:
    """The C of PENALTIES_C with the best cross-validated log loss (ties: the weaker penalty),
    on a random sample of at most CV_MAX_PEOPLE people. With fewer events than folds, the
    strongest penalty."""
    rng = np.random.default_rng(seed)
    sample = np.sort(rng.permutation(len(y))[:CV_MAX_PEOPLE])
    if min(y[sample].sum(), len(sample) - y[sample].sum()) < CV_FOLDS:
        return PENALTIES_C[-1]
    folds = StratifiedKFold(n_splits=CV_FOLDS, shuffle=True, random_state=seed)
    losses = [
        -cross_val_score(
            build_pipeline(features, seed, c),
            inputs[sample],
            y[sample],
            scoring="neg_log_loss",
            cv=folds,
        ).mean()
        for c in PENALTIES_C
    ]
    return PENALTIES_C[int(np.argmin(losses))]


def fit(
    table: FeatureTable,
    outcome: str,
    y: np.ndarray,
    features: list[str],
    seed: int = 0,
    c: float | None = None,
) -> RiskModel:
    """Fit one outcome's model, choosing its penalty unless given. `features` may leave some
    out (the no-social-care comparison, which reuses its full model's penalty)."""
    inputs = table.matrix[:, [table.names.index(n) for n in features]]
    c = choose_penalty(inputs, y, features, seed) if c is None else c
    pipeline = build_pipeline(features, seed, c)
    pipeline.fit(inputs, y)
    transformed = pipeline.named_steps["pre"].transform(inputs)
    return RiskModel(
        outcome=outcome,
        features=list(features),
        pipeline=pipeline,
        column_means=transformed.mean(axis=0),
        column_groups=column_groups(features),
        trained={
            "index_date": table.index.isoformat(),
            "people": int(len(table)),
            "events": int(y.sum()),
            "penalty_c": c,
        },
    )
