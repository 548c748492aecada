"""The report of a use case without a label: segments, profiles, how they were chosen
and how stable they are. There is no score to compare them with, and it says so.

Every number comes from this run's segmentation outputs (profiles, stability,
the fitted model's k selection); these functions only lay them out.
"""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import pandas as pd

from risk_segments.modeling.segmentation import SegmentationModel

from .comparison import atypical_share
from .figures import segment_sizes_figure, transition_figure
from .html_report import STYLE, _esc, _img, _recovery, _table

STABLE_JACCARD = 0.75  # a segment found again this well exists in the data
PROFILE_COLUMNS = {
    "segment_name": "segment",
    "rows": "rows",
    "share": "share",
    "atypical_share": "atypical share",
    "distinguishing": "what sets it apart",
    "suggested_action": "suggested action",
}


def draw_segment_figures(
    segment_profiles: pd.DataFrame,
    segment_stability: dict[str, Any],
    report: dict[str, Any],
) -> dict[str, plt.Figure]:
    """The segments report's PNG figures (a dict, saved as a folder)."""
    figures = {"segment_sizes": segment_sizes_figure(segment_profiles, None)}
    transitions = transition_figure(segment_stability, report.get("period", "month"))
    if transitions is not None:
        figures["transitions"] = transitions
    return figures


def segments_summary(
    segment_profiles: pd.DataFrame,
    segment_stability: dict[str, Any],
    segmentation_model: SegmentationModel,
    report: dict[str, Any],
) -> dict[str, Any]:
    """The figures the report's opening sentences are made of (also saved as JSON)."""
    resampling = segment_stability["resampling"]
    jaccard = resampling.get("jaccard_per_segment") or {}
    mom = segment_stability.get("month_over_month")
    truth = segment_stability.get("truth_recovery") or {}
    largest = segment_profiles.nlargest(1, "share").iloc[0]
    return {
        "title": report["title"],
        "entity": report["entity"],
        "segments": int(segment_stability["segments"]),
        "rows": int(segment_profiles["rows"].sum()),
        "algorithm": segmentation_model.algorithm,
        "features": len(segmentation_model.features),
        "chosen_by": segmentation_model.info.get("chosen_by"),
        "k_selection": segmentation_model.info.get("k_selection") or [],
        "resampling_ari": resampling.get("ari_mean"),
        "min_segment_jaccard": min(jaccard.values()) if jaccard else None,
        "segments_not_found_again": sum(v < STABLE_JACCARD for v in jaccard.values()),
        "share_keeping_segment": mom["share_keeping_segment"] if mom else None,
        "largest_segment": str(largest["segment_name"]),
        "largest_share": float(largest["share"]),
        "atypical_share": atypical_share(segment_profiles),
        "ari_vs_true_archetype": truth.get("ari_vs_true_archetype"),
        "ceiling_ari": truth.get("ceiling_ari"),
        "share_of_recoverable_found": truth.get("share_of_recoverable_found"),
    }


def _short(summary: dict[str, Any], period: str) -> list[str]:
    entity = summary["entity"]
    lines = [
        f"{summary['rows']:,} {entity}s fall into {summary['segments']} segments, found from "
        f"{summary['features']} features by {summary['algorithm']} without any label; the "
        f"largest, '{summary['largest_segment']}', holds {summary['largest_share']:.0%}.",
    ]
    if summary["resampling_ari"] is not None:
        lines.append(
            f"Refits on resamples of the rows agree with ARI {summary['resampling_ari']:.2f}; "
            "every segment is found again with Jaccard at least "
            f"{summary['min_segment_jaccard']:.2f} ({STABLE_JACCARD} and above: a segment "
            "that exists in the data, not in one sample)."
        )
    if summary["segments_not_found_again"]:
        lines.append(
            f"{summary['segments_not_found_again']} of the {summary['segments']} segments "
            f"are not found again on resamples (Jaccard below {STABLE_JACCARD}): read "
            "them as a partition of the rows, not as groups the table shows. Fewer or "
            "other features (segmentation.features) or another range of k "
            "(segmentation.kmeans.k_min / k_max) may find groups that hold."
        )
    if summary["share_keeping_segment"] is not None:
        lines.append(
            f"{summary['share_keeping_segment']:.0%} of {entity}s keep their segment from "
            f"one {period} to the next."
        )
    lines.append(
        f"{summary['atypical_share']:.1%} of {entity}s are atypical (far from every "
        "segment): they keep their nearest segment and are flagged for a look."
    )
    lines.append(
        "The table has no outcome column, so there is no risk score here and nothing to "
        "say which segments matter most: give the table an outcome (blank where unknown) "
        "and draft it with --label to train one beside these segments."
    )
    return lines


def _choice_table(summary: dict[str, Any]) -> str:
    rows = pd.DataFrame(summary["k_selection"])
    if rows.empty:
        return ""
    last = rows["space"].iloc[-1] if "space" in rows.columns else None
    rows["chosen"] = (rows["k"] == summary["segments"]) & (
        rows["space"] == last if last is not None else True
    )
    names = {
        "space": "distances",
        "k": "segments (k)",
        "silhouette": "silhouette",
        "bootstrap_ari": "refit agreement (ARI)",
        "min_segment_jaccard": "weakest segment found again (Jaccard)",
        "chosen": "chosen",
    }
    return _table(rows, {k: v for k, v in names.items() if k in rows.columns})


def build_segments_report(
    segments_summary: dict[str, Any],
    segment_profiles: pd.DataFrame,
    report_figures: dict[str, Any],
    segment_heatmap: Any,
    report: dict[str, Any],
) -> str:
    """The namespace's report as one HTML string (a use case without a label)."""
    summary, fig = segments_summary, report_figures.get
    period = report.get("period", "month")
    key_columns = {
        c: c.removesuffix("_median") + " (median)"
        for c in segment_profiles.columns
        if c.endswith("_median")
    }
    parts = [
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{_esc(summary['title'])}</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<h1>{_esc(summary['title'])}</h1>",
        "<nav><a href='#short'>In short</a><a href='#segments'>Segments</a>"
        "<a href='#choice'>How they were chosen</a></nav>",
        "<h2 id='short'>In short</h2><div class='lead'><ol>"
        + "".join(f"<li>{_esc(p)}</li>" for p in _short(summary, period))
        + "</ol></div>",
        "<h2 id='segments'>Segments</h2>",
        "<p>Each segment with what sets it apart from the whole table (in standard "
        "deviations) and the action its profile suggests:</p>",
        _table(segment_profiles, PROFILE_COLUMNS),
        _img(segment_heatmap, "segment profile heatmap"),
        _img(fig("segment_sizes"), "segment sizes"),
        _img(fig("transitions"), "transitions between snapshots"),
        "<p>The median of the features that set the segments apart most:</p>",
        _table(segment_profiles, {"segment_name": "segment", **key_columns}),
        "<h2 id='choice'>How the segments were chosen</h2>",
        f"<p>{_esc((summary['chosen_by'] or 'the configured number of segments').capitalize())}. "
        "Only label-free criteria: how well refits on fresh samples agree, and whether "
        "every segment is found again.</p>",
        _choice_table(summary),
        _recovery(summary),
        "</body></html>",
    ]
    return "\n".join(p for p in parts if p)
