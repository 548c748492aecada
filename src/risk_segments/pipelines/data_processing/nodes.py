"""Nodes that turn a raw entity table into the validated model-input table."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

from risk_segments.schema import (
    InvalidInputError,
    categorical_features,
    derived_features,
    numeric_features,
    validate_table,
)

logger = logging.getLogger(__name__)


def validate_raw_table(raw_table: pd.DataFrame, schema: dict[str, Any]) -> pd.DataFrame:
    """Check the raw table against the namespace's schema and coerce its types."""
    source = schema.get("source", "raw table")
    validated = validate_table(raw_table, schema, source)
    extra = sorted(
        set(validated.columns)
        - {schema["id_column"], schema["date_column"], schema["label_column"]}
        - set(schema["categorical"])
        - set(schema["numeric"])
    )
    if extra:  # dropped: derived features are always recomputed from the raw columns
        logger.info("%s: %d extra columns are ignored: %s", source, len(extra), extra)
        validated = validated.drop(columns=extra)
    return validated


def _month_index(dates: pd.Series) -> pd.Series:
    return dates.dt.year.astype("int64") * 12 + dates.dt.month.astype("int64")


def add_history_features(
    validated: pd.DataFrame, schema: dict[str, Any], derived: dict[str, Any] | None
) -> pd.DataFrame:
    """Add each listed feature's change against the same entity N months earlier."""
    history = (derived or {}).get("history")
    if not history:
        return validated
    id_col, date_col = schema["id_column"], schema["date_column"]
    delta_cols = list(history.get("delta_columns", []))
    log_cols = list(history.get("log_delta_columns", []))
    month = _month_index(validated[date_col])
    current = np.array(validated[delta_cols + log_cols], dtype=float)  # writable copy
    current[:, len(delta_cols) :] = np.log1p(current[:, len(delta_cols) :])
    keyed = pd.DataFrame(current, columns=delta_cols + log_cols)
    keyed[id_col] = validated[id_col].to_numpy()
    keyed["_month"] = month.to_numpy()
    out = validated.copy()
    new_columns = {}
    for lag in history.get("lags_months", []):
        past = keyed.assign(_month=keyed["_month"] + lag)
        aligned = keyed[[id_col, "_month"]].merge(
            past, on=[id_col, "_month"], how="left"
        )
        if len(aligned) != len(keyed):  # keys are unique, so this cannot grow
            raise RuntimeError("history merge changed the row count")
        change = current - aligned[delta_cols + log_cols].to_numpy(dtype=float)
        for j, col in enumerate(delta_cols):
            new_columns[f"{col}_delta_{lag}m"] = change[:, j]
        for j, col in enumerate(log_cols):
            new_columns[f"{col}_logchange_{lag}m"] = change[:, len(delta_cols) + j]
    window = int(history.get("rolling_months") or 0)
    rolling_cols = list(history.get("rolling_mean_columns", []))
    if window > 1 and rolling_cols:
        # mean over the last `window` monthly snapshots present: steadier than one month
        frames = [np.array(validated[rolling_cols], dtype=float)]
        keyed_rolling = validated[[id_col, *rolling_cols]].assign(
            _month=month.to_numpy()
        )
        for lag in range(1, window):
            past = keyed_rolling.assign(_month=keyed_rolling["_month"] + lag)
            aligned = keyed_rolling[[id_col, "_month"]].merge(
                past, on=[id_col, "_month"], how="left"
            )
            frames.append(aligned[rolling_cols].to_numpy(dtype=float))
        stacked = np.stack(frames)
        counts = np.isfinite(stacked).sum(axis=0)
        means = np.where(
            counts > 0, np.nansum(stacked, axis=0) / np.maximum(counts, 1), np.nan
        )
        for j, col in enumerate(rolling_cols):
            new_columns[f"{col}_mean_{window}m"] = means[:, j]
    out = pd.concat([out, pd.DataFrame(new_columns, index=out.index)], axis=1)
    share_with_history = np.isfinite(change[:, 0]).mean() if len(change) else 0.0
    logger.info(
        "Derived %d history features; %.0f%% of rows have the %d-month look-back",
        len(new_columns),
        100 * share_with_history,
        history["lags_months"][-1],
    )
    return out


def build_model_input(
    featured: pd.DataFrame, schema: dict[str, Any], derived: dict[str, Any] | None
) -> pd.DataFrame:
    """Select the contract columns (id, date, features, nullable label), one row per input row."""
    id_col, date_col, label_col = (
        schema["id_column"],
        schema["date_column"],
        schema["label_column"],
    )
    missing = [c for c in derived_features(derived) if c not in featured.columns]
    if missing:
        raise InvalidInputError(f"derived features not computed: {missing}")
    if label_col not in featured.columns:
        featured = featured.assign(
            **{label_col: pd.array([pd.NA] * len(featured), dtype="Int8")}
        )
    columns = [
        id_col,
        date_col,
        *categorical_features(schema),
        *numeric_features(schema, derived),
        label_col,
    ]
    model_input = (
        featured[columns]
        .sort_values([date_col, id_col], kind="stable")
        .reset_index(drop=True)
    )
    if len(model_input) != len(featured):
        raise RuntimeError("model_input lost rows")
    labeled = model_input[label_col].notna()
    logger.info(
        "model_input: %d rows (%d labeled, positive rate %.3f; %d unlabeled), %d features",
        len(model_input),
        int(labeled.sum()),
        float(model_input.loc[labeled, label_col].astype(float).mean())
        if labeled.any()
        else float("nan"),
        int((~labeled).sum()),
        len(columns) - 3,
    )
    return model_input
