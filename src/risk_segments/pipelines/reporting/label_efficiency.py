"""Label efficiency: supervised ranking vs segment label rates at growing label counts.

What a team with n labels gets from each approach: CatBoost trained on n labels
(fixed trees, no validation split) against ranking every row by its segment's
label rate estimated from the same n labels. Both are measured on the held-out
rows; the summary says from how many labels supervision stays ahead.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from risk_segments.modeling.fitting import fit_fixed_trees
from risk_segments.modeling.metrics import evaluate_scores

logger = logging.getLogger(__name__)

SUPERVISED, SEGMENT_RATE, ORACLE, PREVALENCE = (
    "supervised",
    "segment_rate",
    "oracle",
    "prevalence",
)


@dataclass
class EfficiencyData:
    """The prepared training and held-out rows label efficiency draws from."""

    X_train: pd.DataFrame
    y_train: np.ndarray
    segments_train: np.ndarray
    X_test: pd.DataFrame
    y_test: np.ndarray
    segments_test: np.ndarray
    categorical: list[str]


def segment_rate_scores(
    train_segments: np.ndarray,
    train_labels: np.ndarray,
    score_segments: np.ndarray,
    prior_rows: float,
) -> np.ndarray:
    """Score rows by their segment's label rate, shrunk towards the overall rate.

    This is what a team that only has segments and a few labels would do: rank
    whole segments by how often their labeled members turned out positive.
    """
    overall = float(train_labels.mean())
    frame = pd.DataFrame({"segment": train_segments, "y": train_labels})
    stats = frame.groupby("segment")["y"].agg(["sum", "count"])
    rate = (stats["sum"] + prior_rows * overall) / (stats["count"] + prior_rows)
    return pd.Series(score_segments).map(rate).fillna(overall).to_numpy(dtype=float)


def ranking(y: np.ndarray, score: np.ndarray) -> dict[str, float]:
    """PR-AUC, ROC-AUC and top-decile lift of a score, without intervals."""
    metrics = evaluate_scores(y, score, n_bootstrap=0)
    return {k: metrics[k]["value"] for k in ("pr_auc", "roc_auc", "lift_top_decile")}


def label_counts(
    n_train: int, options: dict[str, Any]
) -> Iterator[tuple[float, int, int]]:
    """(share, labels, repeats) for every distinct label count the shares give.

    Shares that round to the same count (small tables hit `min_labels` often)
    are measured once. Repeats follow the count: many where few labels make the
    result noisy, one where the count is large enough to be steady (and costly).
    """
    seen = set()
    for share in sorted(options["label_shares"]):
        n = min(n_train, max(int(round(share * n_train)), options["min_labels"]))
        if n in seen:
            continue
        seen.add(n)
        if n == n_train or n >= int(options.get("single_above_labels", n_train)):
            repeats = 1
        elif n < int(options.get("small_below_labels", 0)):
            repeats = int(options.get("small_repeats", options["repeats"]))
        else:
            repeats = int(options["repeats"])
        yield share, n, repeats


def trees_for(labels: int, options: dict[str, Any]) -> int:
    """Fixed trees for a model on `labels` labels: as many as labels, within
    [`min_iterations`, `iterations`] (a few dozen labels cannot use 300 trees)."""
    low = int(options.get("min_iterations", options["iterations"]))
    return int(min(options["iterations"], max(low, labels)))


def borders_for(labels: int, options: dict[str, Any], catboost: dict[str, Any]) -> int:
    """Split candidates per numeric feature for a model on `labels` labels: one per
    `labels_per_border` labels, at least 32, at most CatBoost's own setting (254 by
    default). A few hundred labels cannot use 254 borders, and on a wide table the
    borders are most of the fitting time."""
    cap = int(catboost.get("border_count", 254))
    per = options.get("labels_per_border")
    return cap if not per else int(min(cap, max(32, labels // int(per))))


def _one_draw(
    data: EfficiencyData,
    idx: np.ndarray,
    catboost: dict[str, Any],
    options: dict[str, Any],
    common: dict[str, Any],
) -> list[dict[str, Any]]:
    """Both methods trained on the labels of rows `idx`, ranked on the held-out rows."""
    y = data.y_train[idx]
    model = fit_fixed_trees(
        data.X_train.iloc[idx],
        y,
        data.categorical,
        catboost,
        iterations=trees_for(len(idx), options),
        border_count=borders_for(len(idx), options, catboost),
        learning_rate=options["learning_rate"],
        random_seed=int(options["seed"]) + common["repeat"],
    )
    raw = model.predict(data.X_test, prediction_type="RawFormulaVal")
    by_segment = segment_rate_scores(
        data.segments_train[idx], y, data.segments_test, options["segment_prior_rows"]
    )
    return [
        {"method": SUPERVISED, **common, **ranking(data.y_test, raw)},
        {"method": SEGMENT_RATE, **common, **ranking(data.y_test, by_segment)},
    ]


def _log_share(rows: list[dict[str, Any]], n: int, seconds: float) -> None:
    def mean(method: str, metric: str) -> float:
        values = [r[metric] for r in rows if r["method"] == method]
        return float(np.mean(values)) if values else float("nan")

    logger.info(
        "label efficiency: %6d labels -> supervised PR-AUC %.3f / ROC-AUC %.3f, "
        "segment rate PR-AUC %.3f / ROC-AUC %.3f (%.0f s so far)",
        n,
        mean(SUPERVISED, "pr_auc"),
        mean(SUPERVISED, "roc_auc"),
        mean(SEGMENT_RATE, "pr_auc"),
        mean(SEGMENT_RATE, "roc_auc"),
        seconds,
    )


def efficiency_rows(
    data: EfficiencyData, catboost: dict[str, Any], options: dict[str, Any]
) -> list[dict[str, Any]]:
    """One row per (method, label share, repeat) for the supervised model and segment rates."""
    rng = np.random.default_rng(options["seed"])
    n_train = len(data.y_train)
    rows: list[dict[str, Any]] = []
    start = time.perf_counter()
    for share, n, repeats in label_counts(n_train, options):
        for repeat in range(repeats):
            idx = (
                np.arange(n_train)
                if n == n_train
                else rng.choice(n_train, n, replace=False)
            )
            y = data.y_train[idx]
            common = {
                "label_share": share,
                "labels": n,
                "positives": int(y.sum()),
                "repeat": repeat,
            }
            if y.min() == y.max():  # a draw of one class: nothing to learn from it
                # (50 labels at 8% positives hold none 1% of the time: chance, not a
                # problem of the table, so not a warning)
                logger.info(
                    "label efficiency: %d labels (draw %d) hold one class only; that "
                    "draw is left out of the point",
                    n,
                    repeat + 1,
                )
                continue
            rows += _one_draw(data, idx, catboost, options, common)
        _log_share(
            [r for r in rows if r["label_share"] == share],
            n,
            time.perf_counter() - start,
        )
    return rows


def reference_rows(
    y_train: np.ndarray, y_test: np.ndarray, oracle: np.ndarray
) -> list[dict[str, Any]]:
    """The prevalence (no model) and, if known, the oracle, at the full label count."""
    reference = {
        "label_share": np.nan,
        "labels": len(y_train),
        "positives": int(y_train.sum()),
        "repeat": 0,
    }
    rows = [
        {
            "method": PREVALENCE,
            **reference,
            "pr_auc": float(y_test.mean()),
            "roc_auc": 0.5,
            "lift_top_decile": 1.0,
        }
    ]
    if np.isfinite(oracle).all():
        rows.append({"method": ORACLE, **reference, **ranking(y_test, oracle)})
    return rows


def summarise_label_efficiency(
    label_efficiency: pd.DataFrame, metric: str
) -> dict[str, Any]:
    """Mean curve per method and the label count at which supervision overtakes segments.

    `overtake_labels` is the smallest label count from which the supervised mean
    stays above the segment-rate mean at every larger count tried.
    """
    curves = (
        label_efficiency.loc[
            label_efficiency["method"].isin([SUPERVISED, SEGMENT_RATE])
        ]
        .groupby(["method", "labels"])[metric]
        .agg(["mean", "std", "count"])
        .reset_index()
    )
    sup = curves.loc[curves["method"] == SUPERVISED].set_index("labels")
    seg = curves.loc[curves["method"] == SEGMENT_RATE].set_index("labels")
    counts = sorted(set(sup.index) & set(seg.index))
    if not counts:
        raise ValueError("label_efficiency has no label count with both methods")
    ahead = [bool(sup.loc[n, "mean"] > seg.loc[n, "mean"]) for n in counts]
    overtake = None
    for i in range(len(counts)):
        if all(ahead[i:]):
            overtake = counts[i]
            break
    full = float(sup.loc[counts[-1], "mean"])
    enough = [n for n in counts if sup.loc[n, "mean"] >= 0.95 * full]
    positives = label_efficiency.groupby("labels")["positives"].mean()
    fixed = label_efficiency.set_index("method")
    return {
        "metric": metric,
        "label_counts": [int(n) for n in counts],
        "supervised_mean": [float(sup.loc[n, "mean"]) for n in counts],
        "supervised_sd": [float(np.nan_to_num(sup.loc[n, "std"])) for n in counts],
        "segment_rate_mean": [float(seg.loc[n, "mean"]) for n in counts],
        "segment_rate_sd": [float(np.nan_to_num(seg.loc[n, "std"])) for n in counts],
        "overtake_labels": None if overtake is None else int(overtake),
        "overtake_positives": None
        if overtake is None
        else float(positives.loc[overtake]),
        "status": (
            "never"
            if overtake is None
            else "ahead_from_smallest"
            if overtake == counts[0]
            else "overtakes"
        ),
        "behind_at_labels": [
            int(n) for n, a in zip(counts, ahead, strict=True) if not a
        ],
        "labels_for_95pct_of_full": int(enough[0]) if enough else None,
        "full_labels": int(counts[-1]),
        "supervised_full": full,
        "segment_rate_full": float(seg.loc[counts[-1], "mean"]),
        "prevalence": float(fixed.loc[PREVALENCE, metric])
        if PREVALENCE in fixed.index
        else None,
        "oracle": float(fixed.loc[ORACLE, metric]) if ORACLE in fixed.index else None,
    }
