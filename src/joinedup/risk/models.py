"""Risk models: penalised logistic regression on standardised log counts, with a cubic spline for
age, and gradient-boosted trees beside it (`BoostedModel`, at the end). A linear model on the logit scale is calibrated by construction on the data it was fitted to,
and it explains itself: a person's contribution from a feature is coef x (value - training mean)
summed over the columns the feature expands to (the age spline's bases), on the logit scale.

The preprocessing (`Inputs`) is fitted once on the training cohort and shared by every outcome's
model: it works column by column, so a model on fewer features (the no-social-care twin) uses a
subset of the same transformed columns, and scoring transforms each person once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, SplineTransformer, StandardScaler

from joinedup.duck import batch_rows
from joinedup.risk import trees
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
    "sc_carer_known": "a carer known to social care",
    "sc_carer_stopped_12m": "carer stopped caring, last 12 months",
    "sc_social_support": "social care for social isolation (lives alone)",
    "sc_package_increase_12m": "care package increase, GBP a week, last 12 months",
    "sc_months_since_assessment": "months since the last social care assessment",
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


ALWAYS_STATES = ("female", "age", "imd_decile")


def is_reason(name: str, value: float, push: float) -> bool:
    """A factor explains a high score when it pushed the score up and the person has it: the
    absence of a register or of an event is never given as a reason (that only happens through
    a negative coefficient). Sex, age and deprivation are always states a person has."""
    return push > 0 and (value != 0 or name in ALWAYS_STATES)


class Inputs:
    """Median imputation; a cubic spline of age; log1p then standardisation of the rest."""

    def __init__(self, features: list[str]) -> None:
        self.features = list(features)
        age = [self.features.index("age")]
        rest = [i for i, name in enumerate(self.features) if name != "age"]
        spline = make_pipeline(
            SimpleImputer(strategy="median"),
            SplineTransformer(n_knots=SPLINE_KNOTS, degree=SPLINE_DEGREE),
        )
        scaled = make_pipeline(
            SimpleImputer(strategy="median", keep_empty_features=True),
            FunctionTransformer(np.log1p, feature_names_out="one-to-one"),
            StandardScaler(),
        )
        self.transformer = ColumnTransformer([("age", spline, age), ("rest", scaled, rest)])
        # transformed column -> index into `features`: the age bases, then the rest in order
        self.groups = np.array(age * (SPLINE_KNOTS + SPLINE_DEGREE - 1) + rest)

    def fit(self, table: FeatureTable) -> Inputs:
        self.transformer.fit(self._raw(table))
        return self

    def transform(self, table: FeatureTable) -> np.ndarray:
        return self.transformer.transform(self._raw(table))

    def columns_of(self, names: list[str]) -> np.ndarray:
        wanted = [self.features.index(n) for n in names]
        return np.flatnonzero(np.isin(self.groups, wanted))

    def _raw(self, table: FeatureTable) -> np.ndarray:
        return table.matrix[:, [table.names.index(n) for n in self.features]]


@dataclass
class RiskModel:
    """One outcome's logistic regression over some features' transformed columns."""

    outcome: str
    features: list[str]
    columns: np.ndarray  # into the shared transformed matrix
    groups: np.ndarray  # per column, index into `features`
    model: LogisticRegression
    column_means: np.ndarray  # of the training columns, for explanations
    trained: dict = field(default_factory=dict)  # index date, people, events, penalty

    def predict(self, transformed: np.ndarray) -> np.ndarray:
        return self.model.predict_proba(transformed[:, self.columns])[:, 1]

    def contributions(self, transformed: np.ndarray) -> np.ndarray:
        """Per person and feature, the feature's push on the logit against the training mean."""
        by_column = (transformed[:, self.columns] - self.column_means) * self.model.coef_[0]
        per_feature = self.groups[:, None] == np.arange(len(self.features))
        return by_column @ per_feature  # each feature's columns summed

    def explain(self, transformed: np.ndarray, values: FeatureTable) -> list[str]:
        """Per row, the few factors that most raised the score, most first."""
        raw = values.matrix[:, [values.names.index(n) for n in self.features]]
        return reasons(self.features, self.contributions(transformed), raw)


def logistic(c: float, seed: int) -> LogisticRegression:
    """Newton-Cholesky: a few exact steps, much faster than lbfgs for many people and few columns."""
    return LogisticRegression(C=c, max_iter=200, solver="newton-cholesky", random_state=seed)


def choose_penalty(transformed: np.ndarray, y: np.ndarray, seed: int) -> float:
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
            logistic(c, seed), transformed[sample], y[sample], scoring="neg_log_loss", cv=folds
        ).mean()
        for c in PENALTIES_C
    ]
    return PENALTIES_C[int(np.argmin(losses))]


def fit(
    inputs: Inputs,
    transformed: np.ndarray,
    outcome: str,
    y: np.ndarray,
    features: list[str],
    seed: int = 0,
    c: float | None = None,
) -> RiskModel:
    """Fit one outcome's model on the training cohort's transformed matrix, choosing its penalty
    unless given. `features` may leave some out (the no-social-care twin, which reuses its full
    model's penalty)."""
    columns = inputs.columns_of(features)
    design = transformed[:, columns]
    c = choose_penalty(design, y, seed) if c is None else c
    model = logistic(c, seed).fit(design, y)
    position = {inputs.features.index(n): i for i, n in enumerate(features)}
    return RiskModel(
        outcome=outcome,
        features=list(features),
        columns=columns,
        groups=np.array([position[g] for g in inputs.groups[columns]]),
        model=model,
        column_means=design.mean(axis=0),
        trained={"people": int(len(y)), "events": int(y.sum()), "penalty_c": c},
    )


# Gradient boosting: shallow trees on the raw features (no transforms; missing values are
# handled by the trees), early-stopped on a part of the training cohort, then Platt-scaled on
# cross-fitted predictions: trees fitted on two thirds of the cohort score the other third, so
# that every training person (and every event of a rare outcome) informs the scaling. A single
# 20% hold-out gave a rare outcome too few events to scale on (permanent care: calibration slope
# 0.79 at temporal validation).
BOOSTING = {
    "learning_rate": 0.08,
    "max_iter": 300,
    "max_leaf_nodes": 15,
    "min_samples_leaf": 80,
    "l2_regularization": 1.0,
    "early_stopping": True,
    "validation_fraction": 0.15,
    "n_iter_no_change": 15,
}
CALIBRATION_FOLDS = 3


@dataclass
class BoostedModel:
    """One outcome's gradient-boosted trees over raw feature values, Platt-scaled."""

    outcome: str
    features: list[str]
    model: HistGradientBoostingClassifier
    platt: tuple[float, float]  # (intercept, slope) on the logit of the trees' probability
    typical: np.ndarray  # training medians: a feature "set to typical" for explanations
    trained: dict = field(default_factory=dict)

    def raw(self, table: FeatureTable) -> np.ndarray:
        if self.features == table.names:  # the full model: no copy of a county's matrix
            return table.matrix
        return table.matrix[:, [table.names.index(n) for n in self.features]]

    def predict_raw(self, raw: np.ndarray) -> np.ndarray:
        """Platt-scaled scores through the trees' look-up tables (`trees`: the same bits as
        `predict_proba`), in batches of `batch_rows()` people."""
        tables = trees.Tables(self.model, raw.shape[1])
        p = np.empty(len(raw))
        step = batch_rows()
        for start in range(0, len(raw), step):
            p[start : start + step] = tables.predict_proba(raw[start : start + step])
        return self.platt_scaled(p)

    def platt_scaled(self, p: np.ndarray) -> np.ndarray:
        a, b = self.platt
        return 1 / (1 + np.exp(-(a + b * logit(p))))

    def predict(self, table: FeatureTable) -> np.ndarray:
        return self.predict_raw(self.raw(table))

    def contributions(self, table: FeatureTable, only: np.ndarray | None = None) -> np.ndarray:
        """Per person and feature, how much lower the logit would be with that feature alone set
        to its typical (median) value: the feature's push, comparable to the logistic model's.
        A person at the typical value has no push, so only the others are re-scored (and of
        those only the `only` cells, a boolean mask, when given: the rest are left at 0), in
        batches of `batch_rows()` people."""
        raw = self.raw(table)
        tables = trees.Tables(self.model, raw.shape[1])
        pushes = np.zeros((len(raw), len(self.features)))
        step = batch_rows()
        for start in range(0, len(raw), step):
            rows = slice(start, start + step)
            pushes[rows] = self._pushes(tables, raw[rows], None if only is None else only[rows])
        return pushes

    def _pushes(
        self, tables: trees.Tables, raw: np.ndarray, only: np.ndarray | None
    ) -> np.ndarray:
        """`contributions` of one batch: re-scoring a moved cell looks again only at the trees
        that split on its feature (`trees.Leaves`); a feature no tree splits on cannot move the
        score."""
        leaves = trees.Leaves(tables, raw)
        base = logit(self.platt_scaled(leaves.base()))
        pushes = np.zeros(raw.shape)
        for i, typical in enumerate(self.typical):
            moved_rows = raw[:, i] != typical
            if only is not None:
                moved_rows &= only[:, i]
            rows = np.flatnonzero(moved_rows)
            if len(rows) and leaves.splits_on(i):
                moved = logit(self.platt_scaled(leaves.with_value(rows, i, typical)))
                pushes[rows, i] = base[rows] - moved
        return pushes

    def explain(self, table: FeatureTable) -> list[str]:
        raw = self.raw(table)
        pushes = self.contributions(table, may_explain(self.features, raw))
        return reasons(self.features, pushes, raw)


def logit(p: np.ndarray) -> np.ndarray:
    clipped = np.clip(p, 1e-9, 1 - 1e-9)
    return np.log(clipped / (1 - clipped))


def may_explain(features: list[str], raw: np.ndarray) -> np.ndarray:
    """Cells that can be a reason whatever their push: `is_reason`'s test of the value."""
    always = np.isin(features, ALWAYS_STATES)
    return (raw != 0) | always


def reasons(features: list[str], pushes: np.ndarray, raw: np.ndarray) -> list[str]:
    """Per row, the few factors that most raised the score, most first (ties: feature order)."""
    allowed = np.where((pushes > 0) & may_explain(features, raw), pushes, -np.inf)
    candidate = allowed.copy()
    top = np.empty((len(raw), EXPLAINED_FACTORS), dtype=int)
    for k in range(EXPLAINED_FACTORS):  # argmax takes the first of equal pushes, as a stable sort
        top[:, k] = np.argmax(candidate, axis=1)
        candidate[np.arange(len(raw)), top[:, k]] = -np.inf
    real = np.isfinite(np.take_along_axis(allowed, top, axis=1))
    values = np.take_along_axis(raw, top, axis=1)
    texts: dict[tuple[int, float], str] = {}

    def text(i: int, value: float) -> str:
        key = (i, value)
        if key not in texts:
            texts[key] = describe(features[i], value)
        return texts[key]

    return [
        "; ".join(text(i, v) for i, v, ok in zip(row, vals, oks, strict=True) if ok)
        for row, vals, oks in zip(top.tolist(), values.tolist(), real.tolist(), strict=True)
    ]


def fit_boosted(
    table: FeatureTable, outcome: str, y: np.ndarray, features: list[str], seed: int = 0
) -> BoostedModel:
    """Fit the trees on the whole training cohort and Platt scaling on cross-fitted scores."""
    raw = table.matrix[:, [table.names.index(n) for n in features]]
    trees = HistGradientBoostingClassifier(**BOOSTING, random_state=seed).fit(raw, y)
    platt = cross_fitted_platt(raw, y, int(trees.n_iter_), seed)
    return BoostedModel(
        outcome=outcome,
        features=list(features),
        model=trees,
        platt=platt,
        typical=np.nanmedian(raw, axis=0),
        trained={
            "people": int(len(y)),
            "events": int(y.sum()),
            "trees": int(trees.n_iter_),
            "platt_intercept": platt[0],
            "platt_slope": platt[1],
        },
    )


def cross_fitted_platt(
    raw: np.ndarray, y: np.ndarray, trees: int, seed: int
) -> tuple[float, float]:
    """(intercept, slope) of a logistic fit of the outcome on the logit of out-of-fold tree
    scores: per fold, the same number of trees fitted on the other folds. Identity when there
    are too few events to fold."""
    if min(y.sum(), len(y) - y.sum()) < 2 * CALIBRATION_FOLDS:
        return (0.0, 1.0)
    settings = {**BOOSTING, "early_stopping": False, "max_iter": trees}
    scores = np.empty(len(y))
    folds = StratifiedKFold(n_splits=CALIBRATION_FOLDS, shuffle=True, random_state=seed)
    for fit_rows, held in folds.split(raw, y):
        fold = HistGradientBoostingClassifier(**settings, random_state=seed)
        scores[held] = fold.fit(raw[fit_rows], y[fit_rows]).predict_proba(raw[held])[:, 1]
    scaler = LogisticRegression(C=1e6, max_iter=1000).fit(logit(scores)[:, None], y)
    return (float(scaler.intercept_[0]), float(scaler.coef_[0, 0]))
