"""Model features: the derived-feature naming rule and raw table -> model input.

A derived feature is named ``<base>_<kind>_<months>m`` (``delta``: change against
the same entity N months earlier; ``logchange``: change of log1p; ``mean``: mean
over the last N monthly snapshots). This module is the only place that rule is
written: `derived_name` builds a name, `parse_derived` reads one back, and
`derived_features` lists what a `derived:` parameter block produces.

`raw_to_model_input` is the one way a raw entity table becomes model input; the
data_processing pipeline (training) and scoring both call it.
"""

from __future__ import annotations

import logging
import re
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from risk_segments.schema import (
    InvalidInputError,
    categorical_features,
    raw_numeric_features,
    validate_table,
    with_column,
)

logger = logging.getLogger(__name__)

DERIVED_KINDS = ("delta", "logchange", "mean")
_DERIVED = re.compile(
    r"^(?P<base>.+)_(?P<kind>" + "|".join(DERIVED_KINDS) + r")_(?P<months>\d+)m$"
)


class DerivedFeature(NamedTuple):
    """A derived feature's parts: the raw feature, the kind of derivation, the months."""

    base: str
    kind: str
    months: int


def derived_name(base: str, kind: str, months: int) -> str:
    """The name of a derived feature, e.g. ``late_shipment_rate_delta_3m``."""
    if kind not in DERIVED_KINDS:
        raise ValueError(f"derived kind must be one of {DERIVED_KINDS}, got '{kind}'")
    return f"{base}_{kind}_{int(months)}m"


def parse_derived(name: str) -> DerivedFeature | None:
    """The parts of a derived feature's name, or None for a raw feature."""
    match = _DERIVED.match(name)
    if not match:
        return None
    return DerivedFeature(match["base"], match["kind"], int(match["months"]))


def _history(derived: dict[str, Any] | None) -> dict[str, Any]:
    return (derived or {}).get("history") or {}


def lookback_months(derived: dict[str, Any] | None) -> int | None:
    """How many months before a row its history features read (None: no history):
    the longest lag, or the rolling mean's window less the row's own month."""
    history = _history(derived)
    if not history:
        return None
    lags = [int(lag) for lag in history.get("lags_months", [])]
    window = int(history.get("rolling_months") or 0) - 1
    return max([0, *lags, window if history.get("rolling_mean_columns") else 0])


def first_month_needed(newest: pd.Timestamp, derived: dict[str, Any] | None) -> Any:
    """The first day of the oldest month the newest snapshot's history features read
    (NaT: no history, every row is needed)."""
    months = lookback_months(derived)
    if months is None or pd.isna(newest):
        return pd.NaT
    return pd.Timestamp(newest).to_period("M").to_timestamp() - pd.DateOffset(
        months=months
    )


def derived_features(derived: dict[str, Any] | None) -> list[str]:
    """Names of the features `add_history_features` derives, in a fixed order."""
    history = _history(derived)
    names = []
    for lag in history.get("lags_months", []):
        names += [
            derived_name(c, "delta", lag) for c in history.get("delta_columns", [])
        ]
        names += [
            derived_name(c, "logchange", lag)
            for c in history.get("log_delta_columns", [])
        ]
    window = int(history.get("rolling_months") or 0)
    if window > 1:
        names += [
            derived_name(c, "mean", window)
            for c in history.get("rolling_mean_columns", [])
        ]
    return names


def numeric_features(
    schema: dict[str, Any], derived: dict[str, Any] | None
) -> list[str]:
    """All numeric model features: raw ones then derived ones."""
    return raw_numeric_features(schema) + derived_features(derived)


def model_features(schema: dict[str, Any], derived: dict[str, Any] | None) -> list[str]:
    """Every model feature: categorical then numeric."""
    return categorical_features(schema) + numeric_features(schema, derived)


# --------------------------------------------------------------------------- raw -> model input


def validate_raw_table(
    raw_table: pd.DataFrame, schema: dict[str, Any], *, chunk: bool = False
) -> pd.DataFrame:
    """Check the raw table against the namespace's schema and coerce its types
    (``chunk``: one chunk of a score input, see `schema.validate_table`)."""
    source = schema.get("source", "raw table")
    validated = validate_table(raw_table, schema, source, chunk=chunk)
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


class _Lookback:
    """Finds, for any row, the same entity's row N months earlier: (entity, month)
    keys sorted once, then one binary search per lag (keys are unique: checked)."""

    def __init__(self, ids: pd.Series, month: pd.Series) -> None:
        codes, _ = pd.factorize(ids)
        self.keys = codes.astype(np.int64) * (1 << 24) + month.to_numpy(dtype=np.int64)
        self.order = np.argsort(self.keys, kind="stable")
        self.sorted = self.keys[self.order]

    def rows_back(self, rows: np.ndarray, lag: int) -> np.ndarray:
        """Position of each of `rows`' entity `lag` months earlier; -1 if absent."""
        if not len(self.sorted):
            return np.full(len(rows), -1)
        wanted = self.keys[rows] - lag
        at = np.minimum(np.searchsorted(self.sorted, wanted), len(self.sorted) - 1)
        return np.where(self.sorted[at] == wanted, self.order[at], -1)


def _values_back(
    values: np.ndarray, lookback: _Lookback, rows: np.ndarray, lag: int
) -> np.ndarray:
    """`values` (all rows x columns) of the same entity `lag` months before each of `rows`."""
    position = lookback.rows_back(rows, lag)
    out = values[np.maximum(position, 0)]
    out[position < 0] = np.nan
    return out


def _lag_changes(
    validated: pd.DataFrame, lookback: _Lookback, rows: np.ndarray, history: dict
) -> tuple[dict[str, np.ndarray], np.ndarray | None]:
    delta_cols = list(history.get("delta_columns", []))
    log_cols = list(history.get("log_delta_columns", []))
    values = np.array(validated[delta_cols + log_cols], dtype=float)  # writable copy
    values[:, len(delta_cols) :] = np.log1p(values[:, len(delta_cols) :])
    out, change = {}, None
    for lag in history.get("lags_months", []):
        change = values[rows] - _values_back(values, lookback, rows, lag)
        for j, col in enumerate(delta_cols):
            out[derived_name(col, "delta", lag)] = change[:, j]
        for j, col in enumerate(log_cols):
            out[derived_name(col, "logchange", lag)] = change[:, len(delta_cols) + j]
    return out, change


def _rolling_means(
    validated: pd.DataFrame, lookback: _Lookback, rows: np.ndarray, history: dict
) -> dict[str, np.ndarray]:
    """Mean over the last `rolling_months` monthly snapshots present: steadier than one month."""
    window = int(history.get("rolling_months") or 0)
    columns = list(history.get("rolling_mean_columns", []))
    if window <= 1 or not columns:
        return {}
    values = np.array(validated[columns], dtype=float)
    stacked = np.stack(
        [values[rows]]
        + [_values_back(values, lookback, rows, lag) for lag in range(1, window)]
    )
    counts = np.isfinite(stacked).sum(axis=0)
    means = np.where(
        counts > 0, np.nansum(stacked, axis=0) / np.maximum(counts, 1), np.nan
    )
    return {derived_name(c, "mean", window): means[:, j] for j, c in enumerate(columns)}


def add_history_features(
    validated: pd.DataFrame,
    schema: dict[str, Any],
    derived: dict[str, Any] | None,
    rows: np.ndarray | None = None,
) -> pd.DataFrame:
    """Add each listed feature's change against the same entity N months earlier,
    and its mean over the last few monthly snapshots.

    `rows` (positions): derive for these rows only and return only them; the other
    rows are only looked back at (scoring: the newest snapshot, from the months before).
    """
    history = _history(derived)
    if not history:
        return validated if rows is None else validated.iloc[rows]
    rows = np.arange(len(validated)) if rows is None else np.asarray(rows)
    lookback = _Lookback(
        validated[schema["id_column"]], _month_index(validated[schema["date_column"]])
    )
    new_columns, change = _lag_changes(validated, lookback, rows, history)
    new_columns.update(_rolling_means(validated, lookback, rows, history))
    base = validated.iloc[rows]
    out = pd.concat([base, pd.DataFrame(new_columns, index=base.index)], axis=1)
    share = (
        np.isfinite(change[:, 0]).mean() if change is not None and len(change) else 0.0
    )
    logger.info(
        "Derived %d history features for %d rows; %.0f%% of them have the %d-month look-back",
        len(new_columns),
        len(rows),
        100 * share,
        history["lags_months"][-1] if history.get("lags_months") else 0,
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
    if label_col is not None and label_col not in featured.columns:
        n = len(featured)  # all missing, without a Python object per row
        unlabeled = pd.arrays.IntegerArray(np.zeros(n, np.int8), np.ones(n, bool))
        featured = with_column(featured, label_col, unlabeled)
    features = model_features(schema, derived)
    label = [] if label_col is None else [label_col]  # a segments use case has none
    model_input = (
        featured[[id_col, date_col, *features, *label]]
        .sort_values([date_col, id_col], kind="stable")
        .reset_index(drop=True)
    )
    if len(model_input) != len(featured):
        raise RuntimeError("model_input lost rows")
    if label_col is None:
        logger.info(
            "model_input: %d rows, no label (segments only), %d features",
            len(model_input),
            len(features),
        )
        return model_input
    labeled = model_input[label_col].notna()
    logger.info(
        "model_input: %d rows (%d labeled, positive rate %.3f; %d unlabeled), %d features",
        len(model_input),
        int(labeled.sum()),
        float(model_input.loc[labeled, label_col].astype(float).mean())
        if labeled.any()
        else float("nan"),
        int((~labeled).sum()),
        len(features),
    )
    return model_input


def model_input_from_validated(
    validated: pd.DataFrame,
    schema: dict[str, Any],
    derived: dict[str, Any] | None,
    rows: np.ndarray | None = None,
) -> pd.DataFrame:
    """Derive the history features of a validated table and select the contract
    columns (of `rows` only, if given: the others are history)."""
    return build_model_input(
        add_history_features(validated, schema, derived, rows), schema, derived
    )


def raw_to_model_input(
    raw: pd.DataFrame, schema: dict[str, Any], derived: dict[str, Any] | None
) -> pd.DataFrame:
    """Validate a raw entity table, derive its history features, select the contract columns."""
    return model_input_from_validated(validate_raw_table(raw, schema), schema, derived)
