"""Nodes of the supervised_risk pipeline: split, train, calibrate, evaluate, explain.

Thin adapters: splitting, fitting, the baseline and the metrics live in
`risk_segments.modeling`; the nodes pick the rows and parameters for them.
"""

from __future__ import annotations

import logging
from typing import Any

import matplotlib

matplotlib.use("Agg")  # headless: figures are saved, never shown

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from risk_segments.modeling.baseline import fit_logistic_baseline, logistic_scores
from risk_segments.modeling.features import numeric_features
from risk_segments.modeling.fitting import (
    augment_missing_block,
    fit_risk_model,
    name_features_without_values,
)
from risk_segments.modeling.metrics import (
    best_f1_threshold,
    bootstrap_count,
    calibration_table,
    evaluate_scores,
    log_test_metrics,
    model_to_oracle,
    paired_difference,
    target_checks,
)
from risk_segments.modeling.monitoring import scoring_reference
from risk_segments.modeling.reasons import (
    feature_label,
    reason_codes,
)
from risk_segments.modeling.risk_model import RiskModel, feature_spec, prepare_features
from risk_segments.modeling.splits import assign_roles, labels_of, rows_of
from risk_segments.schema import categorical_features

logger = logging.getLogger(__name__)


def split_labeled_rows(
    model_input: pd.DataFrame, schema: dict[str, Any], split: dict[str, Any]
) -> pd.DataFrame:
    """Assign each labeled row to train, valid or test, the way the model will be used."""
    return assign_roles(model_input, schema, split)


def train_risk_model(
    model_input: pd.DataFrame,
    data_split: pd.DataFrame,
    schema: dict[str, Any],
    derived: dict[str, Any] | None,
    supervised: dict[str, Any],
) -> RiskModel:
    """Fit CatBoost (native categoricals and missing values), pick the imbalance handling
    by validation PR-AUC, calibrate on validation if it helps, and set thresholds."""
    labeled_train = rows_of(model_input, data_split, schema, "train")
    train = augment_missing_block(labeled_train, supervised.get("augment_missing"))
    valid = rows_of(model_input, data_split, schema, "valid")
    spec = feature_spec(
        train, categorical_features(schema), numeric_features(schema, derived)
    )
    name_features_without_values(labeled_train, spec["features"])
    risk_model = fit_risk_model(
        train,
        labels_of(train, schema),
        valid,
        labels_of(valid, schema),
        spec,
        supervised,
    )
    date_col = schema["date_column"]
    risk_model.info = {
        "label": schema["label_column"],
        **risk_model.info,
        "rows": {"train": len(labeled_train), "valid": len(valid)},
        "augmented_copies": len(train) - len(labeled_train),
        "positive_rate": {
            "train": float(labels_of(labeled_train, schema).mean()),
            "valid": float(labels_of(valid, schema).mean()),
        },
        "train_window": [
            str(train[date_col].min().date()),
            str(train[date_col].max().date()),
        ],
        "valid_window": [
            str(valid[date_col].min().date()),
            str(valid[date_col].max().date()),
        ],
        "catboost_params": dict(supervised["catboost"]),
    }
    _tabulate_shap(risk_model, model_input, supervised)
    return risk_model


def _tabulate_shap(
    risk_model: RiskModel, model_input: pd.DataFrame, supervised: dict[str, Any]
) -> None:
    """SHAP tables for the leaves the model input reaches (up to `shap_table_rows`
    rows, 25K at a time), then for every other leaf from the trees' structure, checked
    against those: scoring then reads reasons from them and learns nothing."""
    rows = int(supervised.get("shap_table_rows", 200_000))
    picked = (
        model_input.sample(rows, random_state=0)
        if len(model_input) > rows
        else model_input
    )
    for start in range(0, len(picked), 25_000):
        risk_model.learn_shap_tables(picked.iloc[start : start + 25_000])
    risk_model.complete_shap_tables()


def train_logistic_baseline(
    model_input: pd.DataFrame,
    data_split: pd.DataFrame,
    schema: dict[str, Any],
    derived: dict[str, Any] | None,
    supervised: dict[str, Any],
) -> dict[str, Any]:
    """A logistic regression (impute + one-hot + scale) on the same training rows."""
    train = rows_of(model_input, data_split, schema, "train")
    valid = rows_of(model_input, data_split, schema, "valid")
    logger.info("Training the logistic baseline on %d rows...", len(train))
    return fit_logistic_baseline(
        train,
        labels_of(train, schema),
        valid,
        labels_of(valid, schema),
        categorical_features(schema),
        numeric_features(schema, derived),
        supervised.get("logistic_baseline", {}),
    )


def build_scoring_reference(
    model_input: pd.DataFrame,
    risk_model: RiskModel,
    schema: dict[str, Any],
    score: dict[str, Any],
) -> dict[str, Any]:
    """Distributions of every feature and of the score on the rows a score run would
    score from this training data (for drift monitoring)."""
    return scoring_reference(model_input, risk_model, schema, score)


def predict_test_rows(
    model_input: pd.DataFrame,
    data_split: pd.DataFrame,
    risk_model: RiskModel,
    logistic_baseline: dict[str, Any],
    truth: pd.DataFrame,
    schema: dict[str, Any],
    supervised: dict[str, Any],
) -> pd.DataFrame:
    """Scores of the model, the baselines and (if known) the oracle on the test rows.
    `supervised.score_baselines` names columns of the table that are scores in their
    own right (a peer model's output): each is reported as a baseline as it stands."""
    test = rows_of(model_input, data_split, schema, "test")
    keys = [schema["id_column"], schema["date_column"]]
    out = test[keys].copy()
    out["label"] = labels_of(test, schema)
    out["risk_score"] = risk_model.predict_proba(test)
    out["logistic_score"] = logistic_scores(logistic_baseline, test)
    for column in supervised.get("score_baselines") or {}:
        if column not in test.columns:
            raise ValueError(
                f"supervised.score_baselines names '{column}', which is not a column of "
                f"the model input (columns: {sorted(map(str, test.columns))[:20]})"
            )
        values = test[column].to_numpy(dtype=float)
        if not np.isfinite(values).all():
            raise ValueError(
                f"score baseline '{column}' has {int((~np.isfinite(values)).sum())} "
                "missing or infinite value(s) on the test rows"
            )
        out[f"baseline:{column}"] = values
    out["prevalence_score"] = risk_model.info["positive_rate"]["train"]
    if truth is not None and len(truth) and "true_probability" in truth.columns:
        oracle = out[keys].merge(
            truth[[*keys, "true_probability"]], on=keys, how="left"
        )
        out["oracle_score"] = oracle["true_probability"].to_numpy()
        if out["oracle_score"].isna().any():
            raise ValueError("truth table does not cover every test row")
    else:
        out["oracle_score"] = np.nan
    return out


def _oracle_metrics(
    test_predictions: pd.DataFrame, y: np.ndarray, boot: dict[str, int]
) -> dict[str, Any] | None:
    """The true probability's metrics (its F1 at its own best threshold), if it is known."""
    if not test_predictions["oracle_score"].notna().all():
        return None
    oracle_score = test_predictions["oracle_score"].to_numpy()
    return evaluate_scores(
        y, oracle_score, threshold=best_f1_threshold(y, oracle_score), **boot
    )


def _paired_vs_best(
    test_predictions: pd.DataFrame,
    y: np.ndarray,
    baselines: dict[str, dict[str, Any]],
    boot: dict[str, int],
) -> dict[str, Any]:
    """The model against the baseline with the best ROC-AUC, on paired replicates."""
    best = max(baselines, key=lambda name: baselines[name]["roc_auc"]["value"])
    column = "logistic_score" if best == "logistic" else f"baseline:{best}"
    return {
        "baseline": best,
        **paired_difference(
            y,
            test_predictions["risk_score"].to_numpy(),
            test_predictions[column].to_numpy(),
            **boot,
        ),
    }


def evaluate_risk_model(
    test_predictions: pd.DataFrame,
    risk_model: RiskModel,
    logistic_baseline: dict[str, Any],
    supervised: dict[str, Any],
) -> dict[str, Any]:
    """Test-set metrics with 95% intervals for the model, the baselines and the oracle."""
    evaluation = supervised["evaluation"]
    y = test_predictions["label"].to_numpy()
    boot = {
        "n_bootstrap": bootstrap_count(evaluation["n_bootstrap"], len(y)),
        "seed": evaluation["seed"],
    }
    scores = {c: test_predictions[c] for c in ("risk_score", "logistic_score")}
    model = evaluate_scores(
        y, scores["risk_score"], threshold=risk_model.thresholds["decision"], **boot
    )
    logistic = evaluate_scores(
        y, scores["logistic_score"], threshold=logistic_baseline["threshold"], **boot
    )
    prevalence = evaluate_scores(y, test_predictions["prevalence_score"], **boot)
    oracle = _oracle_metrics(test_predictions, y, boot)
    named = supervised.get("score_baselines") or {}
    peers = {
        column: evaluate_scores(y, test_predictions[f"baseline:{column}"], **boot)
        for column in named
    }
    metrics: dict[str, Any] = {
        **model,
        "test_rows": len(y),
        "test_positives": int(y.sum()),
        "test_positive_rate": float(y.mean()),
        "baselines": {"logistic": logistic, "prevalence": prevalence, **peers},
        "baseline_labels": {"logistic": "logistic regression", **named},
        "paired_vs_best_baseline": _paired_vs_best(
            test_predictions, y, {"logistic": logistic, **peers}, boot
        ),
        "oracle": oracle,
        "oracle_note": (
            "the true probability from the simulation; its F1 is at its own best threshold on the test rows"
            if oracle
            else "no truth table for this source: the oracle is unknown"
        ),
        "model_to_oracle": model_to_oracle(model, oracle),
        "threshold": risk_model.thresholds,
        "calibration": risk_model.calibration,
        "calibration_curve": {
            "model": calibration_table(y, scores["risk_score"]),
            "logistic": calibration_table(y, scores["logistic_score"]),
        },
        "training": risk_model.info,
    }
    metrics["targets"] = target_checks(metrics, supervised.get("targets", {}))
    log_test_metrics(metrics)
    return metrics


def explain_risk_model(
    risk_model: RiskModel,
    model_input: pd.DataFrame,
    data_split: pd.DataFrame,
    test_predictions: pd.DataFrame,
    schema: dict[str, Any],
    feature_labels: dict[str, str],
    supervised: dict[str, Any],
) -> tuple[pd.DataFrame, plt.Figure, pd.DataFrame]:
    """Global importance (mean |SHAP| and CatBoost's own), a SHAP summary plot,
    and the riskiest test rows with their reason codes."""
    evaluation = supervised["evaluation"]
    test = rows_of(model_input, data_split, schema, "test")
    sample = test.sample(
        n=min(evaluation["shap_sample"], len(test)), random_state=evaluation["seed"]
    )
    contributions = risk_model.shap_values(sample)
    features = risk_model.spec["features"]
    importance = pd.DataFrame(
        {
            "feature": features,
            "label": [feature_label(f, feature_labels) for f in features],
            "kind": [
                "categorical" if f in risk_model.spec["categorical"] else "numeric"
                for f in features
            ],
            "mean_abs_shap": np.abs(contributions).mean(axis=0),
            "catboost_importance": risk_model.model.get_feature_importance(
                type="PredictionValuesChange"
            ),
        }
    )
    importance = importance.sort_values(
        "mean_abs_shap", ascending=False, ignore_index=True
    )
    importance.insert(0, "rank", np.arange(1, len(importance) + 1))

    figure = _shap_summary_figure(
        contributions, prepare_features(sample, risk_model.spec), feature_labels
    )

    keys = [schema["id_column"], schema["date_column"]]
    top = test_predictions.nlargest(evaluation.get("top_examples", 25), "risk_score")[
        [*keys, "label", "risk_score"]
    ]
    top_rows = (
        test.merge(top[keys], on=keys, how="inner")
        .set_index(keys)
        .loc[pd.MultiIndex.from_frame(top[keys])]
        .reset_index()
    )
    reasons = reason_codes(
        risk_model, top_rows, feature_labels, supervised["reasons_top_k"]
    )
    examples = pd.concat(
        [top.reset_index(drop=True), reasons.reset_index(drop=True)], axis=1
    )
    return importance, figure, examples


def _shap_summary_figure(
    contributions: np.ndarray, X: pd.DataFrame, labels: dict[str, str]
) -> plt.Figure:
    import shap

    coded = X.copy()
    for column in coded.columns:
        if coded[column].dtype == object or pd.api.types.is_string_dtype(coded[column]):
            coded[column] = coded[column].astype("category").cat.codes.astype(float)
    coded.columns = [feature_label(c, labels) for c in coded.columns]
    figure = plt.figure(figsize=(9, 8))
    shap.summary_plot(contributions, coded, max_display=20, show=False, plot_size=None)
    plt.title("What drives the risk score (SHAP values, test sample)")
    plt.tight_layout()
    return figure
