"""Population stability: the training reference, bin counts while scoring, and PSI.

`scoring_reference` is saved at training (bins and shares of every feature and
of the score on the training rows); scoring counts the same bins chunk by chunk
(`DriftCounter`) and reports the population stability index (`psi`) per feature
with its verdict (`drift_row`): an alarm only where the PSI passes both the
configured floor and what sampling alone gives for that many rows. Both scoring
engines use these definitions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy.special import chdtri

from .risk_model import MISSING_CATEGORY, RiskModel, prepare_features

if TYPE_CHECKING:
    from .segmentation import SegmentationModel

PSI_WARNING = 0.25
PSI_MODERATE = 0.1
SCORE_COLUMN = "__score__"
SEGMENT_COLUMN = "__segment__"  # the segments' shares (a segments use case)


def psi(expected: np.ndarray, actual: np.ndarray) -> float:
    """Population stability index between two share vectors (shares floored at 1e-4)."""
    e = np.clip(np.asarray(expected, dtype=float), 1e-4, None)
    a = np.clip(np.asarray(actual, dtype=float), 1e-4, None)
    return float(((a - e) * np.log(a / e)).sum())


def numeric_counts(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Counts per bin, with a last bin for missing values."""
    finite = np.isfinite(values)
    # bin j holds edges[j-1] <= v < edges[j]: counted from how many values lie below
    # each edge (one comparison pass per edge; no per-value bin index)
    minus_inf = np.count_nonzero(values == -np.inf)  # below every edge, but not finite
    below = [np.count_nonzero(values < edge) - minus_inf for edge in edges]
    counts = np.diff([0, *below, int(finite.sum())])
    return np.append(counts, (~finite).sum()).astype(float)


def reference_distributions(
    frame: pd.DataFrame,
    spec: dict[str, Any],
    scores: np.ndarray | None,
    bins: int = 10,
    segments: np.ndarray | None = None,
) -> dict[str, Any]:
    """Bins and shares of every feature (`spec`: its numeric and categorical ones) and
    of the score on the training rows; of the segments too when given (a segments use
    case, whose nightly output they are)."""
    X = prepare_features(frame, spec)
    out: dict[str, Any] = {"rows": len(frame), "numeric": {}, "categorical": {}}
    scored = [] if scores is None else [SCORE_COLUMN]
    for column in [*spec["numeric"], *scored]:
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
    if segments is not None:
        shares = pd.Series(segments).astype(str).value_counts(normalize=True)
        out["categorical"][SEGMENT_COLUMN] = {k: float(v) for k, v in shares.items()}
    return out


def feature_spec(schema: dict[str, Any], features: list[str]) -> dict[str, Any]:
    """The numeric and categorical features of a use case, as a risk model's spec
    lists them (for the reference of a use case that has no risk model)."""
    categorical = [f for f in features if f in schema["categorical"]]
    numeric = [f for f in features if f not in schema["categorical"]]
    return {"features": features, "categorical": categorical, "numeric": numeric}


def reference_rows(
    model_input: pd.DataFrame, schema: dict[str, Any], score: dict[str, Any]
) -> pd.DataFrame:
    """The training run's rows as the score run would see them: the newest snapshot
    for `rows: newest_snapshot`, every row for `rows: all` (labeled or not). Drift is
    measured against these, so a batch drawn like them raises no alarm."""
    if score.get("rows") == "newest_snapshot":
        date = schema["date_column"]
        return model_input.loc[model_input[date] == model_input[date].max()]
    return model_input


def scoring_reference(
    model_input: pd.DataFrame,
    risk_model: RiskModel,
    schema: dict[str, Any],
    score: dict[str, Any],
) -> dict[str, Any]:
    """The reference distributions of the rows scoring would score, with the model's scores."""
    rows = reference_rows(model_input, schema, score)
    return reference_distributions(
        rows, risk_model.spec, risk_model.predict_proba(rows)
    )


def segments_reference(
    model_input: pd.DataFrame,
    segmentation_model: SegmentationModel,
    spec: dict[str, Any],
    schema: dict[str, Any],
    score: dict[str, Any],
) -> dict[str, Any]:
    """The reference of a use case without a risk model: every feature's distribution
    and the segments' shares on the rows a score run would assign."""
    rows = reference_rows(model_input, schema, score)
    segments, _ = segmentation_model.assign(rows)
    return reference_distributions(rows, spec, None, segments=segments)


def noise_level(bins: int, rows: int, reference_rows: int, quantile: float) -> float:
    """The PSI that sampling alone exceeds with probability 1 - `quantile`, for two
    samples of these sizes over `bins` bins (PSI ~ chi2(bins - 1) x (1/n + 1/m))."""
    if bins < 2 or rows < 1:
        return 0.0
    # chdtri(df, p): the chi-square quantile with upper tail p (chi2.ppf without
    # importing scipy.stats, which the nightly batch would otherwise load)
    upper = chdtri(bins - 1, 1 - quantile)
    return float(upper * (1 / rows + 1 / max(reference_rows, 1)))


def pooled_psi(
    expected: np.ndarray, counts: np.ndarray, reference_rows: int, min_count: float = 5
) -> tuple[float, int]:
    """PSI with the bins too small to read (expected count under `min_count` in this
    sample) pooled into one; returns the PSI and the number of bins it used."""
    expected = np.asarray(expected, dtype=float)
    counts = np.asarray(counts, dtype=float)
    rows = counts.sum()
    if rows == 0:
        return 0.0, 0
    small = expected * rows < min_count
    if small.any() and (~small).any():
        expected = np.append(expected[~small], expected[small].sum())
        counts = np.append(counts[~small], counts[small].sum())
    return psi(expected, counts / rows), int((expected > 0).sum())


def drift_row(
    feature: str,
    kind: str,
    expected: np.ndarray,
    counts: np.ndarray,
    reference_rows: int,
    floor: float = PSI_WARNING,
) -> dict[str, Any]:
    """PSI of one feature, the level sampling alone would reach, and the verdict."""
    value, bins = pooled_psi(expected, counts, reference_rows)
    rows = int(np.sum(counts))
    major = max(floor, noise_level(bins, rows, reference_rows, 0.999))
    moderate = max(PSI_MODERATE, noise_level(bins, rows, reference_rows, 0.99))
    verdict = (
        f"major (> {major:.3g})"
        if value > major
        else f"moderate (> {moderate:.3g})"
        if value > moderate
        else "none"
    )
    return {
        "feature": feature,
        "kind": kind,
        "psi": value,
        "alarm_level": major,
        "drift": verdict,
    }


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

    def add(
        self,
        rows: pd.DataFrame,
        scores: np.ndarray | None,
        segments: np.ndarray | None = None,
    ) -> None:
        """Count one chunk: the model-input rows as they arrived (missing, and inf,
        in the missing bin; a missing category as its own level), its scores and (if
        the reference has their shares) its segments. Counted on the columns' own
        arrays: no model matrix is built for this."""
        self.rows += len(rows)
        for column, ref in self.reference["numeric"].items():
            values = (
                scores if column == SCORE_COLUMN else rows[column].to_numpy(dtype=float)
            )
            self.numeric[column] += numeric_counts(values, np.asarray(ref["edges"]))
        for column in self.categorical:
            counts = (
                pd.Series(segments).astype(str).value_counts()
                if column == SEGMENT_COLUMN
                else rows[column].value_counts(dropna=False)
            )
            for level, count in counts.items():
                key = MISSING_CATEGORY if pd.isna(level) else str(level)
                self.categorical[column][key] = self.categorical[column].get(
                    key, 0
                ) + int(count)

    def psi(self, floor: float = PSI_WARNING) -> pd.DataFrame:
        """PSI per feature and for the score, largest first, with the level sampling
        alone would reach for this many rows (`alarm_level`) and the verdict."""
        m = int(self.reference.get("rows", 0))
        rows = []
        for column, ref in self.reference["numeric"].items():
            name = "risk_score" if column == SCORE_COLUMN else column
            rows.append(
                drift_row(
                    name, "numeric", np.asarray(ref["shares"]), self.numeric[column], m
                )
            )
        for column, ref in self.reference["categorical"].items():
            levels = sorted(set(ref) | set(self.categorical[column]))
            expected = np.array([ref.get(level, 0.0) for level in levels])
            counts = np.array(
                [self.categorical[column].get(level, 0) for level in levels]
            )
            name = "segment" if column == SEGMENT_COLUMN else column
            rows.append(drift_row(name, "categorical", expected, counts, m, floor))
        table = pd.DataFrame(
            rows, columns=["feature", "kind", "psi", "alarm_level", "drift"]
        )
        return table.sort_values("psi", ascending=False, ignore_index=True)
