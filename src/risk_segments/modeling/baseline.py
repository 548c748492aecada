"""The logistic-regression baseline every model is reported beside."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from .metrics import best_f1_threshold
from .risk_model import MISSING_CATEGORY


def baseline_frame(
    frame: pd.DataFrame, categorical: list[str], numeric: list[str]
) -> pd.DataFrame:
    """Categoricals as objects (missing as NaN), numerics as floats (inf as NaN)."""
    out = frame[categorical].astype(object).where(frame[categorical].notna(), np.nan)
    values = np.array(frame[numeric], dtype=float)  # writable copy
    values[np.isinf(values)] = np.nan
    return pd.concat(
        [out, pd.DataFrame(values, columns=numeric, index=frame.index)], axis=1
    )


def fit_logistic_baseline(
    train: pd.DataFrame,
    y_train: np.ndarray,
    valid: pd.DataFrame,
    y_valid: np.ndarray,
    categorical: list[str],
    numeric: list[str],
    options: dict[str, Any],
) -> dict[str, Any]:
    """Impute + one-hot + scale + logistic regression; its F1 threshold from validation."""
    preprocess = ColumnTransformer(
        [
            (
                "numeric",
                make_pipeline(
                    # a feature with no value in training is kept (zeros): no warning
                    SimpleImputer(
                        strategy="median", add_indicator=True, keep_empty_features=True
                    ),
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
    model = LogisticRegression(
        C=options.get("C", 1.0), max_iter=options.get("max_iter", 500)
    )
    pipeline = Pipeline([("preprocess", preprocess), ("model", model)])
    pipeline.fit(baseline_frame(train, categorical, numeric), y_train)
    baseline = {"pipeline": pipeline, "categorical": categorical, "numeric": numeric}
    baseline["threshold"] = best_f1_threshold(y_valid, logistic_scores(baseline, valid))
    return baseline


def logistic_scores(baseline: dict[str, Any], frame: pd.DataFrame) -> np.ndarray:
    """The baseline's probability of the positive class for every row."""
    X = baseline_frame(frame, baseline["categorical"], baseline["numeric"])
    return baseline["pipeline"].predict_proba(X)[:, 1]
