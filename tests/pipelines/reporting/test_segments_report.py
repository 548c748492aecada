"""The report of a use case without a label: what it says, from the run's figures."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd

from risk_segments.pipelines.reporting.segments_report import (
    build_segments_report,
    segments_summary,
)

REPORT = {"title": "Members: behavioural segments", "entity": "member"}


def _report(jaccard: dict[str, float]) -> str:
    names = list(jaccard)
    profiles = pd.DataFrame(
        {
            "segment_name": names,
            "rows": [500, 300, 200][: len(names)],
            "share": [0.5, 0.3, 0.2][: len(names)],
            "atypical_share": [0.01, 0.02, 0.0][: len(names)],
            "distinguishing": ["x"] * len(names),
            "suggested_action": ["y"] * len(names),
            "spend_median": [10.0, 20.0, 30.0][: len(names)],
        }
    )
    stability = {
        "segments": len(names),
        "resampling": {"ari_mean": 0.8, "jaccard_per_segment": jaccard},
        "month_over_month": None,
        "truth_recovery": None,
    }
    model = SimpleNamespace(
        algorithm="kmeans",
        features=["spend", "visits"],
        info={"chosen_by": "the rule", "k_selection": [{"k": 3, "space": "scaled"}]},
    )
    summary = segments_summary(profiles, stability, model, REPORT)
    assert summary["rows"] == 1000 and summary["largest_segment"] == names[0]
    return build_segments_report(summary, profiles, {}, None, REPORT)


def test_segments_not_found_again_are_called_a_partition():
    page = _report({"big": 0.95, "mid": 0.6, "small": 0.4})
    assert "2 of the 3 segments are not found again" in page
    assert "spend (median)" in page and "no outcome column" in page
    steady = _report({"big": 0.95, "mid": 0.9, "small": 0.8})
    assert "not found again" not in steady
    assert "Jaccard at least 0.80" in steady
