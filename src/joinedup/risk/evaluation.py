"""How well a risk score predicts an outcome: discrimination (AUROC with DeLong's 95% CI),
calibration (logistic recalibration slope and intercept, a decile plot as SVG), and the
case-finding view (PPV and sensitivity of the top x% list, or of a list of a given size).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

TOP_SHARES = (0.005, 0.01, 0.05, 0.10)
Z_95 = 1.959964


def auroc_with_ci(y: np.ndarray, p: np.ndarray) -> dict | None:
    """AUROC with DeLong's 95% CI (DeLong et al. 1988, midrank form of Sun and Xu 2014): one
    sort, so it stays fast for a million people. None when only one class is present."""
    if y.min() == y.max():
        return None
    from scipy.stats import rankdata  # 2 s to import; `risk score` never needs it

    positives, negatives = p[y == 1], p[y == 0]
    m, n = len(positives), len(negatives)
    within_pos, within_neg = rankdata(positives), rankdata(negatives)
    overall = rankdata(np.concatenate([positives, negatives]))
    auroc = (overall[:m].sum() - m * (m + 1) / 2) / (m * n)
    v_pos = (overall[:m] - within_pos) / n
    v_neg = 1 - (overall[m:] - within_neg) / m
    variance = (v_pos.var(ddof=1) if m > 1 else 0) / m + (v_neg.var(ddof=1) if n > 1 else 0) / n
    half = Z_95 * math.sqrt(variance)
    return {
        "auroc": float(auroc),
        "ci_low": float(max(0.0, auroc - half)),
        "ci_high": float(min(1.0, auroc + half)),
    }


def _logit(p: np.ndarray) -> np.ndarray:
    clipped = np.clip(p, 1e-9, 1 - 1e-9)
    return np.log(clipped / (1 - clipped))


def _fit_logistic(y: np.ndarray, design: np.ndarray, offset: np.ndarray) -> np.ndarray:
    """Unpenalised logistic regression by Newton-Raphson (a few columns only)."""
    beta = np.zeros(design.shape[1])
    for _ in range(50):
        mu = 1 / (1 + np.exp(-(design @ beta + offset)))
        weights = mu * (1 - mu)
        hessian = design.T @ (design * weights[:, None])
        step = np.linalg.solve(hessian + 1e-12 * np.eye(len(beta)), design.T @ (y - mu))
        beta += step
        if np.max(np.abs(step)) < 1e-10:
            break
    return beta


def calibration(y: np.ndarray, p: np.ndarray) -> dict | None:
    """Slope: logit(P(y)) = a + b logit(p). Intercept (calibration in the large): a in
    logit(P(y)) = a + logit(p). Perfect calibration: slope 1, intercept 0."""
    if y.min() == y.max():
        return None
    lp = _logit(p)
    ones = np.ones((len(y), 1))
    slope = _fit_logistic(y, np.column_stack([ones, lp]), np.zeros(len(y)))[1]
    intercept = _fit_logistic(y, ones, lp)[0]
    return {
        "slope": float(slope),
        "intercept": float(intercept),
        "observed_rate": float(y.mean()),
        "mean_predicted": float(p.mean()),
    }


def ranking(p: np.ndarray) -> np.ndarray:
    """Row order from highest to lowest score; ties keep row (pseudo_id) order."""
    return np.argsort(-p, kind="stable")


def list_size(share: float, people: int) -> int:
    return max(1, math.ceil(share * people))


def list_performance(y: np.ndarray, on_list: np.ndarray) -> dict:
    size = int(on_list.sum())
    hits = int(y[on_list].sum())
    positives = int(y.sum())
    return {
        "list_size": size,
        "true_positives": hits,
        "ppv": hits / size if size else None,
        "sensitivity": hits / positives if positives else None,
    }


def top_list(p: np.ndarray, size: int) -> np.ndarray:
    on_list = np.zeros(len(p), dtype=bool)
    on_list[ranking(p)[:size]] = True
    return on_list


def at_top_shares(y: np.ndarray, p: np.ndarray) -> dict[str, dict]:
    return {
        f"top_{share * 100:g}%": list_performance(y, top_list(p, list_size(share, len(y))))
        for share in TOP_SHARES
    }


def versus_rule(y: np.ndarray, p: np.ndarray, rule_flags: np.ndarray) -> dict:
    """The rule's list against the model's top list of the same size."""
    size = int(rule_flags.sum())
    return {
        "rule": list_performance(y, rule_flags),
        "model_same_size": list_performance(y, top_list(p, size)),
    }


def log_loss(y: np.ndarray, p: np.ndarray) -> float:
    clipped = np.clip(p, 1e-12, 1 - 1e-12)
    return float(-np.mean(y * np.log(clipped) + (1 - y) * np.log(1 - clipped)))


def brier(y: np.ndarray, p: np.ndarray) -> float:
    return float(np.mean((p - y) ** 2))


def evaluate_scores(y: np.ndarray, p: np.ndarray) -> dict:
    return {
        "people": int(len(y)),
        "events": int(y.sum()),
        "discrimination": auroc_with_ci(y, p),
        "calibration": calibration(y, p),
        "top_lists": at_top_shares(y, p),
    }


def calibration_bins(y: np.ndarray, p: np.ndarray, bins: int = 10) -> list[tuple[float, float]]:
    """(mean predicted, observed rate) per tenth of people ordered by score."""
    order = np.argsort(p, kind="stable")
    return [(float(p[part].mean()), float(y[part].mean())) for part in np.array_split(order, bins)]


def calibration_svg(y: np.ndarray, p: np.ndarray, title: str) -> str:
    """A self-contained SVG: observed against predicted risk by decile, with the ideal diagonal."""
    points = calibration_bins(y, p)
    top = max(0.01, *(max(a, b) for a, b in points)) * 1.05
    size, margin = 320, 45
    scale = (size - 2 * margin) / top

    def xy(pred: float, obs: float) -> tuple[float, float]:
        return margin + pred * scale, size - margin - obs * scale

    dots = "".join(
        f'<circle cx="{x:.1f}" cy="{y_:.1f}" r="4" fill="#005eb8"/>'
        for x, y_ in (xy(a, b) for a, b in points)
    )
    line = " ".join(f"{x:.1f},{y_:.1f}" for x, y_ in (xy(a, b) for a, b in points))
    x0, y0 = xy(0, 0)
    x1, y1 = xy(top, top)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" '
        f'font-family="sans-serif" font-size="11">'
        f"<title>{title}</title>"
        f'<text x="{margin}" y="20" font-size="13">{title}</text>'
        f'<line x1="{x0}" y1="{y0}" x2="{x1:.1f}" y2="{y1:.1f}" stroke="#999" '
        f'stroke-dasharray="4 3"/>'
        f'<line x1="{x0}" y1="{y0}" x2="{x1:.1f}" y2="{y0}" stroke="#333"/>'
        f'<line x1="{x0}" y1="{y0}" x2="{x0}" y2="{y1:.1f}" stroke="#333"/>'
        f'<polyline points="{line}" fill="none" stroke="#005eb8"/>{dots}'
        f'<text x="{size / 2}" y="{size - 10}" text-anchor="middle">predicted risk '
        f"(0 to {top:.2f})</text>"
        f'<text x="12" y="{size / 2}" transform="rotate(-90 12 {size / 2})" '
        f'text-anchor="middle">observed rate</text></svg>'
    )


def write_calibration_plot(path: Path, y: np.ndarray, p: np.ndarray, title: str) -> None:
    path.write_text(calibration_svg(y, p, title), encoding="utf-8")
