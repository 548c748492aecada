"""Per-row reason codes from CatBoost's native SHAP values (shared by evaluation and scoring)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from catboost import Pool

from .features import parse_derived
from .risk_model import RiskModel


def readable(name: str) -> str:
    """A column name as words: `days_since_order` -> 'days since order',
    `MonthlyCharges` -> 'monthly charges'."""
    spaced = name.replace("_", " ")
    split = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", spaced)
    return split.lower() if split != spaced else spaced


def feature_label(name: str, labels: dict[str, str], *, short: bool = False) -> str:
    """Readable label for a feature; derived history features are named after their base.

    With ``short``, an average over months reads as its base feature (for segment names).
    """
    if name in labels:
        return labels[name]
    derived = parse_derived(name)
    if derived:
        base = labels.get(derived.base, readable(derived.base))
        if short and derived.kind == "mean":
            return base
        months = derived.months
        span = f"{months} month{'s' if months > 1 else ''}"
        if derived.kind == "mean":
            return f"{base}, {span} average"
        return f"change in {base} over {span}"
    return readable(name)


def _shown(name: str, values: np.ndarray, categorical: bool) -> np.ndarray:
    """Values as a reviewer reads them ('missing' where there is none): text as it
    is, a change of log1p as a percentage, a change with its sign, else 3 digits."""
    missing = pd.isna(values)
    out = np.full(len(values), "missing", dtype=object)
    if categorical:
        out[~missing] = values[~missing].astype(str)
        return out
    numbers = values[~missing].astype(float)
    derived = parse_derived(name)
    if derived and derived.kind == "logchange":
        out[~missing] = [f"{v:+.0%}" for v in np.expm1(numbers)]
    elif derived and derived.kind == "delta":
        out[~missing] = [f"{v:+.3g}" for v in numbers]
    else:
        out[~missing] = [f"{v:.3g}" for v in numbers]
    return out


def reason_phrases(
    name: str, values: np.ndarray, spec: dict, labels: dict[str, str]
) -> tuple[np.ndarray, np.ndarray]:
    """For one feature and many rows: the values as shown, and the phrase an operations
    reviewer reads, e.g. 'late shipments 0.18 (typical 0.05)'."""
    label = feature_label(name, labels)
    categorical = name in spec.get("categorical", [])
    shown = _shown(name, np.asarray(values, dtype=object), categorical)
    if categorical:
        return shown, np.array([f"{label}: {v}" for v in shown], dtype=object)
    typical = spec.get("medians", {}).get(name)
    derived = parse_derived(name)
    suffix = ""
    if not (
        typical is None or np.isnan(typical) or (derived and derived.kind != "mean")
    ):
        typical_text = _shown(name, np.array([typical], dtype=object), False)[0]
        suffix = f" (typical {typical_text})"
    text = np.array(
        [
            f"{label} not reported" if v == "missing" else f"{label} {v}{suffix}"
            for v in shown
        ],
        dtype=object,
    )
    return shown, text


REASON_PARTS = ("feature", "value", "text", "contribution")


def reason_arrays(
    risk_model: RiskModel,
    frame: pd.DataFrame,
    labels: dict[str, str],
    top_k: int = 4,
    pool: Pool | None = None,
) -> dict[str, np.ndarray]:
    """The top `top_k` features pushing each row's risk up, with value, text and
    contribution, as `reason_<i>_<part>` arrays (None / NaN where fewer push up).
    `pool`: the rows already as a CatBoost pool (saves building it again)."""
    features = risk_model.spec["features"]
    slots = min(top_k, len(features))
    out: dict[str, np.ndarray] = {}
    for i in range(1, top_k + 1):
        for part in REASON_PARTS:
            out[f"reason_{i}_{part}"] = (
                np.full(len(frame), np.nan)
                if part == "contribution"
                else np.full(len(frame), None, dtype=object)
            )
    if frame.empty:
        return out
    contributions = risk_model.shap_values(frame if pool is None else pool)
    order = np.argsort(-contributions, axis=1, kind="stable")[:, :slots]
    rows = np.arange(len(frame))
    for i in range(slots):
        j = order[:, i]
        contribution = contributions[rows, j]
        pushes_up = contribution > 0
        key = f"reason_{i + 1}"
        out[f"{key}_contribution"][pushes_up] = contribution[pushes_up]
        for f in np.unique(j[pushes_up]):  # one feature at a time: its phrases at once
            these = np.flatnonzero(pushes_up & (j == f))
            name = features[f]
            shown, text = reason_phrases(
                name,
                frame[name].iloc[these].to_numpy(dtype=object),
                risk_model.spec,
                labels,
            )
            out[f"{key}_feature"][these] = name
            out[f"{key}_value"][these] = shown
            out[f"{key}_text"][these] = text
    return out


def reason_codes(
    risk_model: RiskModel,
    frame: pd.DataFrame,
    labels: dict[str, str],
    top_k: int = 4,
) -> pd.DataFrame:
    """`reason_arrays` as a table with the frame's index."""
    return pd.DataFrame(
        reason_arrays(risk_model, frame, labels, top_k), index=frame.index
    )
