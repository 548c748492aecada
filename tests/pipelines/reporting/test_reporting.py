"""reporting: the comparison's numbers come from the run, and the report stands alone."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from risk_segments.pipelines import propensity, reporting
from risk_segments.pipelines.reporting.label_efficiency import (
    ORACLE,
    PREVALENCE,
    SEGMENT_RATE,
    SUPERVISED,
    borders_for,
    label_counts,
    segment_rate_scores,
    summarise_label_efficiency,
    trees_for,
)
from tests.helpers import (
    ALL_NAMESPACES,
    ORDER_LOG_NAMESPACES,
    copy_catalog,
    run_in_memory,
)


def efficiency_frame(supervised: list[float], segment: list[float]) -> pd.DataFrame:
    counts = [100, 1000, 10000, 100000][: len(supervised)]
    rows = []
    for n, sup, seg in zip(counts, supervised, segment, strict=True):
        for repeat, jitter in enumerate((-0.01, 0.01)):
            common = {
                "labels": n,
                "positives": n // 10,
                "repeat": repeat,
                "roc_auc": 0.5,
            }
            rows.append({"method": SUPERVISED, "pr_auc": sup + jitter, **common})
            rows.append({"method": SEGMENT_RATE, "pr_auc": seg + jitter, **common})
    rows.append(
        {
            "method": PREVALENCE,
            "labels": 100000,
            "positives": 0,
            "repeat": 0,
            "pr_auc": 0.07,
            "roc_auc": 0.5,
        }
    )
    rows.append(
        {
            "method": ORACLE,
            "labels": 100000,
            "positives": 0,
            "repeat": 0,
            "pr_auc": 0.6,
            "roc_auc": 0.9,
        }
    )
    return pd.DataFrame(rows)


@pytest.mark.parametrize(
    ("supervised", "segment", "status", "overtake"),
    [
        ([0.10, 0.20, 0.40, 0.50], [0.15, 0.18, 0.18, 0.18], "overtakes", 1000),
        (
            [0.20, 0.30, 0.40, 0.50],
            [0.15, 0.18, 0.18, 0.18],
            "ahead_from_smallest",
            100,
        ),
        (
            [0.20, 0.10, 0.40, 0.50],
            [0.15, 0.18, 0.18, 0.18],
            "overtakes",
            10000,
        ),  # must stay ahead
        ([0.10, 0.10, 0.10, 0.10], [0.15, 0.18, 0.18, 0.18], "never", None),
    ],
)
def test_the_overtake_point_is_where_supervision_stays_ahead(
    supervised, segment, status, overtake
):
    summary = summarise_label_efficiency(
        efficiency_frame(supervised, segment), "pr_auc"
    )
    assert summary["status"] == status
    assert summary["overtake_labels"] == overtake
    assert summary["supervised_mean"] == pytest.approx(supervised)
    assert summary["behind_at_labels"] == [
        n
        for n, a, b in zip(summary["label_counts"], supervised, segment, strict=True)
        if a <= b
    ]
    assert summary["oracle"] == 0.6
    assert summary["prevalence"] == 0.07
    full = supervised[-1]
    expected = next(
        n
        for n, v in zip(summary["label_counts"], supervised, strict=True)
        if v >= 0.95 * full
    )
    assert summary["labels_for_95pct_of_full"] == expected


def test_segment_rates_shrink_towards_the_overall_rate():
    segments = np.array([0, 0, 0, 0, 1, 1, 1, 1, 1, 1])
    labels = np.array([1, 1, 0, 0, 0, 0, 0, 0, 0, 1])
    overall = labels.mean()
    raw = segment_rate_scores(segments, labels, np.array([0, 1, 2]), prior_rows=0)
    assert raw.tolist() == pytest.approx(
        [0.5, 1 / 6, overall]
    )  # unseen segment: overall rate
    shrunk = segment_rate_scores(segments, labels, np.array([0, 1]), prior_rows=4)
    assert shrunk[0] == pytest.approx((2 + 4 * overall) / 8)
    assert overall < shrunk[0] < 0.5


def test_label_counts_that_coincide_are_measured_once():
    options = {
        "label_shares": [0.0003, 0.001, 0.01, 0.1, 0.5, 1.0],
        "min_labels": 50,
        "repeats": 3,
        "small_repeats": 10,
        "small_below_labels": 2000,
        "single_above_labels": 20000,
    }
    counts = list(label_counts(4500, options))
    assert [n for _, n, _ in counts] == [50, 450, 2250, 4500]
    assert [r for _, _, r in counts] == [10, 10, 3, 1]
    large = {n: r for _, n, r in label_counts(100_000, options)}
    assert large[10_000] == 3 and large[50_000] == 1
    assert trees_for(50, {"iterations": 300, "min_iterations": 50}) == 50
    assert trees_for(5000, {"iterations": 300, "min_iterations": 50}) == 300
    per = {"labels_per_border": 10}
    assert borders_for(50, per, {}) == 32 and borders_for(800, per, {}) == 80
    assert borders_for(5000, per, {}) == 254  # CatBoost's default caps it
    assert borders_for(5000, per, {"border_count": 128}) == 128
    assert borders_for(800, {}, {}) == 254  # not set: CatBoost's own


@pytest.fixture(scope="module")
def reported(_trained_dev_catalog):
    pipeline = propensity.create_pipeline() + reporting.create_pipeline()
    return run_in_memory(pipeline, copy_catalog(_trained_dev_catalog))


@pytest.mark.parametrize("namespace", ALL_NAMESPACES)
def test_label_efficiency_is_measured_on_the_test_rows(reported, dev_params, namespace):
    frame = reported.load(f"{namespace}.label_efficiency")
    test = reported.load(f"{namespace}.test_predictions")
    options = dev_params["reporting"]["label_efficiency"]
    n_train = reported.load(f"{namespace}.metrics")["training"]["rows"]["train"]
    repeats = {}  # label count -> subsets drawn; shares that give the same count run once
    for share in options["label_shares"]:
        n = min(n_train, max(round(share * n_train), options["min_labels"]))
        if n == n_train or n >= options.get("single_above_labels", n_train):
            repeats[n] = 1
        elif n < options["small_below_labels"]:
            repeats[n] = options["small_repeats"]
        else:
            repeats[n] = options["repeats"]
    repeats = list(repeats.values())
    assert (frame["method"] == SUPERVISED).sum() == sum(repeats)
    assert (frame["method"] == SEGMENT_RATE).sum() == sum(repeats)
    prevalence = frame.loc[frame["method"] == PREVALENCE].iloc[0]
    assert prevalence["pr_auc"] == pytest.approx(test["label"].mean())
    metrics = reported.load(f"{namespace}.metrics")
    if metrics["oracle"]:
        oracle = frame.loc[frame["method"] == ORACLE].iloc[0]
        assert oracle["pr_auc"] == pytest.approx(metrics["oracle"]["pr_auc"]["value"])
    else:  # real data: no oracle row, and the report says so
        assert ORACLE not in set(frame["method"])
    full = frame.loc[(frame["method"] == SUPERVISED) & (frame["label_share"] == 1.0)]
    assert full["labels"].item() == metrics["training"]["rows"]["train"]


@pytest.mark.parametrize("namespace", ALL_NAMESPACES)
def test_segment_risk_accounts_for_every_test_row_and_positive(reported, namespace):
    table = reported.load(f"{namespace}.segment_risk")
    summary = reported.load(f"{namespace}.segment_risk_summary")
    test = reported.load(f"{namespace}.test_predictions")
    assert table["test_rows"].sum() == len(test)
    assert table["positives"].sum() == test["label"].sum()
    assert table["share_of_positives"].sum() == pytest.approx(1.0)
    above = table.loc[table["above_average_segment"]]
    below = table.loc[~table["above_average_segment"]]
    assert summary["rule_flagged_share"] == pytest.approx(above["share_of_rows"].sum())
    # the summary's recall and hidden share, recomputed row by row from the test rows
    keys = list(test.columns[:2])
    segments = test.merge(
        reported.load(f"{namespace}.segment_assignments")[[*keys, "segment"]], on=keys
    )
    in_rule = segments["segment"].isin(above["segment"]).to_numpy()
    y = segments["label"].to_numpy()
    assert summary["rule_recall"] == pytest.approx(y[in_rule].sum() / y.sum())
    assert summary["hidden_positive_share"] == pytest.approx(
        below["share_of_positives"].sum()
    )
    top = segments.nlargest(int(in_rule.sum()), "risk_score")["label"]
    assert summary["model_recall_same_volume"] == pytest.approx(top.sum() / y.sum())


@pytest.mark.parametrize("namespace", ALL_NAMESPACES)
def test_the_recommendation_quotes_this_runs_numbers(reported, namespace):
    comparison = reported.load(f"{namespace}.comparison")
    metrics = reported.load(f"{namespace}.metrics")
    primary = comparison["primary_metric"]
    text = " ".join(comparison["recommendation"])
    assert f"{metrics[primary]['value']:.3f}" in text
    assert f"{metrics['baselines']['logistic'][primary]['value']:.3f}" in text
    assert f"{metrics['test_rows']:,}" in text
    efficiency = comparison["label_efficiency"]
    assert (
        f"{efficiency['label_counts'][0]:,}" in text
        or f"{efficiency['overtake_labels']:,}" in text
    )
    aspects = [row["aspect"] for row in comparison["table"]]
    assert aspects == [
        "Objective",
        "Inputs",
        "Outputs",
        "Evaluation",
        "Retraining",
        "Failure modes",
    ]


@pytest.mark.parametrize("namespace", ALL_NAMESPACES)
def test_the_html_report_is_self_contained(reported, namespace):
    html = reported.load(f"{namespace}.report_html")
    for anchor in (
        "short",
        "compare",
        "labels",
        "score",
        "drivers",
        "segments",
        "segrisk",
        "card",
    ):
        assert f"id='{anchor}'" in html
    assert not re.search(
        r"""(src|href)=["']https?:""", html
    )  # nothing fetched from the network
    assert "<script" not in html
    images = re.findall(r'src="data:image/png;base64,', html)
    figures = reported.load(f"{namespace}.report_figures")
    assert len(images) == len(figures) + 2  # + the SHAP summary and the profile heatmap
    comparison = reported.load(f"{namespace}.comparison")
    assert comparison["title"] in html
    # order logs add spend and the RFM baseline; the others have no such section
    assert ("id='propensity'" in html) == (namespace in ORDER_LOG_NAMESPACES)
    for count in comparison["label_efficiency"][
        "label_counts"
    ]:  # counts print as counts
        assert f'<td class="num">{count:,}</td>' in html


def test_the_transition_matrix_is_drawn_for_the_panel_only(reported):
    assert "transitions" in reported.load("seller_risk.report_figures")
    assert "transitions" not in reported.load("customer_churn.report_figures")
