"""Nodes of the supervised_risk pipeline: split, train, calibrate, evaluate, explain."""

from __future__ import annotations

import logging
import time
from typing import Any

import matplotlib

matplotlib.use("Agg")  # headless: figures are saved, never shown

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from catboost import CatBoostClassifier
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.model_selection import StratifiedKFold, train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from risk_segments.modeling.metrics import (
    best_f1_threshold,
    calibration_table,
    evaluate_scores,
    share_threshold,
)
from risk_segments.modeling.reasons import (
    feature_label,
    reason_codes,
    shap_contributions,
)
from risk_segments.modeling.risk_model import (
    MISSING_CATEGORY,
    RiskModel,
    feature_spec,
    prepare_features,
)
from risk_segments.schema import categorical_features, numeric_features

logger = logging.getLogger(__name__)
ROLES = ("train", "valid", "test")


# --------------------------------------------------------------------------- split


def split_labeled_rows(
    model_input: pd.DataFrame, schema: dict[str, Any], split: dict[str, Any]
) -> pd.DataFrame:
    """Assign each labeled row to train, valid or test, the way the model will be used."""
    id_col, date_col, label_col = (
        schema["id_column"],
        schema["date_column"],
        schema["label_column"],
    )
    labeled = model_input.loc[
        model_input[label_col].notna(), [id_col, date_col, label_col]
    ]
    if labeled.empty:
        raise ValueError(f"no labeled rows: column '{label_col}' is empty everywhere")
    strategy = split["strategy"]
    if strategy == "time":
        dates = np.sort(labeled[date_col].unique())
        n_test, n_valid = int(split["test_periods"]), int(split["valid_periods"])
        if len(dates) < n_test + n_valid + 1:
            raise ValueError(
                f"a time split needs at least {n_test + n_valid + 1} labeled snapshot dates "
                f"in '{date_col}', found {len(dates)}"
            )
        role = np.where(
            labeled[date_col].isin(dates[-n_test:]),
            "test",
            np.where(
                labeled[date_col].isin(dates[-(n_test + n_valid) : -n_test]),
                "valid",
                "train",
            ),
        )
    elif strategy == "stratified":
        y = labeled[label_col].astype(int).to_numpy()
        index = np.arange(len(labeled))
        rest, test = train_test_split(
            index, test_size=split["test_size"], stratify=y, random_state=split["seed"]
        )
        train, valid = train_test_split(
            rest,
            test_size=split["valid_size"],
            stratify=y[rest],
            random_state=split["seed"],
        )
        role = np.empty(len(labeled), dtype=object)
        role[train], role[valid], role[test] = "train", "valid", "test"
    else:
        raise ValueError(
            f"split.strategy must be 'time' or 'stratified', got '{strategy}'"
        )
    out = labeled[[id_col, date_col]].assign(role=role).reset_index(drop=True)
    for name in ROLES:
        mask = role == name
        logger.info(
            "split %-5s: %7d rows, positive rate %.3f, dates %s to %s",
            name,
            int(mask.sum()),
            float(labeled[label_col].to_numpy()[mask].astype(float).mean()),
            str(pd.Timestamp(labeled[date_col].to_numpy()[mask].min()).date()),
            str(pd.Timestamp(labeled[date_col].to_numpy()[mask].max()).date()),
        )
    return out


def _rows_of(
    model_input: pd.DataFrame, data_split: pd.DataFrame, schema: dict, role: str
) -> pd.DataFrame:
    keys = [schema["id_column"], schema["date_column"]]
    wanted = data_split.loc[data_split["role"] == role, keys]
    rows = model_input.merge(wanted, on=keys, how="inner")
    if len(rows) != len(wanted):
        raise ValueError(
            f"{len(wanted) - len(rows)} '{role}' rows of the split are not in model_input"
        )
    return rows


def _label(frame: pd.DataFrame, schema: dict) -> np.ndarray:
    return frame[schema["label_column"]].astype(int).to_numpy()


# --------------------------------------------------------------------------- CatBoost


def _fit_catboost(
    train: pd.DataFrame,
    valid: pd.DataFrame,
    spec: dict,
    schema: dict,
    catboost: dict,
    class_weights: str | None,
) -> CatBoostClassifier:
    params = dict(catboost)
    early = params.pop("early_stopping_rounds", 100)
    model = CatBoostClassifier(
        **params,
        loss_function="Logloss",
        eval_metric="PRAUC",
        auto_class_weights=class_weights,
        od_type="Iter",
        od_wait=early,
        use_best_model=True,
        cat_features=spec["categorical"],
        allow_writing_files=False,
        verbose=max(int(params.get("iterations", 1000)) // 5, 1),
    )
    model.fit(
        prepare_features(train, spec),
        _label(train, schema),
        eval_set=(prepare_features(valid, spec), _label(valid, schema)),
    )
    return model


def _cross_fitted_platt(raw: np.ndarray, y: np.ndarray, seed: int) -> np.ndarray:
    """Platt-scaled probabilities for each validation row from a fit on the other half."""
    out = np.empty(len(raw))
    folds = StratifiedKFold(n_splits=2, shuffle=True, random_state=seed)
    for fit_idx, apply_idx in folds.split(raw.reshape(-1, 1), y):
        platt = LogisticRegression(C=1e6).fit(raw[fit_idx].reshape(-1, 1), y[fit_idx])
        out[apply_idx] = platt.predict_proba(raw[apply_idx].reshape(-1, 1))[:, 1]
    return out


def augment_missing_block(
    train: pd.DataFrame, options: dict[str, Any] | None
) -> pd.DataFrame:
    """Append copies of a share of the training rows with a block of features blanked.

    For a block that goes missing together where the model is used but never in the
    labeled rows (a tracking gap loses the whole clickstream): the copies keep their
    true label, so CatBoost learns what a row without the block means instead of
    reading a missing value as an extreme one.
    """
    if not options or not options.get("features"):
        return train
    missing = [c for c in options["features"] if c not in train.columns]
    if missing:
        raise ValueError(
            f"supervised.augment_missing.features not in model_input: {missing}"
        )
    rng = np.random.default_rng(options.get("seed", 0))
    picked = rng.random(len(train)) < float(options["share"])
    copies = train.loc[picked].copy()
    copies[list(options["features"])] = np.nan
    logger.info(
        "Training on %d extra copies of rows with %d features blanked (%s)",
        len(copies),
        len(options["features"]),
        options.get("why", "missing together at scoring"),
    )
    return pd.concat([train, copies], ignore_index=True)


def train_risk_model(
    model_input: pd.DataFrame,
    data_split: pd.DataFrame,
    schema: dict[str, Any],
    derived: dict[str, Any] | None,
    supervised: dict[str, Any],
) -> RiskModel:
    """Fit CatBoost (native categoricals and missing values), pick the imbalance handling
    by validation PR-AUC, calibrate on validation if it helps, and set thresholds."""
    labeled_train = _rows_of(model_input, data_split, schema, "train")
    train = augment_missing_block(labeled_train, supervised.get("augment_missing"))
    valid = _rows_of(model_input, data_split, schema, "valid")
    spec = feature_spec(
        train, categorical_features(schema), numeric_features(schema, derived)
    )
    y_valid = _label(valid, schema)

    candidates = {}
    for choice in supervised["imbalance_candidates"]:
        start = time.perf_counter()
        logger.info(
            "Training CatBoost (%s class weights) on %d rows...", choice, len(train)
        )
        model = _fit_catboost(
            train,
            valid,
            spec,
            schema,
            supervised["catboost"],
            None if choice == "none" else "Balanced",
        )
        candidate = RiskModel(model=model, spec=spec)
        raw = candidate.raw_score(valid)
        pr_auc = evaluate_scores(y_valid, raw, n_bootstrap=0)["pr_auc"]["value"]
        candidates[choice] = {"model": model, "raw": raw, "valid_pr_auc": pr_auc}
        logger.info(
            "  %s: validation PR-AUC %.4f at %d trees (%.0f s)",
            choice,
            pr_auc,
            model.get_best_iteration() + 1,
            time.perf_counter() - start,
        )
    chosen = max(candidates, key=lambda k: candidates[k]["valid_pr_auc"])
    raw = candidates[chosen]["raw"]

    # calibration: does Platt scaling improve held-out log-loss on validation (cross-fitted)?
    uncalibrated = 1 / (1 + np.exp(-raw))
    cross_fitted = _cross_fitted_platt(raw, y_valid, supervised["split"].get("seed", 0))
    loss_raw, loss_platt = (
        log_loss(y_valid, uncalibrated),
        log_loss(y_valid, cross_fitted),
    )
    method = supervised.get("calibration", "auto")
    use_platt = method == "platt" or (method == "auto" and loss_platt < loss_raw - 1e-4)
    calibration: dict[str, Any] = {
        "method": "platt" if use_platt else "none",
        "valid_log_loss_uncalibrated": float(loss_raw),
        "valid_log_loss_platt_cross_fitted": float(loss_platt),
    }
    if use_platt:
        platt = LogisticRegression(C=1e6).fit(raw.reshape(-1, 1), y_valid)
        calibration.update(
            slope=float(platt.coef_[0, 0]), intercept=float(platt.intercept_[0])
        )

    risk_model = RiskModel(
        model=candidates[chosen]["model"], spec=spec, calibration=calibration
    )
    p_valid = risk_model.calibrate(raw)
    threshold = supervised["threshold"]
    thresholds = {
        "max_f1": best_f1_threshold(y_valid, p_valid),
        "review_share": share_threshold(p_valid, threshold["review_share"]),
        "review_share_value": threshold["review_share"],
        "strategy": threshold["strategy"],
        "tiers": {
            name: share_threshold(p_valid, share)
            for name, share in supervised["tiers"].items()
        },
        "tier_shares": dict(supervised["tiers"]),
    }
    thresholds["decision"] = thresholds[threshold["strategy"]]
    risk_model.thresholds = thresholds
    date_col = schema["date_column"]
    risk_model.info = {
        "label": schema["label_column"],
        "imbalance": {
            "chosen": chosen,
            "why": f"highest validation PR-AUC ({candidates[chosen]['valid_pr_auc']:.4f})",
            "valid_pr_auc": {k: v["valid_pr_auc"] for k, v in candidates.items()},
        },
        "best_iteration": int(risk_model.model.get_best_iteration()) + 1,
        "rows": {"train": len(labeled_train), "valid": len(valid)},
        "augmented_copies": len(train) - len(labeled_train),
        "positive_rate": {
            "train": float(_label(labeled_train, schema).mean()),
            "valid": float(y_valid.mean()),
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
    logger.info(
        "Chose %s class weights; calibration %s (valid log-loss %.4f -> %.4f); "
        "decision threshold %.4f (%s)",
        chosen,
        calibration["method"],
        loss_raw,
        loss_platt,
        thresholds["decision"],
        threshold["strategy"],
    )
    return risk_model


# --------------------------------------------------------------------------- baseline


def train_logistic_baseline(
    model_input: pd.DataFrame,
    data_split: pd.DataFrame,
    schema: dict[str, Any],
    derived: dict[str, Any] | None,
    supervised: dict[str, Any],
) -> dict[str, Any]:
    """A logistic regression (impute + one-hot + scale) on the same training rows."""
    train = _rows_of(model_input, data_split, schema, "train")
    valid = _rows_of(model_input, data_split, schema, "valid")
    categorical = categorical_features(schema)
    numeric = numeric_features(schema, derived)
    preprocess = ColumnTransformer(
        [
            (
                "numeric",
                make_pipeline(
                    SimpleImputer(strategy="median", add_indicator=True),
                    StandardScaler(),
                ),
                numeric,
            ),
            (
                "categorical",
                make_pipeline(
                    SimpleImputer(strategy="constant", fill_value=MISSING_CATEGORY),
                    OneHotEncoder(handle_unknown="ignore"),
                ),
                categorical,
            ),
        ]
    )
    options = supervised.get("logistic_baseline", {})
    pipeline = Pipeline(
        [
            ("preprocess", preprocess),
            (
                "model",
                LogisticRegression(
                    C=options.get("C", 1.0), max_iter=options.get("max_iter", 500)
                ),
            ),
        ]
    )
    logger.info("Training the logistic baseline on %d rows...", len(train))
    pipeline.fit(_baseline_frame(train, categorical, numeric), _label(train, schema))
    p_valid = pipeline.predict_proba(_baseline_frame(valid, categorical, numeric))[:, 1]
    return {
        "pipeline": pipeline,
        "threshold": best_f1_threshold(_label(valid, schema), p_valid),
        "categorical": categorical,
        "numeric": numeric,
    }


def _baseline_frame(
    frame: pd.DataFrame, categorical: list[str], numeric: list[str]
) -> pd.DataFrame:
    out = frame[categorical].astype(object).where(frame[categorical].notna(), np.nan)
    values = np.array(frame[numeric], dtype=float)  # writable copy
    values[np.isinf(values)] = np.nan
    return pd.concat(
        [out, pd.DataFrame(values, columns=numeric, index=frame.index)], axis=1
    )


# --------------------------------------------------------------------------- evaluation


def predict_test_rows(
    model_input: pd.DataFrame,
    data_split: pd.DataFrame,
    risk_model: RiskModel,
    logistic_baseline: dict[str, Any],
    truth: pd.DataFrame,
    schema: dict[str, Any],
) -> pd.DataFrame:
    """Scores of the model, the baselines and (if known) the oracle on the test rows."""
    test = _rows_of(model_input, data_split, schema, "test")
    train_rate = risk_model.info["positive_rate"]["train"]
    keys = [schema["id_column"], schema["date_column"]]
    out = test[keys].copy()
    out["label"] = _label(test, schema)
    out["risk_score"] = risk_model.predict_proba(test)
    out["logistic_score"] = logistic_baseline["pipeline"].predict_proba(
        _baseline_frame(
            test, logistic_baseline["categorical"], logistic_baseline["numeric"]
        )
    )[:, 1]
    out["prevalence_score"] = train_rate
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


def _ratio(model: dict, oracle: dict | None, key: str) -> float | None:
    if not oracle:
        return None
    return model[key]["value"] / oracle[key]["value"]


def evaluate_risk_model(
    test_predictions: pd.DataFrame,
    risk_model: RiskModel,
    logistic_baseline: dict[str, Any],
    supervised: dict[str, Any],
) -> dict[str, Any]:
    """Test-set metrics with 95% intervals for the model, the baselines and the oracle."""
    evaluation = supervised["evaluation"]
    y = test_predictions["label"].to_numpy()
    boot = {"n_bootstrap": evaluation["n_bootstrap"], "seed": evaluation["seed"]}
    model = evaluate_scores(
        y,
        test_predictions["risk_score"],
        threshold=risk_model.thresholds["decision"],
        **boot,
    )
    logistic = evaluate_scores(
        y,
        test_predictions["logistic_score"],
        threshold=logistic_baseline["threshold"],
        **boot,
    )
    prevalence = evaluate_scores(y, test_predictions["prevalence_score"], **boot)
    oracle = None
    if test_predictions["oracle_score"].notna().all():
        oracle_score = test_predictions["oracle_score"].to_numpy()
        oracle = evaluate_scores(
            y, oracle_score, threshold=best_f1_threshold(y, oracle_score), **boot
        )
    metrics: dict[str, Any] = {
        **model,
        "test_rows": len(y),
        "test_positives": int(y.sum()),
        "test_positive_rate": float(y.mean()),
        "baselines": {"logistic": logistic, "prevalence": prevalence},
        "oracle": oracle,
        "oracle_note": (
            "the true probability from the simulation; its F1 is at its own best threshold on the test rows"
            if oracle
            else "no truth table for this source: the oracle is unknown"
        ),
        "model_to_oracle": {k: _ratio(model, oracle, k) for k in ("pr_auc", "roc_auc")}
        if oracle
        else None,
        "threshold": risk_model.thresholds,
        "calibration": risk_model.calibration,
        "calibration_curve": {
            "model": calibration_table(y, test_predictions["risk_score"]),
            "logistic": calibration_table(y, test_predictions["logistic_score"]),
        },
        "training": risk_model.info,
    }
    targets = supervised.get("targets", {})
    checks = {}
    for key, minimum in targets.items():
        if key.endswith("_of_oracle"):
            base = key.removesuffix("_of_oracle")
            value = metrics["model_to_oracle"][base] if oracle else None
        else:
            value = metrics[key]["value"]
        checks[key] = {
            "target": minimum,
            "measured": value,
            "met": None if value is None else value >= minimum,
        }
    metrics["targets"] = checks
    summary = ", ".join(
        f"{k} {v['measured']:.3f} (target {v['target']}, {'met' if v['met'] else 'NOT met'})"
        for k, v in checks.items()
        if v["measured"] is not None
    )
    logger.info(
        "Test: PR-AUC %.4f [%.4f, %.4f], ROC-AUC %.4f, F1 %.4f | logistic PR-AUC %.4f | oracle PR-AUC %s | %s",
        model["pr_auc"]["value"],
        model["pr_auc"]["ci_low"],
        model["pr_auc"]["ci_high"],
        model["roc_auc"]["value"],
        model["f1"]["value"],
        logistic["pr_auc"]["value"],
        f"{oracle['pr_auc']['value']:.4f}" if oracle else "unknown",
        summary,
    )
    return metrics


# --------------------------------------------------------------------------- explanation


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
    test = _rows_of(model_input, data_split, schema, "test")
    sample = test.sample(
        n=min(evaluation["shap_sample"], len(test)), random_state=evaluation["seed"]
    )
    contributions, _ = shap_contributions(risk_model, sample)
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
