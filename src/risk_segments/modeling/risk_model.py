"""The trained risk model: CatBoost plus everything needed to apply it safely.

A `RiskModel` bundles the CatBoost classifier with its feature spec (names,
dtypes, categorical levels, typical values), the probability calibration fitted
on validation rows, the decision and tier thresholds, and a training summary.
Scoring only ever applies it; nothing is refitted there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from catboost import CatBoostClassifier, Pool

from risk_segments.schema import InvalidInputError

MISSING_CATEGORY = "__missing__"


def feature_spec(
    frame: pd.DataFrame, categorical: list[str], numeric: list[str]
) -> dict[str, Any]:
    """Describe the training features: order, kinds, levels seen and typical values."""
    return {
        "features": [*categorical, *numeric],
        "categorical": list(categorical),
        "numeric": list(numeric),
        "levels": {
            c: sorted(frame[c].dropna().astype(str).unique().tolist())
            for c in categorical
        },
        "medians": {c: _quantiles(frame[c], [0.5])[0] for c in numeric},
        # numeric features never missing in training: CatBoost has learnt nothing about a
        # missing value there, so scoring fills them with the training median (and counts it)
        "never_missing": [c for c in numeric if not frame[c].isna().any()],
        "quantiles": {c: _quantiles(frame[c], [0.25, 0.75]) for c in numeric},
    }


def _quantiles(values: pd.Series, q: list[float]) -> list[float]:
    """The quantiles of the values present; NaN for a column with none (numpy's
    nan-quantiles warn "All-NaN slice" there)."""
    known = values.to_numpy(dtype=float)
    known = known[~np.isnan(known)]
    return (
        [float(v) for v in np.quantile(known, q)] if len(known) else [np.nan] * len(q)
    )


def prepare_features(
    frame: pd.DataFrame, spec: dict[str, Any], *, categories: bool = False
) -> pd.DataFrame:
    """Model matrix in training order: categoricals as text (missing as a level), numerics
    as float. `categories=True` gives the categoricals as pandas Categoricals of the same
    text: CatBoost then reads each distinct value once instead of every row's string
    (the same predictions; what scoring builds its pools from)."""
    check_features(frame, spec)
    columns: dict[str, Any] = {}
    for c in spec["categorical"]:
        columns[c] = (_category if categories else _text)(frame[c])
    numeric = list(spec["numeric"])
    values = np.array(frame[numeric], dtype=float)  # one block, a copy
    values[np.isinf(values)] = np.nan  # inf is treated as missing
    never_missing = set(spec.get("never_missing", ()))
    for j, c in enumerate(numeric):
        if c in never_missing:
            gaps = np.isnan(values[:, j])
            values[gaps, j] = spec["medians"][c]
    X = pd.concat(
        [
            pd.DataFrame(columns, index=frame.index),
            pd.DataFrame(values, index=frame.index, columns=numeric),
        ],
        axis=1,
    )
    return X[spec["features"]]


def _text(column: pd.Series) -> pd.Series:
    """A categorical feature as text per row, missing as its own level."""
    values = np.array(column, dtype=object)  # a copy: the input stays as it is
    values[pd.isna(values)] = MISSING_CATEGORY
    if pd.api.types.infer_dtype(values, skipna=False) != "string":
        values = values.astype(str).astype(object)  # e.g. numbers, as text
    # object, not pandas' str: CatBoost reads the Python strings without a copy
    return pd.Series(values, index=column.index, dtype=object)


def _category(column: pd.Series) -> pd.Categorical:
    """The same text as `_text`, made once per distinct value: a pandas Categorical."""
    if pd.api.types.infer_dtype(column, skipna=True) not in ("string", "empty"):
        # numbers or mixed values: 1, 1.0 and True are equal to pandas but not as text
        return pd.Categorical(_text(column))
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    levels = np.append(np.asarray(uniques, dtype=object), MISSING_CATEGORY)
    codes = np.where(codes < 0, len(levels) - 1, codes)
    # one level even if the data hold a value spelled like the missing level
    distinct, which = np.unique(levels, return_inverse=True)
    return pd.Categorical.from_codes(which.ravel()[codes], categories=distinct)


def unseen_missing_counts(frame: pd.DataFrame, spec: dict[str, Any]) -> np.ndarray:
    """Per row, how many features are missing that were never missing in training
    (`prepare_features` fills them with the training median)."""
    columns = [c for c in spec.get("never_missing", ()) if c in frame.columns]
    if not columns:
        return np.zeros(len(frame), dtype=np.int16)
    values = frame[columns].to_numpy(dtype=float)
    return (~np.isfinite(values)).sum(axis=1).astype(np.int16)


def check_features(frame: pd.DataFrame, spec: dict[str, Any]) -> None:
    """Stop with a clear message if a trained-on column is missing or cannot be read as numbers."""
    missing = [c for c in spec["features"] if c not in frame.columns]
    if missing:
        raise InvalidInputError(
            f"input lacks {len(missing)} feature(s) the model was trained on: {missing}"
        )
    retyped = [
        c
        for c in spec["numeric"]
        if not (pd.api.types.is_numeric_dtype(frame[c]) or frame[c].isna().all())
    ]
    if retyped:
        raise InvalidInputError(
            "numeric feature(s) "
            + ", ".join(f"'{c}' ({frame[c].dtype})" for c in retyped)
            + " are not numeric as at training"
        )


def logit(p: np.ndarray) -> np.ndarray:
    """Log-odds, clipped away from 0 and 1."""
    p = np.clip(np.asarray(p, dtype=float), 1e-9, 1 - 1e-9)
    return np.log(p / (1 - p))


@dataclass
class RiskModel:
    """A fitted CatBoost classifier and what it needs at scoring time."""

    model: CatBoostClassifier
    spec: dict[str, Any]
    calibration: dict[str, Any] = field(default_factory=lambda: {"method": "none"})
    thresholds: dict[str, Any] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)
    # per-tree SHAP tables (`leaf_shap.LeafShap.tables()`), filled in training
    shap_tables: dict[str, Any] = field(default_factory=dict, repr=False)
    _leaf_shap: Any = field(default=None, repr=False, compare=False)

    def pool(self, frame: pd.DataFrame | Pool) -> Pool:
        """A CatBoost pool of the features, in training order (a pool passes through:
        the methods below take either, so a caller can build it once)."""
        if isinstance(frame, Pool):
            return frame
        return Pool(
            prepare_features(frame, self.spec, categories=True),
            cat_features=self.spec["categorical"],
        )

    def raw_score(self, frame: pd.DataFrame | Pool) -> np.ndarray:
        """CatBoost's raw log-odds (what SHAP values add up to)."""
        return self.model.predict(self.pool(frame), prediction_type="RawFormulaVal")

    def _tables(self) -> Any:
        """The per-leaf SHAP tables in use (built from `shap_tables` once)."""
        from .leaf_shap import LeafShap  # noqa: PLC0415

        if self._leaf_shap is None:
            self._leaf_shap = LeafShap(self.model, self.shap_tables)
        return self._leaf_shap

    def shap_values(self, frame: pd.DataFrame | Pool) -> np.ndarray:
        """Rows x features SHAP values (log-odds), CatBoost's own, from the saved
        per-leaf tables (leaves training never reached are added on the way)."""
        return self._tables().shap_values(self.pool(frame))

    def learn_shap_tables(self, frame: pd.DataFrame) -> None:
        """Tabulate the SHAP values of every leaf these rows reach (training)."""
        self._tables().learn(self.pool(frame))

    def complete_shap_tables(self) -> dict[str, int]:
        """Fill the leaves no row reached from the trees' structure, tree by tree where
        it matches CatBoost on the leaves rows reached (training; `LeafShap.complete`)."""
        return self._tables().complete()

    def calibrate(self, raw: np.ndarray) -> np.ndarray:
        """Map raw log-odds to a calibrated probability."""
        if self.calibration.get("method") == "platt":
            z = self.calibration["slope"] * raw + self.calibration["intercept"]
            return 1.0 / (1.0 + np.exp(-z))
        return 1.0 / (1.0 + np.exp(-raw))

    def predict_proba(self, frame: pd.DataFrame | Pool) -> np.ndarray:
        """Calibrated probability of the positive class for every row."""
        return self.calibrate(self.raw_score(frame))

    def tier(self, probability: np.ndarray) -> np.ndarray:
        """Risk tier per row from the saved tier thresholds (highest first)."""
        tiers = self.thresholds.get("tiers", {})
        out = np.full(len(probability), "low", dtype=object)
        for name, cutoff in sorted(tiers.items(), key=lambda kv: kv[1]):
            out[probability >= cutoff] = name
        return out

    def metadata(self) -> dict[str, Any]:
        """Everything but the CatBoost model, as JSON-able data."""
        return {
            "spec": self.spec,
            "calibration": self.calibration,
            "thresholds": self.thresholds,
            "info": self.info,
            "shap_tables": (
                self._leaf_shap.tables() if self._leaf_shap else self.shap_tables
            ),
        }

    @classmethod
    def from_metadata(
        cls, model: CatBoostClassifier, metadata: dict[str, Any]
    ) -> RiskModel:
        """Rebuild from a loaded CatBoost model and `metadata()` (plus its file's
        version and sha256, which go into `info`)."""
        return cls(
            model=model,
            spec=metadata["spec"],
            calibration=metadata["calibration"],
            thresholds=metadata["thresholds"],
            shap_tables=metadata.get("shap_tables") or {},
            info={
                **metadata["info"],
                "version": metadata.get("version", "unversioned"),
                "sha256": metadata.get("sha256"),
            },
        )
