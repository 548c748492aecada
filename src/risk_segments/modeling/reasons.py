"""Per-row reason codes from CatBoost's native SHAP values (shared by evaluation and scoring)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

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


def _format_value(name: str, value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "missing"
    if isinstance(value, str):
        return value
    derived = parse_derived(name)
    if derived and derived.kind == "logchange":
        return f"{np.expm1(float(value)):+.0%}"
    if derived and derived.kind == "delta":
        return f"{float(value):+.3g}"
    return f"{float(value):.3g}"


def reason_text(name: str, value: object, spec: dict, labels: dict[str, str]) -> str:
    """One phrase an operations reviewer can read, e.g. 'late shipments 0.18 (typical 0.05)'."""
    label = feature_label(name, labels)
    shown = _format_value(name, value)
    if name in spec.get("categorical", []):
        return f"{label}: {shown}"
    if shown == "missing":
        return f"{label} not reported"
    typical = spec.get("medians", {}).get(name)
    derived = parse_derived(name)
    if typical is None or np.isnan(typical) or (derived and derived.kind != "mean"):
        return f"{label} {shown}"
    return f"{label} {shown} (typical {_format_value(name, typical)})"


def shap_contributions(risk_model: RiskModel, frame: pd.DataFrame) -> np.ndarray:
    """Rows x features SHAP matrix: with the expected value, the raw log-odds."""
    return risk_model.shap_values(frame)


def reason_codes(
    risk_model: RiskModel,
    frame: pd.DataFrame,
    labels: dict[str, str],
    top_k: int = 4,
) -> pd.DataFrame:
    """The top `top_k` features pushing each row's risk up, with value, text and contribution."""
    features = risk_model.spec["features"]
    out = pd.DataFrame(index=frame.index)
    if frame.empty:
        for i in range(1, top_k + 1):
            for part in ("feature", "value", "text", "contribution"):
                out[f"reason_{i}_{part}"] = pd.Series(
                    dtype=float if part == "contribution" else object
                )
        return out
    contributions = shap_contributions(risk_model, frame)
    order = np.argsort(-contributions, axis=1, kind="stable")[:, :top_k]
    values = frame[features].to_numpy(dtype=object)
    rows = np.arange(len(frame))
    for i in range(min(top_k, len(features))):
        j = order[:, i]
        contribution = contributions[rows, j]
        pushes_up = contribution > 0
        names = np.asarray(features, dtype=object)[j]
        row_values = values[rows, j]
        out[f"reason_{i + 1}_feature"] = np.where(pushes_up, names, None)
        out[f"reason_{i + 1}_value"] = [
            _format_value(n, v) if up else None
            for n, v, up in zip(names, row_values, pushes_up, strict=True)
        ]
        out[f"reason_{i + 1}_text"] = [
            reason_text(n, v, risk_model.spec, labels) if up else None
            for n, v, up in zip(names, row_values, pushes_up, strict=True)
        ]
        out[f"reason_{i + 1}_contribution"] = np.where(pushes_up, contribution, np.nan)
    return out
