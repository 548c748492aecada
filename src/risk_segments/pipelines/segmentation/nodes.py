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
from sklearn.metrics import adjusted_rand_score

from risk_segments.modeling.reasons import feature_label
from risk_segments.modeling.segmentation import SegmentationModel, fit_segmentation

logger = logging.getLogger(__name__)


def _unlabeled_view(model_input: pd.DataFrame, schema: dict[str, Any]) -> pd.DataFrame:
    """The rows without the label column: what segmentation is allowed to see."""
    return model_input.drop(columns=[schema["label_column"]])


def _sample(frame: pd.DataFrame, n: int, seed: int) -> pd.DataFrame:
    return (
        frame.sample(n=min(n, len(frame)), random_state=seed)
        if n < len(frame)
        else frame
    )


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


def _segment_name(row: pd.Series, labels: dict[str, str], taken: set[str]) -> str:
    top = row.abs().sort_values(ascending=False)
    parts = []
    for feature in top.index[:2]:
        if abs(row[feature]) < 0.3:
            break
        parts.append(
            f"{'high' if row[feature] > 0 else 'low'} {feature_label(feature, labels, short=True)}"
        )
    name = ", ".join(parts).capitalize() if parts else "Typical profile"
    base, n = name, 2
    while name in taken:
        name, n = f"{base} ({n})", n + 1
    taken.add(name)
    return name


def fit_segmentation_model(
    model_input: pd.DataFrame,
    schema: dict[str, Any],
    segmentation: dict[str, Any],
    feature_labels: dict[str, str],
) -> SegmentationModel:
    """Fit preprocessing and the segmentation on a sample of all rows, labels never used."""
    rows = _unlabeled_view(model_input, schema)
    seed = int(segmentation.get("seed", 0))
    sample = _sample(rows, int(segmentation["fit_sample"]), seed)
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
    taken: set[str] = set()
    names = {
        int(s): _segment_name(differences.loc[s], feature_labels, taken)
        for s in differences.index
    }
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
    profile = segmentation["profile"]
    features = segmentation_model.features
    segments = segment_assignments["segment"].to_numpy()
    differences = _standardized_differences(model_input, segments, features)
    label = model_input[schema["label_column"]].astype(float)
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
                for rule in segmentation["actions"]
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
    figure, axis = plt.subplots(
        figsize=(1.0 + 0.55 * len(shown), 1.2 + 0.5 * len(data))
    )
    image = axis.imshow(
        data.to_numpy(), cmap="RdBu_r", vmin=-1.5, vmax=1.5, aspect="auto"
    )
    axis.set_xticks(
        range(len(shown)),
        [feature_label(f, labels) for f in shown],
        rotation=60,
        ha="right",
    )
    axis.set_yticks(
        range(len(data)),
        [f"{r.segment_name} ({r.share:.0%})" for r in profiles.itertuples()],
    )
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


# --------------------------------------------------------------------------- stability


def _jaccard_per_segment(
    reference: np.ndarray, other: np.ndarray, k: int
) -> np.ndarray:
    """For each reference segment, the best Jaccard overlap with any segment of `other`."""
    out = np.zeros(k)
    for s in range(k):
        a = reference == s
        if not a.any():
            out[s] = np.nan
            continue
        best = 0.0
        for t in np.unique(other[a]):
            b = other == t
            best = max(best, (a & b).sum() / (a | b).sum())
        out[s] = best
    return out


def _refit(
    frame: pd.DataFrame,
    segmentation: dict[str, Any],
    model: SegmentationModel,
    seed: int,
) -> SegmentationModel:
    """Refit with the same settings (kmeans with the chosen k) on another sample."""
    params = {**segmentation, "seed": seed}
    if model.algorithm == "kmeans":
        params["kmeans"] = {
            **segmentation["kmeans"],
            "k_min": model.n_segments,
            "k_max": model.n_segments,
        }
        params["kmeans"]["stability_resamples"] = 1
    refit, _ = fit_segmentation(frame, params)
    return refit


def _psi(expected: np.ndarray, actual: np.ndarray, k: int) -> float:
    e = np.bincount(expected, minlength=k) / max(len(expected), 1)
    a = np.bincount(actual, minlength=k) / max(len(actual), 1)
    e, a = np.clip(e, 1e-4, None), np.clip(a, 1e-4, None)
    return float(((a - e) * np.log(a / e)).sum())


def check_segment_stability(
    model_input: pd.DataFrame,
    segmentation_model: SegmentationModel,
    segment_assignments: pd.DataFrame,
    truth: pd.DataFrame,
    schema: dict[str, Any],
    segmentation: dict[str, Any],
) -> dict[str, Any]:
    """Resampling stability, month-over-month behaviour, share drift and truth recovery."""
    options = segmentation["stability"]
    seed = int(segmentation.get("seed", 0))
    id_col, date_col = schema["id_column"], schema["date_column"]
    rows = _unlabeled_view(model_input, schema)
    k = segmentation_model.n_segments
    result: dict[str, Any] = {"algorithm": segmentation_model.algorithm, "segments": k}

    # 1. resampling: refit on 80% subsamples, compare on a fixed evaluation sample
    evaluation = _sample(rows, options["evaluation_sample"], seed + 100)
    reference, _ = segmentation_model.assign(evaluation)
    aris, jaccards = [], []
    start = time.perf_counter()
    for r in range(options["resamples"]):
        subsample = _sample(
            rows,
            int(
                options["subsample_share"] * min(len(rows), segmentation["fit_sample"])
            ),
            seed + r + 1,
        )
        refit = _refit(subsample, segmentation, segmentation_model, seed + r + 1)
        other, _ = refit.assign(evaluation)
        aris.append(adjusted_rand_score(reference, other))
        jaccards.append(_jaccard_per_segment(reference, other, k))
    jaccard = np.nanmean(np.vstack(jaccards), axis=0)
    result["resampling"] = {
        "method": f"refit on {options['resamples']} subsamples of {options['subsample_share']:.0%}, "
        f"compared on {len(evaluation)} rows",
        "ari_mean": float(np.mean(aris)),
        "ari_min": float(np.min(aris)),
        "jaccard_per_segment": {
            segmentation_model.segment_names.get(s, str(s)): float(jaccard[s])
            for s in range(k)
        },
        "segments_below_0_75_jaccard": int((jaccard < 0.75).sum()),
    }
    logger.info(
        "Resampling stability: ARI %.3f (min %.3f), per-segment Jaccard %s (%.0f s)",
        np.mean(aris),
        np.min(aris),
        np.round(jaccard, 2).tolist(),
        time.perf_counter() - start,
    )

    # 2. month over month, for panels
    dates = np.sort(segment_assignments[date_col].unique())
    has_truth = (
        truth is not None and len(truth) > 0 and "true_archetype" in truth.columns
    )
    if len(dates) > 1:
        assigned = segment_assignments[[id_col, date_col, "segment"]]
        month_index = {d: i for i, d in enumerate(dates)}
        current = assigned.assign(_t=assigned[date_col].map(month_index))
        following = current.assign(_t=current["_t"] - 1)[[id_col, "_t", "segment"]]
        pairs = current.merge(following, on=[id_col, "_t"], suffixes=("", "_next"))
        transitions = pd.crosstab(
            pairs["segment"], pairs["segment_next"], normalize="index"
        )
        result["month_over_month"] = {
            "pairs": len(pairs),
            "share_keeping_segment": float(
                (pairs["segment"] == pairs["segment_next"]).mean()
            ),
            "transition_matrix": {
                segmentation_model.segment_names.get(int(a), str(a)): {
                    segmentation_model.segment_names.get(int(b), str(b)): float(
                        transitions.loc[a, b]
                    )
                    for b in transitions.columns
                }
                for a in transitions.index
            },
        }
        if has_truth:
            keyed = truth[[id_col, date_col, "true_archetype"]].assign(
                _t=truth[date_col].map(month_index)
            )
            nxt = keyed.assign(_t=keyed["_t"] - 1)[[id_col, "_t", "true_archetype"]]
            true_pairs = keyed.merge(nxt, on=[id_col, "_t"], suffixes=("", "_next"))
            result["month_over_month"]["true_archetype_persistence"] = float(
                (
                    true_pairs["true_archetype"] == true_pairs["true_archetype_next"]
                ).mean()
            )
        # refit on the newest two months separately: do they agree on the entities in both?
        last, previous = dates[-1], dates[-2]
        rows_last = rows.loc[rows[date_col] == last]
        rows_prev = rows.loc[rows[date_col] == previous]
        model_prev = _refit(
            _sample(rows_prev, segmentation["fit_sample"], seed),
            segmentation,
            segmentation_model,
            seed,
        )
        model_last = _refit(
            _sample(rows_last, segmentation["fit_sample"], seed),
            segmentation,
            segmentation_model,
            seed,
        )
        both = rows_prev[[id_col]].merge(rows_last[[id_col]], on=id_col)[id_col]
        a = model_prev.assign(rows_prev.set_index(id_col).loc[both].reset_index())[0]
        b = model_last.assign(rows_last.set_index(id_col).loc[both].reset_index())[0]
        result["month_over_month"]["separate_refit_ari"] = {
            "months": [
                str(pd.Timestamp(previous).date()),
                str(pd.Timestamp(last).date()),
            ],
            "entities_in_both": len(both),
            "ari": float(adjusted_rand_score(a, b)),
        }
        # 3. drift of segment shares: the training months vs the newest month
        newest = segment_assignments[date_col] == last
        result["share_psi_newest_vs_rest"] = _psi(
            segment_assignments.loc[~newest, "segment"].to_numpy(),
            segment_assignments.loc[newest, "segment"].to_numpy(),
            k,
        )
        logger.info(
            "Month over month: %.1f%% keep their segment (true archetype persistence %s); "
            "separate refits ARI %.3f; share PSI newest vs rest %.3f",
            100 * result["month_over_month"]["share_keeping_segment"],
            f"{100 * result['month_over_month'].get('true_archetype_persistence', float('nan')):.1f}%",
            result["month_over_month"]["separate_refit_ari"]["ari"],
            result["share_psi_newest_vs_rest"],
        )
    else:
        labeled = model_input[schema["label_column"]].notna().to_numpy()
        result["month_over_month"] = None
        result["share_psi_unlabeled_vs_labeled"] = _psi(
            segment_assignments["segment"].to_numpy()[labeled],
            segment_assignments["segment"].to_numpy()[~labeled],
            k,
        )

    # 4. recovery of the simulation's archetypes
    if has_truth:
        joined = segment_assignments.merge(
            truth[[id_col, date_col, "true_archetype"]], on=[id_col, date_col]
        )
        coverage = len(joined) / max(len(segment_assignments), 1)
        if coverage < 0.99:
            logger.warning(
                "The truth table covers only %.1f%% of the segmented rows: it does not come from "
                "the same source (mixed environments?); truth recovery is computed on those rows only",
                100 * coverage,
            )
        result["truth_recovery"] = {
            "truth_coverage": coverage,
            "ari_vs_true_archetype": float(
                adjusted_rand_score(joined["true_archetype"], joined["segment"])
            ),
            "archetype_share_per_segment": {
                segmentation_model.segment_names.get(int(s), str(s)): group[
                    "true_archetype"
                ]
                .value_counts(normalize=True)
                .round(3)
                .to_dict()
                for s, group in joined.groupby("segment")
            },
        }
        logger.info(
            "Recovery of true archetypes: ARI %.3f",
            result["truth_recovery"]["ari_vs_true_archetype"],
        )
    else:
        result["truth_recovery"] = None
    return result
