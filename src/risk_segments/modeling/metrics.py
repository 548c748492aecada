"""Ranking and threshold metrics with Poisson-bootstrap 95% intervals.

All metrics are computed from one sort of the scores, with a weight per row:
weight 1 gives the plain metric (identical to scikit-learn's), Poisson(1)
weights give a bootstrap replicate, so hundreds of replicates cost one sort.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

RANKING_METRICS = (
    "pr_auc",
    "roc_auc",
    "precision_top_5pct",
    "recall_top_5pct",
    "precision_top_10pct",
    "recall_top_10pct",
    "lift_top_decile",
    "brier",
)
THRESHOLD_METRICS = ("f1", "precision", "recall")


def _sorted_curves(y: np.ndarray, score: np.ndarray, weights: np.ndarray) -> dict:
    """Cumulative weighted positives/negatives at each distinct threshold, best first."""
    order = np.argsort(-score, kind="stable")
    s = score[order]
    w = weights[:, order]
    pos = np.cumsum(w * y[order], axis=1)
    neg = np.cumsum(w * (1 - y[order]), axis=1)
    cum_w = np.cumsum(w, axis=1)
    last_of_tie = np.r_[np.flatnonzero(np.diff(s) != 0), len(s) - 1]
    return {"pos": pos, "neg": neg, "cum_w": cum_w, "ties": last_of_tie, "order": order}


def _pr_auc(c: dict) -> np.ndarray:
    tp = c["pos"][:, c["ties"]]
    fp = c["neg"][:, c["ties"]]
    total_pos = tp[:, -1:]
    precision = tp / np.maximum(tp + fp, 1e-300)
    recall = tp / np.maximum(total_pos, 1e-300)
    d_recall = np.diff(np.concatenate([np.zeros((len(tp), 1)), recall], axis=1), axis=1)
    return (d_recall * precision).sum(axis=1)


def _roc_auc(c: dict) -> np.ndarray:
    tp = c["pos"][:, c["ties"]]
    fp = c["neg"][:, c["ties"]]
    tpr = np.concatenate(
        [np.zeros((len(tp), 1)), tp / np.maximum(tp[:, -1:], 1e-300)], axis=1
    )
    fpr = np.concatenate(
        [np.zeros((len(fp), 1)), fp / np.maximum(fp[:, -1:], 1e-300)], axis=1
    )
    return np.trapezoid(tpr, fpr, axis=1)


def _top_share(c: dict, share: float) -> tuple[np.ndarray, np.ndarray]:
    """Precision and recall among the top `share` of rows by score (by weight)."""
    total = c["cum_w"][:, -1]
    k = np.array(
        [
            np.searchsorted(row, share * t)
            for row, t in zip(c["cum_w"], total, strict=True)
        ]
    )
    k = np.minimum(k, c["cum_w"].shape[1] - 1)
    rows = np.arange(len(k))
    tp = c["pos"][rows, k]
    n_top = c["cum_w"][rows, k]
    return tp / np.maximum(n_top, 1e-300), tp / np.maximum(c["pos"][:, -1], 1e-300)


def _all_metrics(
    y: np.ndarray, score: np.ndarray, weights: np.ndarray, threshold: float | None
) -> dict[str, np.ndarray]:
    c = _sorted_curves(y, score, weights)
    prevalence = c["pos"][:, -1] / c["cum_w"][:, -1]
    out = {"pr_auc": _pr_auc(c), "roc_auc": _roc_auc(c)}
    for share, name in ((0.05, "5pct"), (0.10, "10pct")):
        precision, recall = _top_share(c, share)
        out[f"precision_top_{name}"] = precision
        out[f"recall_top_{name}"] = recall
    out["lift_top_decile"] = out["precision_top_10pct"] / prevalence
    out["brier"] = (weights * (score - y) ** 2).sum(axis=1) / weights.sum(axis=1)
    if threshold is not None:
        flagged = score >= threshold
        tp = (weights * (flagged & (y == 1))).sum(axis=1)
        fp = (weights * (flagged & (y == 0))).sum(axis=1)
        fn = (weights * (~flagged & (y == 1))).sum(axis=1)
        out["precision"] = tp / np.maximum(tp + fp, 1e-300)
        out["recall"] = tp / np.maximum(tp + fn, 1e-300)
        out["f1"] = 2 * tp / np.maximum(2 * tp + fp + fn, 1e-300)
    return out


def evaluate_scores(
    y: np.ndarray,
    score: np.ndarray,
    *,
    threshold: float | None = None,
    n_bootstrap: int = 200,
    seed: int = 0,
    batch: int = 50,
) -> dict[str, Any]:
    """Every metric as {value, ci_low, ci_high} (95% Poisson bootstrap)."""
    y = np.asarray(y, dtype=float)
    score = np.asarray(score, dtype=float)
    if len(y) != len(score) or len(y) == 0:
        raise ValueError("y and score must be non-empty and of equal length")
    if not np.isfinite(score).all():
        raise ValueError("scores contain NaN or inf")
    point = {
        k: float(v[0])
        for k, v in _all_metrics(y, score, np.ones((1, len(y))), threshold).items()
    }
    rng = np.random.default_rng(seed)
    replicates: dict[str, list] = {k: [] for k in point}
    for start in range(0, n_bootstrap, batch):
        size = min(batch, n_bootstrap - start)
        weights = rng.poisson(1.0, size=(size, len(y))).astype(float)
        for k, v in _all_metrics(y, score, weights, threshold).items():
            replicates[k].append(v)
    result = {}
    for k, value in point.items():
        draws = np.concatenate(replicates[k]) if n_bootstrap else np.array([value])
        low, high = np.nanpercentile(draws, [2.5, 97.5])
        result[k] = {"value": value, "ci_low": float(low), "ci_high": float(high)}
    return result


def paired_difference(
    y: np.ndarray,
    score: np.ndarray,
    other: np.ndarray,
    *,
    metrics: tuple[str, ...] = ("roc_auc", "lift_top_decile"),
    n_bootstrap: int = 200,
    seed: int = 0,
    batch: int = 50,
) -> dict[str, dict[str, float]]:
    """metric(score) - metric(other) on the same rows, with a 95% interval from paired
    replicates (the same Poisson weights for both scores in every replicate), and the
    share of replicates in which `score` is ahead."""
    y = np.asarray(y, dtype=float)
    a, b = np.asarray(score, dtype=float), np.asarray(other, dtype=float)
    if not (len(y) == len(a) == len(b)) or len(y) == 0:
        raise ValueError("y and both scores must be non-empty and of equal length")
    ones = np.ones((1, len(y)))
    point_a, point_b = _all_metrics(y, a, ones, None), _all_metrics(y, b, ones, None)
    rng = np.random.default_rng(seed)
    draws: dict[str, list[np.ndarray]] = {m: [] for m in metrics}
    for start in range(0, n_bootstrap, batch):
        weights = rng.poisson(1.0, size=(min(batch, n_bootstrap - start), len(y)))
        weights = weights.astype(float)
        on_a, on_b = (
            _all_metrics(y, a, weights, None),
            _all_metrics(y, b, weights, None),
        )
        for m in metrics:
            draws[m].append(on_a[m] - on_b[m])
    out = {}
    for m in metrics:
        value = float(point_a[m][0] - point_b[m][0])
        d = np.concatenate(draws[m]) if draws[m] else np.array([value])
        low, high = np.nanpercentile(d, [2.5, 97.5])
        out[m] = {
            "value": value,
            "ci_low": float(low),
            "ci_high": float(high),
            "share_ahead": float(np.mean(d > 0)),
        }
    return out


BOOTSTRAP_BUDGET = 20_000_000  # row-replicates: 200 replicates up to 100K test rows


def bootstrap_count(requested: int, rows: int, floor: int = 50) -> int:
    """Bootstrap replicates for a test set of `rows` rows: as requested, but no more
    than the budget allows on a large table (and never fewer than `floor`)."""
    if requested <= 0:
        return 0
    return int(min(requested, max(floor, BOOTSTRAP_BUDGET // max(rows, 1))))


def best_f1_threshold(y: np.ndarray, score: np.ndarray) -> float:
    """The score threshold that maximises F1 (flag rows with score >= threshold)."""
    y = np.asarray(y, dtype=float)
    score = np.asarray(score, dtype=float)
    c = _sorted_curves(y, score, np.ones((1, len(y))))
    tp = c["pos"][0, c["ties"]]
    fp = c["neg"][0, c["ties"]]
    fn = tp[-1] - tp
    f1 = 2 * tp / np.maximum(2 * tp + fp + fn, 1e-300)
    return float(score[c["order"]][c["ties"][int(np.argmax(f1))]])


def share_threshold(score: np.ndarray, share: float) -> float:
    """The score above which the top `share` of rows lie."""
    if not 0 < share < 1:
        raise ValueError(f"share must be in (0, 1), got {share}")
    return float(np.quantile(np.asarray(score, dtype=float), 1 - share))


def calibration_table(
    y: np.ndarray, score: np.ndarray, bins: int = 10
) -> list[dict[str, float]]:
    """Mean predicted vs observed rate per quantile bin of the score."""
    y = np.asarray(y, dtype=float)
    score = np.asarray(score, dtype=float)
    edges = np.unique(np.quantile(score, np.linspace(0, 1, bins + 1)))
    which = np.clip(np.searchsorted(edges, score, side="right") - 1, 0, len(edges) - 2)
    rows = []
    for b in range(len(edges) - 1):
        mask = which == b
        if mask.any():
            rows.append(
                {
                    "bin": b,
                    "mean_predicted": float(score[mask].mean()),
                    "observed_rate": float(y[mask].mean()),
                    "rows": int(mask.sum()),
                }
            )
    return rows


# --------------------------------------------------------------------------- reporting helpers


def model_to_oracle(
    model: dict[str, Any], oracle: dict[str, Any] | None
) -> dict[str, float] | None:
    """The model's PR-AUC and ROC-AUC as shares of the oracle's, if the oracle is known."""
    if not oracle:
        return None
    return {k: model[k]["value"] / oracle[k]["value"] for k in ("pr_auc", "roc_auc")}


def target_checks(
    metrics: dict[str, Any], targets: dict[str, float]
) -> dict[str, dict[str, Any]]:
    """Each target (a metric, or `<metric>_of_oracle`) beside what was measured."""
    checks = {}
    for key, minimum in targets.items():
        if key.endswith("_of_oracle"):
            base = key.removesuffix("_of_oracle")
            value = metrics["model_to_oracle"][base] if metrics["oracle"] else None
        else:
            value = metrics[key]["value"]
        checks[key] = {
            "target": minimum,
            "measured": value,
            "met": None if value is None else value >= minimum,
        }
    return checks


def log_test_metrics(metrics: dict[str, Any]) -> None:
    """One log line with the headline test metrics and the targets."""
    summary = ", ".join(
        f"{k} {v['measured']:.3f} (target {v['target']}, {'met' if v['met'] else 'NOT met'})"
        for k, v in metrics["targets"].items()
        if v["measured"] is not None
    )
    oracle = metrics["oracle"]
    logger.info(
        "Test: PR-AUC %.4f [%.4f, %.4f], ROC-AUC %.4f, F1 %.4f | logistic PR-AUC %.4f | oracle PR-AUC %s | %s",
        metrics["pr_auc"]["value"],
        metrics["pr_auc"]["ci_low"],
        metrics["pr_auc"]["ci_high"],
        metrics["roc_auc"]["value"],
        metrics["f1"]["value"],
        metrics["baselines"]["logistic"]["pr_auc"]["value"],
        f"{oracle['pr_auc']['value']:.4f}" if oracle else "unknown",
        summary,
    )
