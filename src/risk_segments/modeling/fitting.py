"""CatBoost fitting: one place that turns a `catboost:` parameter block into a model.

`catboost_params` is the only translation of parameters into CatBoost's own
arguments (early stopping, progress logging, no files written); the risk model,
the spend model and the label-efficiency curve all go through it.
`fit_risk_model` also chooses the imbalance handling, the calibration and the
thresholds on the validation rows, so the returned `RiskModel` is complete.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import numpy as np
import pandas as pd
from catboost import CatBoostClassifier, CatBoostRegressor, Pool
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.model_selection import StratifiedKFold

from .metrics import best_f1_threshold, evaluate_scores, share_threshold
from .risk_model import RiskModel, prepare_features
from .spend_model import SpendModel

logger = logging.getLogger(__name__)
DEFAULT_EARLY_STOPPING = 100


def catboost_params(
    catboost: dict[str, Any],
    categorical: list[str],
    *,
    early_stopping: bool = True,
    **overrides: Any,
) -> dict[str, Any]:
    """CatBoost constructor arguments from a `catboost:` block (plus overrides).

    With early stopping, training stops `early_stopping_rounds` trees after the
    best validation score and keeps the best model, logging every fifth of the
    trees; without it, every tree is fitted and nothing is logged.
    """
    params = {k: v for k, v in catboost.items() if k != "early_stopping_rounds"}
    params.update(overrides)
    params.update(cat_features=list(categorical), allow_writing_files=False)
    if early_stopping:
        params.update(
            od_type="Iter",
            od_wait=catboost.get("early_stopping_rounds", DEFAULT_EARLY_STOPPING),
            use_best_model=True,
            verbose=max(int(params.get("iterations", 1000)) // 5, 1),
        )
    else:
        params["verbose"] = False
    return params


def fit_classifier(
    train: pd.DataFrame,
    y_train: np.ndarray,
    valid: pd.DataFrame,
    y_valid: np.ndarray,
    spec: dict[str, Any],
    catboost: dict[str, Any],
    class_weights: str | None = None,
) -> CatBoostClassifier:
    """A CatBoost classifier early-stopped on validation PR-AUC."""
    model = CatBoostClassifier(
        **catboost_params(catboost, spec["categorical"]),
        loss_function="Logloss",
        eval_metric="PRAUC",
        auto_class_weights=class_weights,
    )
    model.fit(
        prepare_features(train, spec),
        y_train,
        eval_set=(prepare_features(valid, spec), y_valid),
    )
    return model


def fit_fixed_trees(
    X: pd.DataFrame,
    y: np.ndarray,
    categorical: list[str],
    catboost: dict[str, Any],
    **overrides: Any,
) -> CatBoostClassifier:
    """A CatBoost classifier with a fixed number of trees (no validation rows needed)."""
    model = CatBoostClassifier(
        **catboost_params(catboost, categorical, early_stopping=False, **overrides)
    )
    return model.fit(X, y)


def fit_multiclass(
    X: pd.DataFrame, y: np.ndarray, *, seed: int = 0, iterations: int = 400
) -> CatBoostClassifier:
    """A multi-class CatBoost with fixed trees (the separability ceiling of segments)."""
    model = CatBoostClassifier(
        **catboost_params(
            {
                "iterations": iterations,
                "learning_rate": 0.1,
                "depth": 6,
                "thread_count": 2,
            },
            [],
            early_stopping=False,
            random_seed=seed,
        ),
        loss_function="MultiClass",
    )
    return model.fit(X, y)


def cross_fitted_platt(raw: np.ndarray, y: np.ndarray, seed: int) -> np.ndarray:
    """Platt-scaled probabilities for each validation row from a fit on the other half."""
    out = np.empty(len(raw))
    folds = StratifiedKFold(n_splits=2, shuffle=True, random_state=seed)
    for fit_idx, apply_idx in folds.split(raw.reshape(-1, 1), y):
        platt = LogisticRegression(C=1e6).fit(raw[fit_idx].reshape(-1, 1), y[fit_idx])
        out[apply_idx] = platt.predict_proba(raw[apply_idx].reshape(-1, 1))[:, 1]
    return out


def choose_calibration(
    raw: np.ndarray, y_valid: np.ndarray, method: str, seed: int
) -> dict[str, Any]:
    """Platt scaling when asked, or (`auto`) when it lowers cross-fitted validation log-loss."""
    uncalibrated = 1 / (1 + np.exp(-raw))
    cross_fitted = cross_fitted_platt(raw, y_valid, seed)
    loss_raw = log_loss(y_valid, uncalibrated)
    loss_platt = log_loss(y_valid, cross_fitted)
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
    return calibration


def decision_thresholds(
    y_valid: np.ndarray, p_valid: np.ndarray, supervised: dict[str, Any]
) -> dict[str, Any]:
    """Decision, review-share and tier thresholds from the validation probabilities."""
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
    return thresholds


def name_features_without_values(train: pd.DataFrame, features: list[str]) -> None:
    """Say, once, which features have no value in the training rows: the model learns
    nothing from them (numpy and scikit-learn said it in warnings of their own)."""
    if empty := [c for c in features if train[c].isna().all()]:
        logger.warning(
            "%d feature(s) have no value in the %d training rows, so the model learns "
            "nothing from them: %s (a history look-back longer than the training "
            "dates reach? shorten derived.history.lags_months, or drop the column)",
            len(empty),
            len(train),
            empty,
        )


def fit_risk_model(
    train: pd.DataFrame,
    y_train: np.ndarray,
    valid: pd.DataFrame,
    y_valid: np.ndarray,
    spec: dict[str, Any],
    supervised: dict[str, Any],
) -> RiskModel:
    """CatBoost with the imbalance handling that wins on validation PR-AUC, then
    calibration and thresholds chosen on the same validation rows."""
    candidates = {}
    for choice in supervised["imbalance_candidates"]:
        start = time.perf_counter()
        logger.info(
            "Training CatBoost (%s class weights) on %d rows...", choice, len(train)
        )
        weights = None if choice == "none" else "Balanced"
        model = fit_classifier(
            train, y_train, valid, y_valid, spec, supervised["catboost"], weights
        )
        raw = RiskModel(model=model, spec=spec).raw_score(valid)
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
    calibration = choose_calibration(
        raw,
        y_valid,
        supervised.get("calibration", "auto"),
        supervised["split"].get("seed", 0),
    )
    risk_model = RiskModel(
        model=candidates[chosen]["model"], spec=spec, calibration=calibration
    )
    risk_model.thresholds = decision_thresholds(
        y_valid, risk_model.calibrate(raw), supervised
    )
    risk_model.info = {
        "imbalance": {
            "chosen": chosen,
            "why": f"highest validation PR-AUC ({candidates[chosen]['valid_pr_auc']:.4f})",
            "valid_pr_auc": {k: v["valid_pr_auc"] for k, v in candidates.items()},
        },
        "best_iteration": int(risk_model.model.get_best_iteration()) + 1,
    }
    logger.info(
        "Chose %s class weights; calibration %s (valid log-loss %.4f -> %.4f); "
        "decision threshold %.4f (%s)",
        chosen,
        calibration["method"],
        calibration["valid_log_loss_uncalibrated"],
        calibration["valid_log_loss_platt_cross_fitted"],
        risk_model.thresholds["decision"],
        risk_model.thresholds["strategy"],
    )
    return risk_model


def fit_spend_model(
    train: pd.DataFrame,
    spend_train: np.ndarray,
    valid: pd.DataFrame,
    spend_valid: np.ndarray,
    spec: dict[str, Any],
    catboost: dict[str, Any],
) -> SpendModel:
    """CatBoost regression of log1p(spend), early-stopped on validation; a smearing
    factor fitted on the validation rows puts predictions back on the money scale."""
    model = CatBoostRegressor(
        **catboost_params(catboost, spec["categorical"]), loss_function="RMSE"
    )
    model.fit(
        prepare_features(train, spec),
        np.log1p(spend_train),
        eval_set=Pool(
            prepare_features(valid, spec),
            np.log1p(spend_valid),
            cat_features=spec["categorical"],
        ),
    )
    naive = np.expm1(model.predict(prepare_features(valid, spec)))
    smearing = float(spend_valid.mean() / max(naive.mean(), 1e-9))
    info = {
        "rows": {"train_buyers": len(train), "valid_buyers": len(valid)},
        "best_iteration": int(model.get_best_iteration()) + 1,
        "smearing": smearing,
    }
    logger.info(
        "Spend model: %d trees, smearing factor %.3f", info["best_iteration"], smearing
    )
    return SpendModel(model=model, spec=spec, info=info)


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
