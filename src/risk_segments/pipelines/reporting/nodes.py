"""Nodes of the reporting pipeline: the measured comparison of the two approaches.

Every number in the comparison and the recommendation comes from a node of
this run: label efficiency (supervised vs segment-rate ranking at growing label
counts), segment x risk on the held-out rows, and the metrics and stability
the supervised_risk and segmentation pipelines saved.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

from risk_segments.modeling.features import numeric_features
from risk_segments.modeling.risk_model import RiskModel, feature_spec, prepare_features
from risk_segments.modeling.splits import labels_of, rows_of
from risk_segments.schema import categorical_features

from .comparison import (
    Facts,
    _num,
    atypical_share,
    comparison_table,
    labels_sentence,
    model_card,
    recommendation,
)
from .label_efficiency import (
    EfficiencyData,
    efficiency_rows,
    reference_rows,
    summarise_label_efficiency,
)

logger = logging.getLogger(__name__)


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
    keys = [schema["id_column"], schema["date_column"]]
    train = rows_of(model_input, data_split, schema, "train")
    test = test_predictions[[*keys, "label", "oracle_score"]].merge(
        model_input, on=keys, how="left", suffixes=("", "_input")
    )
    spec = feature_spec(
        train, categorical_features(schema), numeric_features(schema, derived)
    )
    data = EfficiencyData(
        X_train=prepare_features(train, spec),
        y_train=labels_of(train, schema),
        segments_train=_segments_for(train, segment_assignments, keys),
        X_test=prepare_features(test, spec),
        y_test=test["label"].to_numpy(dtype=int),
        segments_test=_segments_for(test, segment_assignments, keys),
        categorical=spec["categorical"],
    )
    rows = efficiency_rows(data, supervised["catboost"], reporting["label_efficiency"])
    rows += reference_rows(
        data.y_train, data.y_test, test["oracle_score"].to_numpy(dtype=float)
    )
    return pd.DataFrame(rows)


def _segment_risk_table(
    test: pd.DataFrame,
    names: pd.Series,
    train_rate: pd.Series,
    overall: float,
    review: float,
) -> pd.DataFrame:
    """Per segment on the held-out rows: size, positives, risk quantiles, review queue."""
    y = test["label"].to_numpy(dtype=int)
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
    return pd.DataFrame(rows).sort_values(
        "positive_rate", ascending=False, ignore_index=True
    )


def _rule_summary(
    test: pd.DataFrame,
    table: pd.DataFrame,
    overall: float,
    risk_model: RiskModel,
) -> dict[str, Any]:
    """What reviewing whole above-average segments finds, against the model at that volume."""
    y, score = (
        test["label"].to_numpy(dtype=int),
        test["risk_score"].to_numpy(dtype=float),
    )
    review = risk_model.thresholds["review_share"]
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
    return {
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
    train = rows_of(model_input, data_split, schema, "train")
    y_train = labels_of(train, schema)
    seg_train = _segments_for(train, segment_assignments, keys)
    names = segment_assignments.drop_duplicates("segment").set_index("segment")[
        "segment_name"
    ]
    test = test_predictions[[*keys, "label", "risk_score"]].copy()
    test["segment"] = _segments_for(test, segment_assignments, keys)
    train_rate = pd.Series(y_train).groupby(seg_train).mean()
    overall = float(y_train.mean())
    table = _segment_risk_table(
        test, names, train_rate, overall, risk_model.thresholds["review_share"]
    )
    summary = _rule_summary(test, table, overall, risk_model)
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
    facts = Facts(
        metrics=metrics,
        efficiency=summarise_label_efficiency(label_efficiency, primary),
        stability=segment_stability,
        rule=segment_risk_summary,
        primary=primary,
        entity=report["entity"],
        period=report.get("period", "month"),
        action=report.get("action", "review"),  # what a team does with a flagged entity
        label=schema["label_column"],
    )
    efficiency, truth = facts.efficiency, segment_stability.get("truth_recovery")
    metric_name = primary.replace("_", "-").upper()
    logger.info(
        "Label efficiency (%s): %s; supervised %s with all %d labels vs segment rate %s",
        metric_name,
        labels_sentence(efficiency, metric_name),
        _num(efficiency["supervised_full"]),
        efficiency["full_labels"],
        _num(efficiency["segment_rate_full"]),
    )
    mom = segment_stability.get("month_over_month")
    return {
        "title": report["title"],
        "entity": facts.entity,
        "period": facts.period,
        "primary_metric": primary,
        "table": comparison_table(facts, segment_profiles, segmentation, score),
        "label_efficiency": efficiency,
        "segment_rule_vs_model": segment_risk_summary,
        "segmentation": {
            "segments": int(segment_stability["segments"]),
            "atypical_share": atypical_share(segment_profiles),
            "share_keeping_segment": mom["share_keeping_segment"] if mom else None,
            "ari_vs_true_archetype": truth["ari_vs_true_archetype"] if truth else None,
            "ceiling_ari": truth.get("ceiling_ari") if truth else None,
            "share_of_recoverable_found": truth.get("share_of_recoverable_found")
            if truth
            else None,
        },
        "recommendation": recommendation(facts, score),
        "model_card": model_card(facts, test_predictions, schema, report),
    }
