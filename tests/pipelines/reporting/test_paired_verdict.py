"""The report's verdict on the model against its best baseline, from the paired intervals."""

import pytest

from risk_segments.pipelines.reporting.comparison import paired_verdict


def _paired(auc, lift):
    return {
        "roc_auc": dict(zip(("ci_low", "ci_high"), auc, strict=True)),
        "lift_top_decile": dict(zip(("ci_low", "ci_high"), lift, strict=True)),
    }


@pytest.mark.parametrize(
    ("auc", "lift", "expected"),
    [
        ((0.001, 0.003), (0.04, 0.14), "ahead"),
        ((-0.003, 0.0003), (-0.07, 0.04), "level"),  # CDNOW's figures
        ((0.001, 0.003), (-0.07, 0.04), "level"),  # ahead on one only
        ((-0.006, -0.001), (-0.07, 0.04), "behind"),
    ],
)
def test_the_verdict_follows_the_paired_intervals(auc, lift, expected):
    assert paired_verdict(_paired(auc, lift)) == expected
