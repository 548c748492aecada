"""The pure pandas scoring function and the population-stability monitoring it feeds.

`score_frame` turns model-input rows into scored rows (risk, tier, reasons,
segment) with nothing but the fitted artifacts: the same function serves the
nightly batch and, inside `mapInPandas`, the Spark path.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .reasons import reason_codes
from .risk_model import (
    MISSING_CATEGORY,
    RiskModel,
    prepare_features,
    unseen_missing_counts,
)
from .segmentation import SegmentationModel

PSI_WARNING = 0.25


def score_frame(
    rows: pd.DataFrame,
    risk_model: RiskModel,
    segmentation_model: SegmentationModel,
    feature_labels: dict[str, str],
    *,
    id_column: str,
    date_column: str,
    reasons_for: str = "review",
    top_k: int = 4,
) -> pd.DataFrame:
    """One scored row per input row: risk score, tier, reasons, segment, versions."""
    probability = risk_model.predict_proba(rows)
    out = pd.DataFrame(
        {
            id_column: rows[id_column].to_numpy(),
            date_column: rows[date_column].to_numpy(),
            "risk_score": probability,
            "risk_tier": risk_model.tier(probability),
            "flagged": probability >= risk_model.thresholds["decision"],
            # features missing here that training never saw missing (filled with the median)
            "imputed_features": unseen_missing_counts(rows, risk_model.spec),
        }
    )
    if reasons_for == "all":
        wanted = np.ones(len(rows), dtype=bool)
    elif reasons_for == "review":
        wanted = probability >= risk_model.thresholds["review_share"]
    else:
        raise ValueError(
            f"score.reasons_for must be 'review' or 'all', got '{reasons_for}'"
        )
    reasons = reason_codes(
        risk_model, rows.iloc[np.flatnonzero(wanted)], feature_labels, top_k
    )
    for column in reasons.columns:
        values = np.full(
            len(rows), np.nan if column.endswith("contribution") else None, dtype=object
        )
        values[wanted] = reasons[column].to_numpy()
        # fixed dtypes, so every chunk has the same schema whatever it holds
        out[column] = (
            values.astype(float)
            if column.endswith("contribution")
            else pd.array(values, dtype="str")
        )
    segments, atypical = segmentation_model.assign(rows)
    out["segment"] = segments
    out["segment_name"] = pd.array(
        pd.Series(segments).map(segmentation_model.segment_names).to_numpy(),
        dtype="str",
    )
    out["atypical"] = atypical
    out["model_version"] = risk_model.info.get("version", "unversioned")
    out["segmentation_version"] = segmentation_model.info.get("version", "unversioned")
    return out


# --------------------------------------------------------------------------- monitoring


def reference_distributions(
    frame: pd.DataFrame, risk_model: RiskModel, scores: np.ndarray, bins: int = 10
) -> dict[str, Any]:
    """Bins and shares of every feature and of the score on the training rows."""
    spec = risk_model.spec
    X = prepare_features(frame, spec)
    out: dict[str, Any] = {"rows": len(frame), "numeric": {}, "categorical": {}}
    for column in [*spec["numeric"], "__score__"]:
        values = scores if column == "__score__" else X[column].to_numpy(dtype=float)
        finite = values[np.isfinite(values)]
        edges = (
            np.unique(np.quantile(finite, np.linspace(0, 1, bins + 1)[1:-1]))
            if len(finite)
            else np.array([])
        )
        counts = _numeric_counts(values, edges)
        out["numeric"][column] = {
            "edges": edges.tolist(),
            "shares": (counts / max(len(values), 1)).tolist(),
        }
    for column in spec["categorical"]:
        shares = X[column].value_counts(normalize=True)
        out["categorical"][column] = {str(k): float(v) for k, v in shares.items()}
    return out


def _numeric_counts(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Counts per bin, with a last bin for missing values."""
    finite = np.isfinite(values)
    counts = np.bincount(
        np.searchsorted(edges, values[finite], side="right"), minlength=len(edges) + 1
    )
    return np.append(counts, (~finite).sum()).astype(float)


class DriftCounter:
    """Accumulates bin counts chunk by chunk, then gives the PSI against the reference."""

    def __init__(self, reference: dict[str, Any]) -> None:
        self.reference = reference
        self.numeric = {
            c: np.zeros(len(r["shares"])) for c, r in reference["numeric"].items()
        }
        self.categorical: dict[str, dict[str, float]] = {
            c: {} for c in reference["categorical"]
        }
        self.rows = 0

    def add(self, X: pd.DataFrame, scores: np.ndarray) -> None:
        """Count one chunk (model features as prepared for the model, and its scores)."""
        self.rows += len(X)
        for column, ref in self.reference["numeric"].items():
            values = (
                scores if column == "__score__" else X[column].to_numpy(dtype=float)
            )
            self.numeric[column] += _numeric_counts(values, np.asarray(ref["edges"]))
        for column in self.categorical:
            for level, count in X[column].value_counts().items():
                self.categorical[column][str(level)] = self.categorical[column].get(
                    str(level), 0
                ) + int(count)

    def psi(self) -> pd.DataFrame:
        """Population stability index per feature and for the score, largest first."""
        rows = []
        for column, ref in self.reference["numeric"].items():
            actual = self.numeric[column] / max(self.rows, 1)
            rows.append(
                (
                    "risk_score" if column == "__score__" else column,
                    "numeric",
                    _psi(np.asarray(ref["shares"]), actual),
                )
            )
        for column, ref in self.reference["categorical"].items():
            levels = sorted(set(ref) | set(self.categorical[column]))
            expected = np.array([ref.get(level, 0.0) for level in levels])
            actual = np.array(
                [self.categorical[column].get(level, 0) for level in levels]
            ) / max(self.rows, 1)
            rows.append((column, "categorical", _psi(expected, actual)))
        table = pd.DataFrame(rows, columns=["feature", "kind", "psi"])
        table["drift"] = np.select(
            [table["psi"] > PSI_WARNING, table["psi"] > 0.1],
            ["major (> 0.25)", "moderate (> 0.1)"],
            "none",
        )
        return table.sort_values("psi", ascending=False, ignore_index=True)


def _psi(expected: np.ndarray, actual: np.ndarray) -> float:
    e = np.clip(expected, 1e-4, None)
    a = np.clip(actual, 1e-4, None)
    return float(((a - e) * np.log(a / e)).sum())


__all__ = ["MISSING_CATEGORY", "DriftCounter", "reference_distributions", "score_frame"]
