"""Population stability: the training reference, bin counts while scoring, and PSI.

`scoring_reference` is saved at training (bins and shares of every feature and
of the score on the training rows); scoring counts the same bins chunk by chunk
(`DriftCounter`) and reports the population stability index (`psi`) per feature,
labelled by `drift_label`. Both scoring engines use these definitions.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .risk_model import RiskModel, prepare_features
from .splits import rows_of

PSI_WARNING = 0.25
PSI_MODERATE = 0.1
SCORE_COLUMN = "__score__"


def psi(expected: np.ndarray, actual: np.ndarray) -> float:
    """Population stability index between two share vectors (shares floored at 1e-4)."""
    e = np.clip(np.asarray(expected, dtype=float), 1e-4, None)
    a = np.clip(np.asarray(actual, dtype=float), 1e-4, None)
    return float(((a - e) * np.log(a / e)).sum())


def drift_label(value: float | np.ndarray) -> str | np.ndarray:
    """'major (> 0.25)', 'moderate (> 0.1)' or 'none' for a PSI value (or an array)."""
    labels = np.select(
        [np.asarray(value) > PSI_WARNING, np.asarray(value) > PSI_MODERATE],
        [f"major (> {PSI_WARNING})", f"moderate (> {PSI_MODERATE})"],
        "none",
    )
    return str(labels) if np.ndim(value) == 0 else labels


def numeric_counts(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Counts per bin, with a last bin for missing values."""
    finite = np.isfinite(values)
    counts = np.bincount(
        np.searchsorted(edges, values[finite], side="right"), minlength=len(edges) + 1
    )
    return np.append(counts, (~finite).sum()).astype(float)


def reference_distributions(
    frame: pd.DataFrame, risk_model: RiskModel, scores: np.ndarray, bins: int = 10
) -> dict[str, Any]:
    """Bins and shares of every feature and of the score on the training rows."""
    spec = risk_model.spec
    X = prepare_features(frame, spec)
    out: dict[str, Any] = {"rows": len(frame), "numeric": {}, "categorical": {}}
    for column in [*spec["numeric"], SCORE_COLUMN]:
        values = scores if column == SCORE_COLUMN else X[column].to_numpy(dtype=float)
        finite = values[np.isfinite(values)]
        edges = (
            np.unique(np.quantile(finite, np.linspace(0, 1, bins + 1)[1:-1]))
            if len(finite)
            else np.array([])
        )
        counts = numeric_counts(values, edges)
        out["numeric"][column] = {
            "edges": edges.tolist(),
            "shares": (counts / max(len(values), 1)).tolist(),
        }
    for column in spec["categorical"]:
        shares = X[column].value_counts(normalize=True)
        out["categorical"][column] = {str(k): float(v) for k, v in shares.items()}
    return out


def scoring_reference(
    model_input: pd.DataFrame,
    data_split: pd.DataFrame,
    risk_model: RiskModel,
    schema: dict[str, Any],
) -> dict[str, Any]:
    """The reference distributions on the training rows, with the model's scores."""
    train = rows_of(model_input, data_split, schema, "train")
    return reference_distributions(train, risk_model, risk_model.predict_proba(train))


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
                scores if column == SCORE_COLUMN else X[column].to_numpy(dtype=float)
            )
            self.numeric[column] += numeric_counts(values, np.asarray(ref["edges"]))
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
            name = "risk_score" if column == SCORE_COLUMN else column
            rows.append((name, "numeric", psi(np.asarray(ref["shares"]), actual)))
        for column, ref in self.reference["categorical"].items():
            levels = sorted(set(ref) | set(self.categorical[column]))
            expected = np.array([ref.get(level, 0.0) for level in levels])
            actual = np.array(
                [self.categorical[column].get(level, 0) for level in levels]
            ) / max(self.rows, 1)
            rows.append((column, "categorical", psi(expected, actual)))
        table = pd.DataFrame(rows, columns=["feature", "kind", "psi"])
        table["drift"] = drift_label(table["psi"].to_numpy())
        return table.sort_values("psi", ascending=False, ignore_index=True)
