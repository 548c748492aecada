"""Nodes of the reporting pipeline: the measured comparison of the two approaches.

Every number in the comparison and the recommendation comes from a node of
this run: label efficiency (supervised vs segment-rate ranking at growing label
counts), segment x risk on the held-out rows, and the metrics and stability
the supervised_risk and segmentation pipelines saved.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import numpy as np
import pandas as pd
from catboost import CatBoostClassifier

from risk_segments.modeling.metrics import evaluate_scores
from risk_segments.modeling.risk_model import RiskModel, feature_spec, prepare_features
from risk_segments.pipelines.supervised_risk.nodes import _label, _rows_of
from risk_segments.schema import categorical_features, numeric_features

logger = logging.getLogger(__name__)

SUPERVISED, SEGMENT_RATE, ORACLE, PREVALENCE = (
    "supervised",
    "segment_rate",
    "oracle",
    "prevalence",
)


# --------------------------------------------------------------------------- helpers


def _segments_for(
    rows: pd.DataFrame, assignments: pd.DataFrame, keys: list[str]
) -> np.ndarray:
    segments = rows[keys].merge(assignments[[*keys, "segment"]], on=keys, how="left")[
        "segment"
    ]
    if segments.isna().any():
        raise ValueError(
            f"{int(segments.isna().sum())} rows have no segment in segment_assignments; "
            "run the segmentation pipeline on the same model_input"
        )
    return segments.to_numpy(dtype=int)


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


def _ranking(y: np.ndarray, score: np.ndarray) -> dict[str, float]:
    metrics = evaluate_scores(y, score, n_bootstrap=0)
    return {k: metrics[k]["value"] for k in ("pr_auc", "roc_auc", "lift_top_decile")}


# --------------------------------------------------------------------------- label efficiency


def measure_label_efficiency(
    model_input: pd.DataFrame,
    data_split: pd.DataFrame,
    segment_assignments: pd.DataFrame,
    test_predictions: pd.DataFrame,
    schema: dict[str, Any],
    derived: dict[str, Any] | None,
    supervised: dict[str, Any],
    reporting: dict[str, Any],
) -> pd.DataFrame:
    """Test ranking quality of CatBoost trained on growing shares of the training labels,
    beside ranking by segment label rate from the same labels, the prevalence and the oracle.

    One row per (method, label share, repeat). CatBoost runs a fixed number of
    trees with no early stopping: a team with 200 labels has no validation set.
    """
    options = reporting["label_efficiency"]
    keys = [schema["id_column"], schema["date_column"]]
    train = _rows_of(model_input, data_split, schema, "train")
    test = test_predictions[[*keys, "label", "oracle_score"]].merge(
        model_input, on=keys, how="left", suffixes=("", "_input")
    )
    y_train, y_test = _label(train, schema), test["label"].to_numpy(dtype=int)
    seg_train = _segments_for(train, segment_assignments, keys)
    seg_test = _segments_for(test, segment_assignments, keys)
    spec = feature_spec(
        train, categorical_features(schema), numeric_features(schema, derived)
    )
    X_train, X_test = prepare_features(train, spec), prepare_features(test, spec)
    catboost = supervised["catboost"]
    rng = np.random.default_rng(options["seed"])

    rows: list[dict[str, Any]] = []
    start = time.perf_counter()
    for share in sorted(options["label_shares"]):
        n = min(len(train), max(int(round(share * len(train))), options["min_labels"]))
        repeats = (
            1
            if n == len(train)
            else int(options.get("small_repeats", options["repeats"]))
            if n < int(options.get("small_below_labels", 0))
            else int(options["repeats"])
        )
        for repeat in range(repeats):
            idx = (
                np.arange(len(train))
                if n == len(train)
                else rng.choice(len(train), n, replace=False)
            )
            y = y_train[idx]
            common = {
                "label_share": share,
                "labels": n,
                "positives": int(y.sum()),
                "repeat": repeat,
            }
            if (
                y.min() == y.max()
            ):  # one class only: nothing to learn, record and move on
                logger.warning(
                    "label share %g repeat %d drew a single class; skipped",
                    share,
                    repeat,
                )
                continue
            model = CatBoostClassifier(
                iterations=options["iterations"],
                learning_rate=options["learning_rate"],
                depth=catboost.get("depth", 6),
                l2_leaf_reg=catboost.get("l2_leaf_reg", 3),
                thread_count=catboost.get("thread_count", -1),
                random_seed=int(options["seed"]) + repeat,
                cat_features=spec["categorical"],
                allow_writing_files=False,
                verbose=False,
            )
            model.fit(X_train.iloc[idx], y)
            raw = model.predict(X_test, prediction_type="RawFormulaVal")
            rows.append({"method": SUPERVISED, **common, **_ranking(y_test, raw)})
            by_segment = segment_rate_scores(
                seg_train[idx], y, seg_test, options["segment_prior_rows"]
            )
            rows.append(
                {"method": SEGMENT_RATE, **common, **_ranking(y_test, by_segment)}
            )
        last = [r for r in rows if r["label_share"] == share]
        logger.info(
            "label efficiency: %6d labels -> supervised PR-AUC %.3f / ROC-AUC %.3f, "
            "segment rate PR-AUC %.3f / ROC-AUC %.3f (%.0f s so far)",
            n,
            np.mean(
                [r["pr_auc"] for r in last if r["method"] == SUPERVISED] or [np.nan]
            ),
            np.mean(
                [r["roc_auc"] for r in last if r["method"] == SUPERVISED] or [np.nan]
            ),
            np.mean(
                [r["pr_auc"] for r in last if r["method"] == SEGMENT_RATE] or [np.nan]
            ),
            np.mean(
                [r["roc_auc"] for r in last if r["method"] == SEGMENT_RATE] or [np.nan]
            ),
            time.perf_counter() - start,
        )
    reference = {
        "label_share": np.nan,
        "labels": len(train),
        "positives": int(y_train.sum()),
        "repeat": 0,
    }
    rows.append(
        {
            "method": PREVALENCE,
            **reference,
            "pr_auc": float(y_test.mean()),
            "roc_auc": 0.5,
            "lift_top_decile": 1.0,
        }
    )
    oracle = test["oracle_score"].to_numpy(dtype=float)
    if np.isfinite(oracle).all():
        rows.append({"method": ORACLE, **reference, **_ranking(y_test, oracle)})
    return pd.DataFrame(rows)


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


# --------------------------------------------------------------------------- segment x risk


def relate_segments_to_risk(
    test_predictions: pd.DataFrame,
    segment_assignments: pd.DataFrame,
    model_input: pd.DataFrame,
    data_split: pd.DataFrame,
    risk_model: RiskModel,
    schema: dict[str, Any],
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Risk scores and positives per segment on the held-out rows, and what a rule that
    reviews whole above-average segments finds compared with the model at the same volume."""
    keys = [schema["id_column"], schema["date_column"]]
    train = _rows_of(model_input, data_split, schema, "train")
    y_train = _label(train, schema)
    seg_train = _segments_for(train, segment_assignments, keys)
    names = segment_assignments.drop_duplicates("segment").set_index("segment")[
        "segment_name"
    ]
    test = test_predictions[[*keys, "label", "risk_score"]].copy()
    test["segment"] = _segments_for(test, segment_assignments, keys)
    y, score = (
        test["label"].to_numpy(dtype=int),
        test["risk_score"].to_numpy(dtype=float),
    )
    review = risk_model.thresholds["review_share"]
    train_rate = pd.Series(y_train).groupby(seg_train).mean()
    overall = float(y_train.mean())

    rows = []
    for s, part in test.groupby("segment"):
        p = part["risk_score"].to_numpy()
        positives = int(part["label"].sum())
        flagged = p >= review
        rows.append(
            {
                "segment": int(s),
                "segment_name": names.get(s, f"segment {s}"),
                "test_rows": len(part),
                "share_of_rows": len(part) / len(test),
                "positives": positives,
                "positive_rate": positives / len(part),
                "share_of_positives": positives / max(int(y.sum()), 1),
                "train_label_rate": float(train_rate.get(s, np.nan)),
                "above_average_segment": bool(train_rate.get(s, 0.0) > overall),
                "risk_p10": float(np.quantile(p, 0.10)),
                "risk_p50": float(np.quantile(p, 0.50)),
                "risk_p90": float(np.quantile(p, 0.90)),
                "share_in_model_review": float(flagged.mean()),
                "positives_in_model_review": int(
                    part["label"].to_numpy()[flagged].sum()
                ),
            }
        )
    table = pd.DataFrame(rows).sort_values(
        "positive_rate", ascending=False, ignore_index=True
    )

    rule = (
        test["segment"]
        .isin(table.loc[table["above_average_segment"], "segment"])
        .to_numpy()
    )
    n_flag = int(rule.sum())
    top = np.zeros(len(test), dtype=bool)
    top[np.argsort(-score, kind="stable")[:n_flag]] = True
    hidden = ~rule & (y == 1)
    total_pos = max(int(y.sum()), 1)
    summary = {
        "test_rows": len(test),
        "test_positives": int(y.sum()),
        "overall_train_rate": overall,
        "rule": "review every row of the segments whose training label rate is above the overall rate",
        "rule_segments": table.loc[
            table["above_average_segment"], "segment_name"
        ].tolist(),
        "rule_flagged_share": n_flag / len(test),
        "rule_recall": float((rule & (y == 1)).sum() / total_pos),
        "rule_precision": float(y[rule].mean()) if n_flag else None,
        "model_recall_same_volume": float((top & (y == 1)).sum() / total_pos),
        "model_precision_same_volume": float(y[top].mean()) if n_flag else None,
        "hidden_positive_share": float(hidden.sum() / total_pos),
        "hidden_positives": int(hidden.sum()),
        "hidden_caught_by_model_same_volume": float(
            (hidden & top).sum() / max(int(hidden.sum()), 1)
        ),
        "review_threshold": float(review),
        "review_share": float(risk_model.thresholds["review_share_value"]),
        "hidden_in_model_review": int((hidden & (score >= review)).sum()),
    }
    logger.info(
        "Segment rule (%d above-average segments) flags %.1f%% of test rows and finds %.1f%% of "
        "positives; the model finds %.1f%% at the same volume; %.1f%% of positives sit in "
        "below-average segments",
        len(summary["rule_segments"]),
        100 * summary["rule_flagged_share"],
        100 * summary["rule_recall"],
        100 * summary["model_recall_same_volume"],
        100 * summary["hidden_positive_share"],
    )
    return table, summary


# --------------------------------------------------------------------------- comparison


def _pct(value: float | None, digits: int = 1) -> str:
    return (
        "n/a"
        if value is None or not np.isfinite(value)
        else f"{100 * value:.{digits}f}%"
    )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _num(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None or not np.isfinite(value) else f"{value:.{digits}f}"


def _with_ci(metric: dict[str, float]) -> str:
    return f"{metric['value']:.3f} [{metric['ci_low']:.3f}, {metric['ci_high']:.3f}]"


def _stability_line(
    stability: dict[str, Any], entity: str, period: str
) -> tuple[str, float | None]:
    jaccard = stability["resampling"]["jaccard_per_segment"]
    low = min(jaccard.values()) if jaccard else None
    mom = stability.get("month_over_month")
    if mom:
        return (
            f"{_pct(mom['share_keeping_segment'])} of {entity}s keep their segment from one {period} "
            f"to the next; resampling Jaccard per segment at least {_num(low, 2)}",
            mom["share_keeping_segment"],
        )
    return (
        f"refits on resamples agree with ARI {_num(stability['resampling']['ari_mean'], 2)}; "
        f"resampling Jaccard per segment at least {_num(low, 2)}",
        None,
    )


def compare_approaches(
    metrics: dict[str, Any],
    segment_stability: dict[str, Any],
    segment_profiles: pd.DataFrame,
    label_efficiency: pd.DataFrame,
    segment_risk_summary: dict[str, Any],
    test_predictions: pd.DataFrame,
    schema: dict[str, Any],
    segmentation: dict[str, Any],
    report: dict[str, Any],
    score: dict[str, Any],
) -> dict[str, Any]:
    """The comparison table, the label-efficiency answer, the recommendation and the
    model card, every figure taken from this run's outputs."""
    primary = report["primary_metric"]
    efficiency = summarise_label_efficiency(label_efficiency, primary)
    entity = report["entity"]
    training = metrics["training"]
    logistic = metrics["baselines"]["logistic"]
    oracle = metrics.get("oracle")
    period = report.get("period", "month")
    action = report.get("action", "review")  # what a team does with a flagged entity
    stability_text, keep_share = _stability_line(segment_stability, entity, period)
    truth = segment_stability.get("truth_recovery")
    n_segments = int(segment_stability["segments"])
    atypical = float(
        (segment_profiles["atypical_share"] * segment_profiles["rows"]).sum()
        / segment_profiles["rows"].sum()
    )
    label = schema["label_column"]
    oracle_text = (
        f"; the oracle (true probability) reaches {_num(oracle[primary]['value'])}"
        if oracle
        else ""
    )

    table = [
        {
            "aspect": "Objective",
            "supervised": f"predict `{label}` for each {entity}: a calibrated probability and a decision",
            "segmentation": f"group {entity}s by behaviour into a few named segments, no label used",
        },
        {
            "aspect": "Inputs",
            "supervised": (
                f"{training['rows']['train']:,} labeled training rows ({_pct(training['positive_rate']['train'])} "
                f"positive) and {training['rows']['valid']:,} validation rows; the label must be known"
            ),
            "segmentation": (
                f"all rows, labeled or not: {int(segment_profiles['rows'].sum()):,}; "
                f"{len(segmentation['features'])} behavioural features, no label"
            ),
        },
        {
            "aspect": "Outputs",
            "supervised": f"probability, risk tier, decision at threshold {metrics['threshold']['decision']:.3f}, top reasons per row",
            "segmentation": f"{n_segments} segments with names, profiles and a suggested action; atypical flag ({_pct(atypical)} of rows)",
        },
        {
            "aspect": "Evaluation",
            "supervised": (
                f"held-out {metrics['test_rows']:,} rows: PR-AUC {_with_ci(metrics['pr_auc'])}, "
                f"ROC-AUC {_with_ci(metrics['roc_auc'])}; logistic PR-AUC {_num(logistic['pr_auc']['value'])}, "
                f"prevalence {_num(metrics['test_positive_rate'])}"
                + (
                    f"; oracle PR-AUC {_num(oracle['pr_auc']['value'])}"
                    if oracle
                    else ""
                )
            ),
            "segmentation": (
                stability_text
                + (
                    f"; agreement with the true archetypes ARI {_num(truth['ari_vs_true_archetype'], 2)}"
                    if truth
                    else ""
                )
                + f"; ranking by segment label rate: {primary.replace('_', '-').upper()} {_num(efficiency['segment_rate_full'])}"
            ),
        },
        {
            "aspect": "Retraining",
            "supervised": "when labels mature (new labeled months) or input drift (PSI) passes "
            f"{score['psi_warning']}; needs fresh labels each time",
            "segmentation": "refit when segment shares drift or on a fixed cadence; no labels, but segment names and actions need a human review after a refit",
        },
        {
            "aspect": "Failure modes",
            "supervised": "label delay and label noise; drift in inputs; a threshold that no longer matches review capacity",
            "segmentation": "segments describe typical behaviour, not individual risk: "
            f"{_pct(segment_risk_summary['hidden_positive_share'])} of positives sit in below-average segments",
        },
    ]

    metric_name = primary.replace("_", "-").upper()
    if efficiency["status"] == "ahead_from_smallest":
        labels_sentence = (
            f"Labels pay off early: with only {efficiency['overtake_labels']:,} labels "
            f"(about {efficiency['overtake_positives']:.0f} positives) the supervised model already ranks better "
            f"than segment label rates ({metric_name} {efficiency['supervised_mean'][0]:.3f} ± "
            f"{efficiency['supervised_sd'][0]:.3f} vs {efficiency['segment_rate_mean'][0]:.3f} ± "
            f"{efficiency['segment_rate_sd'][0]:.3f} over repeats), the smallest label set tried."
        )
    elif efficiency["status"] == "overtakes":
        behind = efficiency["behind_at_labels"]
        smaller = [
            n for n in efficiency["label_counts"] if n < efficiency["overtake_labels"]
        ]
        labels_sentence = (
            f"Below {efficiency['overtake_labels']:,} labels the supervised model does not stay ahead: it trails "
            f"ranking by segment label rate at {len(behind)} of the {len(smaller)} smaller label counts tried "
            f"({', '.join(f'{n:,}' for n in behind)}); from {efficiency['overtake_labels']:,} labels "
            f"(about {efficiency['overtake_positives']:,.0f} positives) on it stays ahead."
        )
    else:
        labels_sentence = (
            "With the label counts tried, the supervised model never stayed ahead of ranking by segment label rate: "
            "collect more labels before relying on a score."
        )
    recommendation = [
        (
            f"Decide on individual {entity}s with the supervised score. On {metrics['test_rows']:,} held-out rows "
            f"it reaches {metric_name} {_with_ci(metrics[primary])} against {_num(logistic[primary]['value'])} for a "
            f"logistic regression and {_num(efficiency['prevalence'])} for no model{oracle_text}. Its top 10% "
            f"holds {_pct(metrics['recall_top_10pct']['value'])} of the positives (lift {metrics['lift_top_decile']['value']:.2f})."
        ),
        labels_sentence
        + (
            f" With all {efficiency['full_labels']:,} training labels it reaches {efficiency['supervised_full']:.3f}; "
            f"{efficiency['labels_for_95pct_of_full']:,} labels already give 95% of that."
            if efficiency["labels_for_95pct_of_full"]
            else ""
        ),
        (
            f"Use the segments to understand and plan, not to pick individuals. {action.capitalize()}ing every {entity} of the "
            f"{_count(len(segment_risk_summary['rule_segments']), 'above-average segment')} flags "
            f"{_pct(segment_risk_summary['rule_flagged_share'])} of rows and finds "
            f"{_pct(segment_risk_summary['rule_recall'])} of the positives; the model finds "
            f"{_pct(segment_risk_summary['model_recall_same_volume'])} with the same number of {action}s. "
            f"{_pct(segment_risk_summary['hidden_positive_share'])} of the positives "
            f"({segment_risk_summary['hidden_positives']:,}) sit in below-average segments, where a segment rule never looks."
        ),
        (
            f"Where labels are missing (new markets, a new kind of risk, the unlabeled part of the base) the segments "
            f"are the tool: they need no labels, and {stability_text}."
        ),
        (
            f"In production run both from the same preprocessed rows: `kedro run --pipeline=score` gives every "
            f"{entity} its score, tier, reasons and segment in one pass. Build the {action} list from the score; "
            f"report and plan by segment; watch `score_monitoring` (PSI warning at {score['psi_warning']}) and the "
            f"segment shares, and retrain the score when labels mature or drift appears."
        ),
    ]
    date_col = schema["date_column"]
    dates = pd.to_datetime(test_predictions[date_col])
    model_card = {
        "label": label,
        "train_window": training["train_window"],
        "valid_window": training["valid_window"],
        "test_window": [str(dates.min().date()), str(dates.max().date())],
        "rows": {**training["rows"], "test": metrics["test_rows"]},
        "positive_rate": {
            **training["positive_rate"],
            "test": metrics["test_positive_rate"],
        },
        "imbalance": training["imbalance"],
        "calibration": metrics["calibration"]["method"],
        "trees": training["best_iteration"],
        "threshold": {
            k: metrics["threshold"][k] for k in ("strategy", "decision", "review_share")
        },
        "metrics": {
            k: metrics[k]
            for k in (
                "pr_auc",
                "roc_auc",
                "f1",
                "precision",
                "recall",
                "lift_top_decile",
                "brier",
            )
        },
        "model_to_oracle": metrics.get("model_to_oracle"),
        "targets": metrics.get("targets"),
        "limitations": list(report.get("limitations", [])),
    }
    logger.info(
        "Label efficiency (%s): %s; supervised %s with all %d labels vs segment rate %s",
        metric_name,
        labels_sentence,
        _num(efficiency["supervised_full"]),
        efficiency["full_labels"],
        _num(efficiency["segment_rate_full"]),
    )
    return {
        "title": report["title"],
        "entity": entity,
        "period": period,
        "primary_metric": primary,
        "table": table,
        "label_efficiency": efficiency,
        "segment_rule_vs_model": segment_risk_summary,
        "segmentation": {
            "segments": n_segments,
            "atypical_share": atypical,
            "share_keeping_segment": keep_share,
            "ari_vs_true_archetype": truth["ari_vs_true_archetype"] if truth else None,
        },
        "recommendation": recommendation,
        "model_card": model_card,
    }
