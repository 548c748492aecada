"""How far the segments can be trusted: resampling, month over month, share drift, truth.

Each function measures one thing on rows without their label; the node
`check_segment_stability` puts them together.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score

from risk_segments.modeling.monitoring import psi
from risk_segments.modeling.segmentation import (
    SegmentationModel,
    fit_segmentation,
    jaccard_per_segment,
    separability_ceiling,
)

logger = logging.getLogger(__name__)


def sample_rows(frame: pd.DataFrame, n: int, seed: int) -> pd.DataFrame:
    """At most n rows, drawn with a seed (all rows when there are fewer)."""
    return (
        frame.sample(n=min(n, len(frame)), random_state=seed)
        if n < len(frame)
        else frame
    )


def refit(
    frame: pd.DataFrame,
    segmentation: dict[str, Any],
    model: SegmentationModel,
    seed: int,
) -> SegmentationModel:
    """Refit the same procedure on another sample: kmeans with the chosen k; when the
    model was whitened, whitened by the segments at its first k as it was (forcing the
    final k on the first pass too would check another procedure), and not whitened
    when its fit skipped the whitening."""
    params = {**segmentation, "seed": seed}
    if model.algorithm == "kmeans":
        first = model.info.get("first_k")
        params["kmeans"] = {
            **segmentation["kmeans"],
            "k_min": first or model.n_segments,
            "k_max": first or model.n_segments,
            "whitened_k": model.n_segments if first else None,
        }
        params["kmeans"]["stability_resamples"] = 1
        if not isinstance(model.info.get("within_whitening"), dict):
            params["within_whitening"] = None
    refitted, _ = fit_segmentation(frame, params)
    return refitted


def share_psi(expected: np.ndarray, actual: np.ndarray, k: int) -> float:
    """PSI between the segment shares of two sets of rows."""
    e = np.bincount(expected, minlength=k) / max(len(expected), 1)
    a = np.bincount(actual, minlength=k) / max(len(actual), 1)
    return psi(e, a)


def resampling(
    rows: pd.DataFrame,
    model: SegmentationModel,
    segmentation: dict[str, Any],
) -> dict[str, Any]:
    """Refit on subsamples, compare with the saved model on a fixed evaluation sample."""
    options = segmentation["stability"]
    seed = int(segmentation.get("seed", 0))
    k = model.n_segments
    evaluation = sample_rows(rows, options["evaluation_sample"], seed + 100)
    reference, _ = model.assign(evaluation)
    aris, jaccards = [], []
    start = time.perf_counter()
    size = int(options["subsample_share"] * min(len(rows), segmentation["fit_sample"]))
    for r in range(options["resamples"]):
        subsample = sample_rows(rows, size, seed + r + 1)
        other, _ = refit(subsample, segmentation, model, seed + r + 1).assign(
            evaluation
        )
        aris.append(adjusted_rand_score(reference, other))
        jaccards.append(jaccard_per_segment(reference, other, k))
    jaccard = np.nanmean(np.vstack(jaccards), axis=0)
    logger.info(
        "Resampling stability: ARI %.3f (min %.3f), per-segment Jaccard %s (%.0f s)",
        np.mean(aris),
        np.min(aris),
        np.round(jaccard, 2).tolist(),
        time.perf_counter() - start,
    )
    return {
        "method": f"refit on {options['resamples']} subsamples of {options['subsample_share']:.0%}, "
        f"compared on {len(evaluation)} rows",
        "ari_mean": float(np.mean(aris)),
        "ari_min": float(np.min(aris)),
        "jaccard_per_segment": {
            model.segment_names.get(s, str(s)): float(jaccard[s]) for s in range(k)
        },
        "segments_below_0_75_jaccard": int((jaccard < 0.75).sum()),
    }


def _next_period_pairs(
    frame: pd.DataFrame, id_col: str, date_col: str, value: str, index: dict
) -> pd.DataFrame:
    """Each (entity, period) row joined with the same entity's row one period later."""
    current = frame[[id_col, date_col, value]].assign(_t=frame[date_col].map(index))
    following = current.assign(_t=current["_t"] - 1)[[id_col, "_t", value]]
    return current.merge(following, on=[id_col, "_t"], suffixes=("", "_next"))


def transitions(
    assignments: pd.DataFrame,
    model: SegmentationModel,
    truth: pd.DataFrame | None,
    keys: tuple[str, str],
    dates: np.ndarray,
) -> dict[str, Any]:
    """Share of entities keeping their segment from one period to the next, the
    transition matrix, and (if known) how often the true archetype persists."""
    id_col, date_col = keys
    index = {d: i for i, d in enumerate(dates)}
    names = model.segment_names
    pairs = _next_period_pairs(assignments, id_col, date_col, "segment", index)
    matrix = pd.crosstab(pairs["segment"], pairs["segment_next"], normalize="index")
    result: dict[str, Any] = {
        "pairs": len(pairs),
        "share_keeping_segment": float(
            (pairs["segment"] == pairs["segment_next"]).mean()
        ),
        "transition_matrix": {
            names.get(int(a), str(a)): {
                names.get(int(b), str(b)): float(matrix.loc[a, b])
                for b in matrix.columns
            }
            for a in matrix.index
        },
    }
    if truth is not None:
        true_pairs = _next_period_pairs(
            truth, id_col, date_col, "true_archetype", index
        )
        result["true_archetype_persistence"] = float(
            (true_pairs["true_archetype"] == true_pairs["true_archetype_next"]).mean()
        )
    return result


def separate_refits(
    rows: pd.DataFrame,
    model: SegmentationModel,
    segmentation: dict[str, Any],
    keys: tuple[str, str],
    months: tuple[Any, Any],
) -> dict[str, Any]:
    """Refit on two periods separately: do they agree on the entities in both?"""
    id_col, date_col = keys
    seed = int(segmentation.get("seed", 0))
    previous, last = months
    rows_prev = rows.loc[rows[date_col] == previous]
    rows_last = rows.loc[rows[date_col] == last]
    model_prev, model_last = (
        refit(
            sample_rows(part, segmentation["fit_sample"], seed),
            segmentation,
            model,
            seed,
        )
        for part in (rows_prev, rows_last)
    )
    both = rows_prev[[id_col]].merge(rows_last[[id_col]], on=id_col)[id_col]
    a = model_prev.assign(rows_prev.set_index(id_col).loc[both].reset_index())[0]
    b = model_last.assign(rows_last.set_index(id_col).loc[both].reset_index())[0]
    return {
        "months": [str(pd.Timestamp(previous).date()), str(pd.Timestamp(last).date())],
        "entities_in_both": len(both),
        "ari": float(adjusted_rand_score(a, b)),
    }


def recoverable_share(
    rows: pd.DataFrame, joined: pd.DataFrame, model: SegmentationModel, keys: list[str]
) -> dict[str, Any]:
    """The separability ceiling (a supervised model of the archetype from the same
    features, on held-out rows) beside the segments' ARI on those same rows."""
    frame = joined[[*keys, "true_archetype", "segment"]].merge(
        model.with_indicators(rows)[[*keys, *model.features]], on=keys
    )
    ceiling = separability_ceiling(
        frame[model.features], frame["true_archetype"].to_numpy(), seed=0
    )
    picked = np.random.default_rng(0).permutation(len(frame))[: ceiling["rows"]]
    held = frame.iloc[picked[len(picked) // 2 :]]
    segments_ari = float(adjusted_rand_score(held["true_archetype"], held["segment"]))
    return {
        "ceiling_ari": ceiling["ari"],
        "ceiling_accuracy": ceiling["accuracy"],
        "segments_ari_on_ceiling_rows": segments_ari,
        "share_of_recoverable_found": segments_ari / ceiling["ari"]
        if ceiling["ari"] > 0
        else None,
        "ceiling_method": "multi-class CatBoost on the segmentation features, trained on "
        f"half of {ceiling['rows']:,} rows with the true archetype, scored on the other half",
    }


def truth_recovery(
    assignments: pd.DataFrame,
    model: SegmentationModel,
    truth: pd.DataFrame,
    keys: list[str],
    rows: pd.DataFrame | None = None,
) -> dict[str, Any]:
    """How well the segments recover the simulation's archetypes (ARI and composition),
    and what share of the structure the features can tell apart they find."""
    joined = assignments.merge(truth[[*keys, "true_archetype"]], on=keys)
    coverage = len(joined) / max(len(assignments), 1)
    if coverage < 0.99:
        logger.warning(
            "The truth table covers only %.1f%% of the segmented rows: it does not come from "
            "the same source (mixed environments?); truth recovery is computed on those rows only",
            100 * coverage,
        )
    result = {
        "truth_coverage": coverage,
        "ari_vs_true_archetype": float(
            adjusted_rand_score(joined["true_archetype"], joined["segment"])
        ),
        "archetype_share_per_segment": {
            model.segment_names.get(int(s), str(s)): group["true_archetype"]
            .value_counts(normalize=True)
            .round(3)
            .to_dict()
            for s, group in joined.groupby("segment")
        },
    }
    if rows is not None:
        result.update(recoverable_share(rows, joined, model, keys))
        logger.info(
            "Recovery of true archetypes: ARI %.3f; ceiling (supervised, held out) %.3f; "
            "share of the recoverable structure found %.2f",
            result["segments_ari_on_ceiling_rows"],
            result["ceiling_ari"],
            result["share_of_recoverable_found"] or float("nan"),
        )
    return result
