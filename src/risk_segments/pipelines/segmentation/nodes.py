"""Nodes of the segmentation pipeline: fit, assign, profile, check stability.

The label is never an input to fitting or assignment: `fit_segmentation_model`
drops it before anything else. It is joined only in `profile_segments`, after
the segments exist, to report each segment's label rate for the comparison.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from risk_segments.modeling.reasons import feature_label
from risk_segments.modeling.segmentation import (
    SegmentationModel,
    category_levels,
    fit_segmentation,
    indicator_names,
    with_category_indicators,
    with_default_features,
)

from .stability import (
    resampling,
    sample_rows,
    separate_refits,
    share_psi,
    transitions,
    truth_recovery,
)

logger = logging.getLogger(__name__)


def _labels(model_input: pd.DataFrame, schema: dict[str, Any]) -> pd.Series:
    """The label as floats (missing where unlabeled; all missing without a label)."""
    label = schema.get("label_column")
    if label is None:
        return pd.Series(np.nan, index=model_input.index)
    return model_input[label].astype(float)


def _unlabeled_view(model_input: pd.DataFrame, schema: dict[str, Any]) -> pd.DataFrame:
    """The rows without the label column: what segmentation is allowed to see."""
    label = schema.get("label_column")
    return model_input if label is None else model_input.drop(columns=[label])


def _standardized_differences(
    frame: pd.DataFrame, segments: np.ndarray, features: list[str]
) -> pd.DataFrame:
    """Per segment and feature: (segment mean - population mean) / population sd, on
    rank-transformed values so heavy tails do not dominate."""
    ranks = frame[features].rank(pct=True)
    mean = ranks.mean()
    sd = ranks.std().replace(0, np.nan)
    by_segment = ranks.groupby(segments).mean()
    return ((by_segment - mean) / sd).fillna(0.0)


def _descriptors(row: pd.Series, labels: dict[str, str], levels: set[str]) -> list[str]:
    """What sets a segment apart, strongest first: 'high tenure', 'few <level>' for
    every feature at least 0.3 sd from the whole (a categorical's level in `levels`:
    more or fewer of the rows hold it)."""
    out = []
    for feature in row.abs().sort_values(ascending=False).index:
        if abs(row[feature]) < 0.3:
            break
        above, below = ("mostly", "few") if feature in levels else ("high", "low")
        out.append(
            f"{above if row[feature] > 0 else below} "
            f"{feature_label(feature, labels, short=True)}"
        )
    return out


def _segment_names(
    differences: pd.DataFrame, labels: dict[str, str], levels: set[str]
) -> dict[int, str]:
    """Each segment named by its two strongest descriptors; segments whose names say
    the same things (in any order: 'Low tenure, low spend' and 'Low spend, low
    tenure') take their next descriptors, up to four, before a number sets them apart."""
    said = {
        int(s): _descriptors(differences.loc[s], labels, levels)
        for s in differences.index
    }
    shown = dict.fromkeys(said, 2)
    for _ in range(2):
        sets = {s: frozenset(said[s][: shown[s]]) for s in said}
        alike = [s for s in said if list(sets.values()).count(sets[s]) > 1]
        for s in alike:
            shown[s] += 1
    names, taken = {}, set()
    for s, parts in said.items():
        joined = ", ".join(parts[: shown[s]])
        name = base = joined[:1].upper() + joined[1:] if parts else "Typical profile"
        n = 2
        while name in taken:
            name, n = f"{base} ({n})", n + 1
        taken.add(name)
        names[s] = name
    return names


def fit_segmentation_model(
    model_input: pd.DataFrame,
    schema: dict[str, Any],
    segmentation: dict[str, Any],
    feature_labels: dict[str, str],
) -> SegmentationModel:
    """Fit preprocessing and the segmentation on a sample of all rows, labels never used."""
    rows = _unlabeled_view(model_input, schema)
    seed = int(segmentation.get("seed", 0))
    sample = sample_rows(rows, int(segmentation["fit_sample"]), seed)
    excluded = [schema["id_column"], schema["date_column"], *schema["categorical"]]
    segmentation = with_default_features(segmentation, sample, excluded)
    levels = category_levels(sample, segmentation.get("category_features") or [])
    segmentation = {
        **segmentation,
        "category_levels": levels,
        "features": [*segmentation["features"], *indicator_names(levels)],
    }
    if not segmentation["features"]:
        raise ValueError(
            "segmentation: no feature to segment on (no numeric column, no "
            "segmentation.category_features); list categorical columns there"
        )
    sample = with_category_indicators(sample, levels)
    start = time.perf_counter()
    logger.info(
        "Fitting %s segmentation on %d of %d rows (%d features)...",
        segmentation["algorithm"],
        len(sample),
        len(rows),
        len(segmentation["features"]),
    )
    model, labels = fit_segmentation(sample, segmentation)
    differences = _standardized_differences(sample, labels, model.features)
    names = _segment_names(differences, feature_labels, set(indicator_names(levels)))
    logger.info(
        "Found %d segments in %.0f s: %s",
        model.n_segments,
        time.perf_counter() - start,
        "; ".join(names.values()),
    )
    return replace(model, segment_names=names)


def assign_segments(
    model_input: pd.DataFrame,
    segmentation_model: SegmentationModel,
    schema: dict[str, Any],
) -> pd.DataFrame:
    """Segment, name and atypical flag for every row (labeled and unlabeled alike)."""
    keys = [schema["id_column"], schema["date_column"]]
    segments, atypical = segmentation_model.assign(_unlabeled_view(model_input, schema))
    out = model_input[keys].copy()
    out["segment"] = segments
    out["segment_name"] = (
        pd.Series(segments).map(segmentation_model.segment_names).to_numpy()
    )
    out["atypical"] = atypical
    if len(out) != len(model_input):
        raise RuntimeError("segment assignment lost rows")
    logger.info(
        "Assigned %d rows to %d segments (%.1f%% atypical)",
        len(out),
        segmentation_model.n_segments,
        100 * atypical.mean(),
    )
    return out


def _matches(rule: dict[str, Any], row: pd.Series, min_difference: float) -> bool:
    feature = rule["feature"]
    if feature not in row.index:
        return False
    value = row[feature]
    return (
        value >= min_difference
        if rule["direction"] == "high"
        else value <= -min_difference
    )


def profile_segments(
    model_input: pd.DataFrame,
    segment_assignments: pd.DataFrame,
    segmentation_model: SegmentationModel,
    schema: dict[str, Any],
    segmentation: dict[str, Any],
    feature_labels: dict[str, str],
) -> tuple[pd.DataFrame, plt.Figure]:
    """One row per segment: size, key-feature medians and IQRs, what sets it apart,
    the label rate (joined afterwards), and a suggested action; plus a heatmap."""
    profile = dict(segmentation["profile"])
    features = segmentation_model.features
    model_input = segmentation_model.with_indicators(model_input)
    segments = segment_assignments["segment"].to_numpy()
    differences = _standardized_differences(model_input, segments, features)
    if not profile.get("key_features"):  # default: what sets the segments apart most
        spread = differences.abs().max(axis=0).sort_values(ascending=False)
        profile["key_features"] = spread.index[:12].tolist()
    label = _labels(model_input, schema)
    rows = []
    for s in sorted(np.unique(segments)):
        members = segments == s
        diff = differences.loc[s]
        top = (
            diff.abs()
            .sort_values(ascending=False)
            .index[: profile["top_distinguishing"]]
        )
        action = next(
            (
                rule["action"]
                for rule in segmentation.get("actions") or []
                if rule["feature"] in top
                and _matches(rule, diff, profile["action_min_difference"])
            ),
            segmentation["default_action"],
        )
        row: dict[str, Any] = {
            "segment": int(s),
            "segment_name": segmentation_model.segment_names.get(
                int(s), f"segment {s}"
            ),
            "rows": int(members.sum()),
            "share": float(members.mean()),
            "atypical_share": float(
                segment_assignments["atypical"].to_numpy()[members].mean()
            ),
            "distinguishing": "; ".join(
                f"{feature_label(f, feature_labels)} {'above' if diff[f] > 0 else 'below'} average ({diff[f]:+.2f} sd)"
                for f in top
            ),
            "suggested_action": action,
            "label_rate": float(label[members].mean())
            if label[members].notna().any()
            else np.nan,
            "labeled_rows": int(label[members].notna().sum()),
        }
        for f in profile["key_features"]:
            values = model_input.loc[members, f].to_numpy(dtype=float)
            if np.isfinite(values).any():
                q25, q50, q75 = np.nanpercentile(values, [25, 50, 75])
            else:
                q25 = q50 = q75 = np.nan
            row[f"{f}_median"] = q50
            row[f"{f}_iqr"] = f"{q25:.3g} to {q75:.3g}"
        rows.append(row)
    profiles = pd.DataFrame(rows).sort_values(
        "share", ascending=False, ignore_index=True
    )
    atypical_note = (
        "atypical rows (HDBSCAN noise, or far from every segment) stay in their nearest segment "
        "and carry atypical=True"
    )
    profiles.attrs["note"] = atypical_note
    figure = _profile_heatmap(
        differences, profiles, feature_labels, profile["key_features"]
    )
    return profiles, figure


def _profile_heatmap(
    differences: pd.DataFrame,
    profiles: pd.DataFrame,
    labels: dict[str, str],
    key_features: list[str],
) -> plt.Figure:
    shown = [f for f in key_features if f in differences.columns]
    data = differences.loc[profiles["segment"], shown]
    columns = [feature_label(f, labels) for f in shown]
    rows = [f"{r.segment_name} ({r.share:.0%})" for r in profiles.itertuples()]
    # room for the labels too: long segment names and 'Contract = Two year' columns
    figure, axis = plt.subplots(
        figsize=(
            max(7.0, 2.5 + 0.55 * len(shown) + 0.075 * max(map(len, rows))),
            1.6 + 0.5 * len(data) + 0.06 * max(map(len, columns), default=0),
        )
    )
    image = axis.imshow(
        data.to_numpy(), cmap="RdBu_r", vmin=-1.5, vmax=1.5, aspect="auto"
    )
    axis.set_xticks(range(len(shown)), columns, rotation=60, ha="right")
    axis.set_yticks(range(len(data)), rows)
    for i in range(data.shape[0]):
        for j in range(data.shape[1]):
            axis.text(
                j, i, f"{data.iat[i, j]:+.1f}", ha="center", va="center", fontsize=7
            )
    figure.colorbar(image, ax=axis, label="difference from population (sd, rank scale)")
    axis.set_title(
        "Segment profiles: how each segment differs from the whole population"
    )
    figure.tight_layout()
    return figure


def check_segment_stability(
    model_input: pd.DataFrame,
    segmentation_model: SegmentationModel,
    segment_assignments: pd.DataFrame,
    truth: pd.DataFrame,
    schema: dict[str, Any],
    segmentation: dict[str, Any],
) -> dict[str, Any]:
    """Resampling stability, month-over-month behaviour, share drift and truth recovery."""
    keys = (schema["id_column"], schema["date_column"])
    rows = _unlabeled_view(model_input, schema)
    k = segmentation_model.n_segments
    segmentation = {  # refits use the features the model was fitted with
        **segmentation,
        "features": segmentation_model.features,
        "log_features": segmentation_model.log_features,
        "category_levels": segmentation_model.category_levels,
    }
    has_truth = (
        truth is not None and len(truth) > 0 and "true_archetype" in truth.columns
    )
    result: dict[str, Any] = {
        "algorithm": segmentation_model.algorithm,
        "segments": k,
        "features": len(segmentation_model.features),
        "resampling": resampling(rows, segmentation_model, segmentation),
    }
    segments = segment_assignments["segment"].to_numpy()
    dates = np.sort(segment_assignments[keys[1]].unique())
    if len(dates) > 1:  # a panel: month over month
        mom = transitions(
            segment_assignments,
            segmentation_model,
            truth if has_truth else None,
            keys,
            dates,
        )
        mom["separate_refit_ari"] = separate_refits(
            rows, segmentation_model, segmentation, keys, (dates[-2], dates[-1])
        )
        newest = (segment_assignments[keys[1]] == dates[-1]).to_numpy()
        result["month_over_month"] = mom
        result["share_psi_newest_vs_rest"] = share_psi(
            segments[~newest], segments[newest], k
        )
        logger.info(
            "Month over month: %.1f%% keep their segment (true archetype persistence %s); "
            "separate refits ARI %.3f; share PSI newest vs rest %.3f",
            100 * mom["share_keeping_segment"],
            f"{100 * mom.get('true_archetype_persistence', float('nan')):.1f}%",
            mom["separate_refit_ari"]["ari"],
            result["share_psi_newest_vs_rest"],
        )
    else:
        labeled = _labels(model_input, schema).notna().to_numpy()
        result["month_over_month"] = None
        if labeled.any() and not labeled.all():
            result["share_psi_unlabeled_vs_labeled"] = share_psi(
                segments[labeled], segments[~labeled], k
            )
    result["truth_recovery"] = (
        truth_recovery(segment_assignments, segmentation_model, truth, list(keys), rows)
        if has_truth
        else None
    )
    return result
