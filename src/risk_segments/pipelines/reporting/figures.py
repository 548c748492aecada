"""Plots of the report: matplotlib for the PNGs and the HTML report, plotly for Kedro-Viz."""

from __future__ import annotations

from typing import Any

import matplotlib

matplotlib.use("Agg")


import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import plotly.graph_objects as go
from matplotlib.figure import Figure
from sklearn.metrics import precision_recall_curve, roc_curve

# labels in other scripts (a column named in Japanese, Chinese, Korean): fonts that
# draw them, where installed, after matplotlib's own (missing glyphs fall back)
FALLBACK_FONTS = (
    "Noto Sans CJK JP",
    "Noto Sans CJK SC",
    "Noto Sans CJK KR",
    "Hiragino Sans",
    "Yu Gothic",
    "Microsoft YaHei",
    "Malgun Gothic",
    "Arial Unicode MS",
)


def _with_fallback_fonts() -> None:
    from matplotlib import font_manager  # noqa: PLC0415

    installed = {font.name for font in font_manager.fontManager.ttflist}
    if found := [name for name in FALLBACK_FONTS if name in installed]:
        matplotlib.rcParams["font.family"] = ["sans-serif", *found]


_with_fallback_fonts()

SCORES = {
    "risk_score": ("CatBoost model", "#1f77b4", "-"),
    "logistic_score": ("logistic regression", "#ff7f0e", "--"),
    "oracle_score": ("oracle (true probability)", "#2ca02c", ":"),
}
METRIC_NAMES = {
    "pr_auc": "PR-AUC",
    "roc_auc": "ROC-AUC",
    "lift_top_decile": "lift in top decile",
}


def _subplots(*grid: int, figsize: tuple[float, float], **options: Any) -> tuple:
    """`plt.subplots` on a figure pyplot does not keep: the catalog saves and drops it
    (pyplot kept every report figure open until closed, and warned past 20)."""
    figure = Figure(figsize=figsize)
    return figure, figure.subplots(*grid, **options)


def _present(test_predictions: pd.DataFrame) -> dict[str, tuple[str, str, str]]:
    return {k: v for k, v in SCORES.items() if test_predictions[k].notna().all()}


def _thin(
    x: np.ndarray, y: np.ndarray, points: int = 400
) -> tuple[np.ndarray, np.ndarray]:
    """At most `points` points of a curve: enough to draw, small enough to embed."""
    if len(x) <= points:
        return x, y
    keep = np.unique(np.linspace(0, len(x) - 1, points).astype(int))
    return x[keep], y[keep]


def pr_roc_figure(test_predictions: pd.DataFrame) -> plt.Figure:
    y = test_predictions["label"].to_numpy()
    figure, (ax_pr, ax_roc) = _subplots(1, 2, figsize=(11, 4.6))
    for column, (name, color, style) in _present(test_predictions).items():
        precision, recall, _ = precision_recall_curve(y, test_predictions[column])
        ax_pr.plot(*_thin(recall, precision), color=color, linestyle=style, label=name)
        fpr, tpr, _ = roc_curve(y, test_predictions[column])
        ax_roc.plot(*_thin(fpr, tpr), color=color, linestyle=style, label=name)
    ax_pr.axhline(
        y.mean(),
        color="grey",
        linewidth=1,
        label=f"no model (prevalence {y.mean():.3f})",
    )
    ax_roc.plot([0, 1], [0, 1], color="grey", linewidth=1, label="no model")
    ax_pr.set(
        xlabel="recall",
        ylabel="precision",
        title="Precision-recall, held-out rows",
        ylim=(0, 1.02),
    )
    ax_roc.set(
        xlabel="false positive rate",
        ylabel="true positive rate",
        title="ROC, held-out rows",
    )
    for ax in (ax_pr, ax_roc):
        ax.legend(fontsize=8, loc="best")
        ax.grid(alpha=0.3)
    figure.tight_layout()
    return figure


def calibration_figure(metrics: dict[str, Any]) -> plt.Figure:
    figure, ax = _subplots(figsize=(5.5, 5))
    curves = metrics["calibration_curve"]
    top = 0.0
    for key, (name, color, style) in (
        ("model", SCORES["risk_score"]),
        ("logistic", SCORES["logistic_score"]),
    ):
        table = pd.DataFrame(curves[key])
        ax.plot(
            table["mean_predicted"],
            table["observed_rate"],
            marker="o",
            color=color,
            linestyle=style,
            label=name,
        )
        top = max(top, table["mean_predicted"].max(), table["observed_rate"].max())
    top = min(1.0, top * 1.05)
    ax.plot([0, top], [0, top], color="grey", linewidth=1, label="perfect calibration")
    ax.set(
        xlabel="mean predicted probability (decile of score)",
        ylabel="observed positive rate",
        title=f"Calibration, held-out rows (Brier {metrics['brier']['value']:.4f})",
    )
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    figure.tight_layout()
    return figure


def gain_lift_figure(test_predictions: pd.DataFrame) -> plt.Figure:
    y = test_predictions["label"].to_numpy()
    figure, (ax_gain, ax_lift) = _subplots(1, 2, figsize=(11, 4.6))
    share = np.arange(1, len(y) + 1) / len(y)
    deciles = np.arange(1, 11)
    width = 0.8 / len(_present(test_predictions))
    for i, (column, (name, color, style)) in enumerate(
        _present(test_predictions).items()
    ):
        ordered = y[np.argsort(-test_predictions[column].to_numpy(), kind="stable")]
        gain = np.cumsum(ordered) / max(ordered.sum(), 1)
        ax_gain.plot(*_thin(share, gain), color=color, linestyle=style, label=name)
        lift = [
            ordered[int((d - 1) * len(y) / 10) : int(d * len(y) / 10)].mean() / y.mean()
            for d in deciles
        ]
        ax_lift.bar(
            deciles - 0.4 + width * (i + 0.5),
            lift,
            width=width,
            color=color,
            label=name,
        )
    ax_gain.plot([0, 1], [0, 1], color="grey", linewidth=1, label="no model")
    ax_lift.axhline(1, color="grey", linewidth=1)
    ax_gain.set(
        xlabel="share of rows reviewed (highest score first)",
        ylabel="share of positives found",
        title="Cumulative gain",
    )
    ax_lift.set(
        xlabel="score decile (1 = highest)",
        ylabel="positive rate / average",
        title="Lift per decile",
        xticks=deciles,
    )
    for ax in (ax_gain, ax_lift):
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    figure.tight_layout()
    return figure


def importance_figure(feature_importance: pd.DataFrame, top: int = 20) -> plt.Figure:
    shown = feature_importance.nsmallest(top, "rank").iloc[::-1]
    figure, ax = _subplots(figsize=(7.5, 0.32 * len(shown) + 1.2))
    ax.barh(shown["label"], shown["mean_abs_shap"], color="#1f77b4")
    ax.set(
        xlabel="mean |SHAP value| (log-odds), held-out sample",
        title=f"Top {len(shown)} features by importance",
    )
    ax.grid(axis="x", alpha=0.3)
    figure.tight_layout()
    return figure


def segment_sizes_figure(
    segment_profiles: pd.DataFrame, overall_rate: float | None
) -> plt.Figure:
    """Segment sizes, and beside them each one's label rate (none without a label)."""
    profiles = segment_profiles.sort_values("share")
    height = 0.45 * len(profiles) + 1.6
    if overall_rate is None:  # a use case without a label: the sizes alone
        figure, ax_size = _subplots(figsize=(7, height))
        _size_bars(ax_size, profiles)
        figure.tight_layout()
        return figure
    figure, (ax_size, ax_rate) = _subplots(1, 2, figsize=(11, height), sharey=True)
    _size_bars(ax_size, profiles)
    ax_rate.barh(
        profiles["segment_name"], 100 * profiles["label_rate"], color="#d62728"
    )
    ax_rate.axvline(
        100 * overall_rate, color="grey", linestyle="--", linewidth=1, label="overall"
    )
    ax_rate.set(
        xlabel="positive rate among labeled rows (%)",
        title="Label rate per segment (not used to form them)",
    )
    ax_rate.legend(fontsize=8)
    ax_rate.grid(axis="x", alpha=0.3)
    figure.tight_layout()
    return figure


def _size_bars(ax: plt.Axes, profiles: pd.DataFrame) -> None:
    ax.barh(profiles["segment_name"], 100 * profiles["share"], color="#8c6bb1")
    ax.set(xlabel="share of rows (%)", title="Segment sizes")
    ax.grid(axis="x", alpha=0.3)


def transition_figure(
    segment_stability: dict[str, Any], period: str = "month"
) -> plt.Figure | None:
    mom = segment_stability.get("month_over_month")
    if not mom:
        return None
    matrix = pd.DataFrame(mom["transition_matrix"]).T.fillna(0.0)
    matrix = matrix.loc[:, [c for c in matrix.index if c in matrix.columns]]
    figure, ax = _subplots(figsize=(0.9 * len(matrix) + 3.5, 0.7 * len(matrix) + 2))
    image = ax.imshow(100 * matrix.to_numpy(), cmap="Blues", vmin=0, vmax=100)
    ax.set_xticks(
        range(len(matrix.columns)), matrix.columns, rotation=35, ha="right", fontsize=8
    )
    ax.set_yticks(range(len(matrix.index)), matrix.index, fontsize=8)
    for i in range(len(matrix)):
        for j in range(len(matrix.columns)):
            value = 100 * matrix.iat[i, j]
            ax.text(
                j,
                i,
                f"{value:.0f}",
                ha="center",
                va="center",
                fontsize=8,
                color="white" if value > 60 else "black",
            )
    ax.set(
        xlabel=f"segment next {period}",
        ylabel=f"segment this {period}",
        title=f"Transitions from one {period} to the next (%): {100 * mom['share_keeping_segment']:.1f}% stay",
    )
    figure.colorbar(image, ax=ax, fraction=0.04)
    figure.tight_layout()
    return figure


def label_efficiency_figure(efficiency: dict[str, Any]) -> plt.Figure:
    metric = efficiency["metric"]
    counts = np.array(efficiency["label_counts"])
    figure, ax = _subplots(figsize=(8, 4.8))
    for key, name, color in (
        ("supervised", "CatBoost on n labels", "#1f77b4"),
        ("segment_rate", "segment label rate from the same n labels", "#8c6bb1"),
    ):
        mean, sd = (
            np.array(efficiency[f"{key}_mean"]),
            np.array(efficiency[f"{key}_sd"]),
        )
        ax.plot(counts, mean, marker="o", color=color, label=name)
        ax.fill_between(counts, mean - sd, mean + sd, color=color, alpha=0.15)
    if efficiency["oracle"] is not None:
        ax.axhline(efficiency["oracle"], color="#2ca02c", linestyle=":", label="oracle")
    if efficiency["prevalence"] is not None:
        ax.axhline(
            efficiency["prevalence"], color="grey", linewidth=1, label="no model"
        )
    if efficiency["overtake_labels"] is not None:
        ax.axvline(
            efficiency["overtake_labels"],
            color="black",
            linestyle="--",
            linewidth=1,
            label=f"supervised ahead from {efficiency['overtake_labels']:,} labels",
        )
    ax.set_xscale("log")
    ax.set(
        xlabel="training labels used (log scale)",
        ylabel=f"held-out {METRIC_NAMES.get(metric, metric)}",
        title="When are labels worth it? (mean and ±1 sd over repeats)",
    )
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    figure.tight_layout()
    return figure


def risk_by_segment_figure(
    test_predictions: pd.DataFrame,
    segment_assignments: pd.DataFrame,
    keys: list[str],
    segment_risk: pd.DataFrame,
) -> plt.Figure:
    joined = test_predictions[[*keys, "risk_score"]].merge(
        segment_assignments[[*keys, "segment_name"]], on=keys, how="left"
    )
    order = segment_risk["segment_name"].tolist()
    figure, (ax_box, ax_pos) = _subplots(
        1, 2, figsize=(12, 0.5 * len(order) + 1.8), sharey=True
    )
    data = [
        joined.loc[joined["segment_name"] == name, "risk_score"].to_numpy()
        for name in order
    ]
    ax_box.boxplot(data, vert=False, showfliers=False, whis=(5, 95))
    ax_box.set_yticks(range(1, len(order) + 1), order, fontsize=8)
    ax_box.set_xscale("log")
    ax_box.set(
        xlabel="risk score (log scale; box 25-75%, whiskers 5-95%)",
        title="Risk scores per segment, held-out rows",
    )
    ax_pos.barh(
        range(1, len(order) + 1),
        100 * segment_risk["share_of_rows"],
        height=0.4,
        align="edge",
        color="#bbbbbb",
        label="share of rows",
    )
    ax_pos.barh(
        range(1, len(order) + 1),
        100 * segment_risk["share_of_positives"],
        height=-0.4,
        align="edge",
        color="#d62728",
        label="share of positives",
    )
    ax_pos.set(xlabel="%", title="Where the positives are")
    ax_pos.legend(fontsize=8)
    for ax in (ax_box, ax_pos):
        ax.grid(axis="x", alpha=0.3)
    ax_box.invert_yaxis()
    figure.tight_layout()
    return figure


# --------------------------------------------------------------------------- plotly (Kedro-Viz)


def pr_curve_chart(test_predictions: pd.DataFrame) -> go.Figure:
    y = test_predictions["label"].to_numpy()
    chart = go.Figure()
    for column, (name, color, _) in _present(test_predictions).items():
        precision, recall, _ = precision_recall_curve(y, test_predictions[column])
        r, p = _thin(recall, precision, 200)
        chart.add_trace(go.Scatter(x=r, y=p, name=name, line={"color": color}))
    chart.add_hline(y=float(y.mean()), line_dash="dot", annotation_text="no model")
    chart.update_layout(
        title="Precision-recall on held-out rows",
        xaxis_title="recall",
        yaxis_title="precision",
    )
    return chart


def label_efficiency_chart(efficiency: dict[str, Any]) -> go.Figure:
    chart = go.Figure()
    for key, name in (
        ("supervised", "CatBoost on n labels"),
        ("segment_rate", "segment label rate"),
    ):
        chart.add_trace(
            go.Scatter(
                x=efficiency["label_counts"],
                y=efficiency[f"{key}_mean"],
                error_y={"type": "data", "array": efficiency[f"{key}_sd"]},
                name=name,
                mode="lines+markers",
            )
        )
    if efficiency["oracle"] is not None:
        chart.add_hline(
            y=efficiency["oracle"], line_dash="dot", annotation_text="oracle"
        )
    chart.update_layout(
        title="Label efficiency (held-out)",
        xaxis={"type": "log", "title": "training labels"},
        yaxis_title=METRIC_NAMES.get(efficiency["metric"], efficiency["metric"]),
    )
    return chart


def segment_risk_chart(segment_risk: pd.DataFrame) -> go.Figure:
    chart = go.Figure(
        [
            go.Bar(
                x=segment_risk["segment_name"],
                y=segment_risk["share_of_rows"],
                name="share of rows",
            ),
            go.Bar(
                x=segment_risk["segment_name"],
                y=segment_risk["share_of_positives"],
                name="share of positives",
            ),
        ]
    )
    chart.update_layout(
        title="Rows and positives per segment (held-out)",
        barmode="group",
        yaxis_tickformat=".0%",
    )
    return chart


def draw_report_figures(
    test_predictions: pd.DataFrame,
    segment_assignments: pd.DataFrame,
    metrics: dict[str, Any],
    comparison: dict[str, Any],
    segment_risk: pd.DataFrame,
    segment_profiles: pd.DataFrame,
    segment_stability: dict[str, Any],
    feature_importance: pd.DataFrame,
    schema: dict[str, Any],
) -> tuple[dict[str, plt.Figure], go.Figure, go.Figure, go.Figure]:
    """The report's PNG figures (a dict, saved as a folder) and three plotly charts."""
    keys = [schema["id_column"], schema["date_column"]]
    efficiency = comparison["label_efficiency"]
    figures = {
        "precision_recall_roc": pr_roc_figure(test_predictions),
        "calibration": calibration_figure(metrics),
        "gain_lift": gain_lift_figure(test_predictions),
        "importance": importance_figure(feature_importance),
        "label_efficiency": label_efficiency_figure(efficiency),
        "segment_sizes": segment_sizes_figure(
            segment_profiles, metrics["training"]["positive_rate"]["train"]
        ),
        "risk_by_segment": risk_by_segment_figure(
            test_predictions, segment_assignments, keys, segment_risk
        ),
    }
    transitions = transition_figure(
        segment_stability, comparison.get("period", "month")
    )
    if transitions is not None:
        figures["transitions"] = transitions
    return (
        figures,
        pr_curve_chart(test_predictions),
        label_efficiency_chart(efficiency),
        segment_risk_chart(segment_risk),
    )
