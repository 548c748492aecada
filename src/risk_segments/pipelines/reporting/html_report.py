"""One self-contained HTML report per namespace: inline CSS, images as base64, no scripts.

It opens offline in any browser and can be mailed as a single file.
"""

from __future__ import annotations

import base64
import html
import io
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .comparison import paired_verdict

STYLE = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.7em;margin-bottom:.2em}h2{border-bottom:2px solid #ddd;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;margin:1em 0;font-size:.88em;width:100%}
th,td{border:1px solid #ddd;padding:.35em .5em;text-align:left;vertical-align:top}
th{background:#f4f4f4}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
img{max-width:100%;border:1px solid #eee;margin:.5em 0}
.lead{font-size:1.05em;background:#f7f9fc;border-left:4px solid #1f77b4;padding:.6em 1em}
.muted{color:#666;font-size:.9em}
nav a{margin-right:1em}
"""

METRIC_ROWS = (
    ("pr_auc", "PR-AUC"),
    ("roc_auc", "ROC-AUC"),
    ("f1", "F1 at the saved threshold"),
    ("precision", "precision at the saved threshold"),
    ("recall", "recall at the saved threshold"),
    ("precision_top_5pct", "precision in the top 5%"),
    ("recall_top_5pct", "recall in the top 5%"),
    ("precision_top_10pct", "precision in the top 10%"),
    ("recall_top_10pct", "recall in the top 10%"),
    ("lift_top_decile", "lift in the top decile"),
    ("brier", "Brier score (lower is better)"),
)


def _esc(value: Any) -> str:
    return html.escape(str(value))


def _png(image: Any) -> bytes:
    """PNG bytes from bytes (a FigureDataset load) or a matplotlib Figure (in memory)."""
    if isinstance(image, bytes | bytearray):
        return bytes(image)
    buffer = io.BytesIO()
    image.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(image)
    return buffer.getvalue()


def _img(image: Any, alt: str) -> str:
    if image is None:
        return ""
    data = base64.b64encode(_png(image)).decode("ascii")
    return f'<img alt="{_esc(alt)}" src="data:image/png;base64,{data}">'


def _cell(value: Any) -> str:
    if isinstance(value, bool | np.bool_):
        return f"<td>{'yes' if value else 'no'}</td>"
    if isinstance(value, int | np.integer):
        return f'<td class="num">{value:,}</td>'
    if isinstance(value, float | np.floating):
        if not np.isfinite(value):
            return '<td class="num">n/a</td>'
        return f'<td class="num">{value:.4g}</td>'
    return f"<td>{_esc(value)}</td>"


def _table(frame: pd.DataFrame, columns: dict[str, str]) -> str:
    head = "".join(f"<th>{_esc(title)}</th>" for title in columns.values())
    body = "".join(  # records keep each column's own type (iterrows would make ints floats)
        "<tr>" + "".join(_cell(row[c]) for c in columns) + "</tr>"
        for row in frame[list(columns)].to_dict("records")
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _fmt(value: float | None, missing: str = "n/a") -> str:
    return missing if value is None else f"{value:.3f}"


def _ci(metric: dict[str, float] | None) -> str:
    if not metric:
        return "n/a"
    return f"{metric['value']:.3f} <span class='muted'>[{metric['ci_low']:.3f}, {metric['ci_high']:.3f}]</span>"


def _metrics_table(metrics: dict[str, Any]) -> str:
    oracle = metrics.get("oracle")
    logistic = metrics["baselines"]["logistic"]
    prevalence = metrics["baselines"]["prevalence"]
    rows = []
    for key, title in METRIC_ROWS:
        rows.append(
            f"<tr><td>{_esc(title)}</td><td class='num'>{_ci(metrics[key])}</td>"
            f"<td class='num'>{_ci(logistic.get(key))}</td>"
            f"<td class='num'>{_ci(prevalence.get(key)) if key not in {'f1', 'precision', 'recall'} else 'n/a'}</td>"
            f"<td class='num'>{_ci(oracle.get(key)) if oracle else 'unknown'}</td></tr>"
        )
    return (
        "<table><tr><th>metric (95% bootstrap interval)</th><th>CatBoost</th><th>logistic regression</th>"
        "<th>no model (prevalence)</th><th>oracle</th></tr>"
        + "".join(rows)
        + "</table>"
    )


def _peers_table(metrics: dict[str, Any]) -> str:
    """Every named baseline beside the model, and the paired interval against the best."""
    labels = metrics.get("baseline_labels") or {}
    peers = [name for name in labels if name in metrics["baselines"]]
    paired = metrics.get("paired_vs_best_baseline")
    if len(peers) < 2 or not paired:  # the logistic regression alone: the table above
        return ""
    keys = (("roc_auc", "ROC-AUC"), ("pr_auc", "PR-AUC"), ("lift_top_decile", "lift"))
    rows = [
        "<tr><td>CatBoost (this run)</td>"
        + "".join(f"<td class='num'>{_ci(metrics[k])}</td>" for k, _ in keys)
        + "</tr>"
    ]
    for name in peers:
        rows.append(
            f"<tr><td>{_esc(labels[name])}</td>"
            + "".join(
                f"<td class='num'>{_ci(metrics['baselines'][name][k])}</td>"
                for k, _ in keys
            )
            + "</tr>"
        )
    best = labels.get(paired["baseline"], paired["baseline"])

    def diff(key: str) -> str:
        d = paired[key]
        return (
            f"{d['value']:+.3f} [{d['ci_low']:+.3f}, {d['ci_high']:+.3f}], ahead in "
            f"{d['share_ahead']:.0%} of replicates"
        )

    verdict = {
        "ahead": "the model is ahead of it on both, beyond the sampling noise.",
        "behind": f"{_esc(best)} is ahead of the model beyond the sampling noise: rank "
        "with it, and keep the model only where its reasons or its segments are needed.",
        "level": f"the interval includes zero: {_esc(best)} is as good as the model here; "
        "it is simpler to run and to explain, and the model earns its place only where "
        "its reasons or its segments are needed.",
    }[paired_verdict(paired)]
    return (
        "<p>Against the named baselines (each scored on the same test rows):</p>"
        "<table><tr><th>score (95% interval)</th>"
        + "".join(f"<th>{t}</th>" for _, t in keys)
        + "</tr>"
        + "".join(rows)
        + "</table>"
        f"<p>Model minus the best baseline ({_esc(best)}), paired bootstrap on the same rows: "
        f"ROC-AUC {diff('roc_auc')}; top-decile lift {diff('lift_top_decile')}. So {verdict}</p>"
    )


def _targets(metrics: dict[str, Any]) -> str:
    targets = metrics.get("targets") or {}
    if not targets:
        return ""
    items = "".join(
        f"<li>{_esc(name)}: measured {_fmt(t['measured'])}, "
        f"target {t['target']} &rarr; <b>{'met' if t['met'] else 'not met' if t['met'] is not None else 'unknown'}</b></li>"
        for name, t in targets.items()
    )
    return f"<p>Targets from the brief (reported, never enforced):</p><ul>{items}</ul>"


def _examples(
    top_risk_examples: pd.DataFrame, keys: list[str], n: int = 10
) -> pd.DataFrame:
    reasons = sorted(
        c
        for c in top_risk_examples.columns
        if c.startswith("reason_") and c.endswith("_text")
    )
    shown = top_risk_examples.head(n).copy()
    shown["reasons"] = (
        shown[reasons].fillna("").agg(lambda r: "; ".join(x for x in r if x), axis=1)
    )
    return shown[[*keys, "risk_score", "label", "reasons"]]


def _propensity_section(extras: dict[str, Any]) -> str:
    """Spend and the RFM baseline (order-log namespaces: `propensity_metrics`)."""
    if not extras or "ranking" not in extras:
        return ""
    ranking, spend, given = (
        extras["ranking"],
        extras["expected_spend"],
        extras["spend_given_purchase"],
    )
    rows = "".join(
        f"<tr><td>{_esc(title)}</td><td class='num'>{_ci(ranking['model'][key])}</td>"
        f"<td class='num'>{_ci(ranking['rfm_score'][key])}</td></tr>"
        for key, title in (
            ("roc_auc", "ROC-AUC"),
            ("pr_auc", "PR-AUC"),
            ("lift_top_decile", "lift in the top decile"),
            ("recall_top_10pct", "share of buyers in the top 10%"),
        )
    )
    money = [
        (
            "mean absolute error of expected spend",
            spend["mae_model"],
            spend["mae_historical_average"],
            spend["mae_zero"],
        ),
        (
            "rank correlation with actual spend (Spearman)",
            spend["spearman_model"],
            spend["spearman_historical_average"],
            None,
        ),
        (
            "share of the horizon's spend in the top 10%",
            spend["top_10pct_spend_share_model"],
            spend["top_10pct_spend_share_historical_average"],
            None,
        ),
        (
            "buyers only: mean absolute error of spend",
            given["mae_model"],
            given["mae_historical_average"],
            None,
        ),
    ]
    btyd = [
        spend.get("mae_btyd"),
        spend.get("spearman_btyd"),
        spend.get("top_10pct_spend_share_btyd"),
        None,
    ]
    money_rows = "".join(
        f"<tr><td>{_esc(title)}</td><td class='num'>{m:.3f}</td>"
        f"<td class='num'>{'n/a' if b is None else f'{b:.3f}'}</td><td class='num'>{h:.3f}</td>"
        f"<td class='num'>{'n/a' if z is None else f'{z:.3f}'}</td></tr>"
        for (title, m, h, z), b in zip(money, btyd, strict=True)
    )
    return (
        "<h2 id='propensity'>Propensity and spend</h2>"
        f"<p>Test cutoff {_esc(extras['test_cutoff'])}: {extras['test_rows']:,} customers, {extras['test_buyers']:,} bought again. "
        "RFM sums recency, frequency and monetary quintiles fitted on the training cutoffs.</p>"
        "<table><tr><th>ranking (95% interval)</th><th>CatBoost</th><th>RFM score</th></tr>"
        + rows
        + "</table>"
        "<p>Expected spend = probability x spend if they buy (CatBoost on the buyers' log spend). "
        "The historical average is the customer's spend so far per 90 days. Most customers spend nothing in "
        "the horizon, so predicting zero has a low absolute error and no ranking at all.</p>"
        "<table><tr><th></th><th>model</th><th>BG/NBD x Gamma-Gamma</th><th>historical average</th><th>zero</th></tr>"
        + money_rows
        + "</table>"
    )


PROFILE_COLUMNS = {
    "segment_name": "segment",
    "rows": "rows",
    "share": "share",
    "label_rate": "label rate",
    "atypical_share": "atypical share",
    "distinguishing": "what sets it apart",
    "suggested_action": "suggested action",
}
RISK_COLUMNS = {
    "segment_name": "segment",
    "test_rows": "held-out rows",
    "share_of_rows": "share of rows",
    "positives": "positives",
    "share_of_positives": "share of positives",
    "positive_rate": "positive rate",
    "train_label_rate": "training label rate",
    "above_average_segment": "above-average segment",
    "risk_p50": "median risk",
    "risk_p90": "90th pct risk",
    "share_in_model_review": "share in model review queue",
    "positives_in_model_review": "positives in review queue",
}


def _ratio_text(card: dict[str, Any]) -> str:
    oracle_ratio = card.get("model_to_oracle") or {}
    return (
        ", ".join(
            f"{k.replace('_', '-').upper()} {v:.3f}"
            for k, v in oracle_ratio.items()
            if v is not None
        )
        or "unknown (no truth table)"
    )


def _header(
    comparison: dict[str, Any], card: dict[str, Any], report_extras: dict[str, Any]
) -> list[str]:
    """Title, windows, navigation, the recommendation and the side-by-side table."""
    comparison_rows = "".join(
        f"<tr><th>{_esc(r['aspect'])}</th><td>{_esc(r['supervised'])}</td><td>{_esc(r['segmentation'])}</td></tr>"
        for r in comparison["table"]
    )
    return [
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{_esc(comparison['title'])}</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<h1>{_esc(comparison['title'])}</h1>",
        f"<p class='muted'>Label <code>{_esc(card['label'])}</code>; training {_esc(' to '.join(card['train_window']))}, "
        f"validation {_esc(' to '.join(card['valid_window']))}, held-out test {_esc(' to '.join(card['test_window']))}. "
        "Every number below was measured in the same run on rows the model never saw in training.</p>",
        "<nav><a href='#short'>In short</a><a href='#compare'>Two approaches</a><a href='#labels'>Labels</a>"
        "<a href='#score'>The score</a><a href='#drivers'>Drivers</a><a href='#segments'>Segments</a>"
        "<a href='#segrisk'>Segments and risk</a>"
        + (
            "<a href='#propensity'>Propensity and spend</a>"
            if report_extras and "ranking" in report_extras
            else ""
        )
        + "<a href='#card'>Model card</a></nav>",
        "<h2 id='short'>In short</h2><div class='lead'><ol>"
        + "".join(f"<li>{_esc(p)}</li>" for p in comparison["recommendation"])
        + "</ol></div>",
        "<h2 id='compare'>Supervised score and segmentation, side by side</h2>",
        f"<table><tr><th></th><th>Supervised risk score (CatBoost)</th><th>Behavioural segments ({_esc(comparison['segmentation']['segments'])})</th></tr>{comparison_rows}</table>",
    ]


def _labels_section(comparison: dict[str, Any], fig: Any) -> list[str]:
    """When are labels worth it: the label-efficiency curve and table."""
    efficiency = comparison["label_efficiency"]
    metric_name = {"pr_auc": "PR-AUC", "roc_auc": "ROC-AUC"}.get(
        efficiency["metric"], efficiency["metric"]
    )
    efficiency_frame = pd.DataFrame(
        {
            "labels": efficiency["label_counts"],
            "supervised": efficiency["supervised_mean"],
            "supervised_sd": efficiency["supervised_sd"],
            "segment_rate": efficiency["segment_rate_mean"],
            "segment_rate_sd": efficiency["segment_rate_sd"],
        }
    )
    return [
        "<h2 id='labels'>When are labels worth it?</h2>",
        f"<p>CatBoost trained on a random subset of n training labels (fixed trees, no early stopping, several repeats) "
        f"against ranking every {_esc(comparison['entity'])} by its segment's label rate estimated from the same n labels. "
        f"Held-out {metric_name}.</p>",
        _img(fig("label_efficiency"), "label efficiency"),
        _table(
            efficiency_frame,
            {
                "labels": "training labels",
                "supervised": f"CatBoost {metric_name}",
                "supervised_sd": "sd",
                "segment_rate": f"segment rate {metric_name}",
                "segment_rate_sd": "sd",
            },
        ),
        f"<p>No model: {_fmt(efficiency['prevalence'])}; "
        f"oracle: {_fmt(efficiency['oracle'], 'unknown')}.</p>",
    ]


def _score_section(
    metrics: dict[str, Any],
    fig: Any,
    card: dict[str, Any],
    feature_importance: pd.DataFrame,
    shap_summary_plot: Any,
    top_risk_examples: pd.DataFrame,
    keys: list[str],
) -> list[str]:
    """How good the score is, and what drives it."""
    ratio_text = _ratio_text(card)
    importance = feature_importance.nsmallest(15, "rank")
    return [
        "<h2 id='score'>How good is the score?</h2>",
        _metrics_table(metrics),
        _peers_table(metrics),
        f"<p>Model / oracle: {_esc(ratio_text)}.</p>",
        _targets(metrics),
        _img(fig("precision_recall_roc"), "precision-recall and ROC curves"),
        _img(fig("gain_lift"), "cumulative gain and lift"),
        _img(fig("calibration"), "calibration curve"),
        "<h2 id='drivers'>What drives the score</h2>",
        _img(fig("importance"), "feature importance"),
        _table(
            importance,
            {
                "rank": "rank",
                "label": "feature",
                "kind": "kind",
                "mean_abs_shap": "mean |SHAP|",
                "catboost_importance": "CatBoost importance",
            },
        ),
        _img(shap_summary_plot, "SHAP summary"),
        "<p>The highest-scored held-out rows and their reasons (the same reason codes scoring writes):</p>",
        _table(
            _examples(top_risk_examples, keys),
            {
                **{k: k for k in keys},
                "risk_score": "risk score",
                "label": "label",
                "reasons": "top reasons",
            },
        ),
    ]


def _recovery(segmentation: dict[str, Any]) -> str:
    """How much of the true group structure the segments find (simulated data only)."""
    if segmentation.get("ceiling_ari") is None:
        return (
            "<p class='muted'>Real data: the true groups are unknown, so the segments are judged "
            "by the label-free criteria above (stability across resamples and months).</p>"
        )
    return (
        f"<p>On this simulation the true archetypes are known. The segments agree with them "
        f"with ARI {_fmt(segmentation['ari_vs_true_archetype'])}. What the features can tell apart "
        f"at all, measured by a supervised model of the archetype on held-out rows, is ARI "
        f"{_fmt(segmentation['ceiling_ari'])}: the segments find "
        f"{segmentation['share_of_recoverable_found']:.0%} of the recoverable structure.</p>"
    )


def _segments_section(
    comparison: dict[str, Any],
    fig: Any,
    segment_profiles: pd.DataFrame,
    segment_heatmap: Any,
    segment_risk: pd.DataFrame,
) -> list[str]:
    """The segment profiles, and where the positives sit across segments."""
    rule = comparison["segment_rule_vs_model"]
    return [
        "<h2 id='segments'>Segments</h2>",
        "<p>Segments are formed from behaviour only; the label rate is shown afterwards to read them, it never shaped them.</p>",
        _recovery(comparison["segmentation"]),
        _table(segment_profiles, PROFILE_COLUMNS),
        _img(segment_heatmap, "segment profile heatmap"),
        _img(fig("segment_sizes"), "segment sizes and label rates"),
        _img(fig("transitions"), "month-over-month transitions"),
        "<h2 id='segrisk'>Segments and risk</h2>",
        f"<p>A segment-level rule ({_esc(rule['rule'])}: {_esc(', '.join(rule['rule_segments']) or 'none')}) flags "
        f"{rule['rule_flagged_share']:.1%} of held-out rows and finds {rule['rule_recall']:.1%} of positives; the model, reviewing "
        f"the same number of rows, finds {rule['model_recall_same_volume']:.1%}. {rule['hidden_positive_share']:.1%} of positives "
        f"({rule['hidden_positives']:,}) sit in below-average segments; the model's review queue "
        f"(top {rule['review_share']:.0%}) holds {rule['hidden_in_model_review']:,} of them.</p>",
        _img(fig("risk_by_segment"), "risk scores per segment"),
        _table(segment_risk, RISK_COLUMNS),
    ]


def _card_section(card: dict[str, Any], feature_importance: pd.DataFrame) -> list[str]:
    """The model card."""
    ratio_text = _ratio_text(card)
    limitations = "".join(f"<li>{_esc(x)}</li>" for x in card["limitations"])
    return [
        "<h2 id='card'>Model card</h2><table>",
        f"<tr><th>label</th><td>{_esc(card['label'])}</td></tr>",
        f"<tr><th>rows (train / valid / test)</th><td>{card['rows']['train']:,} / {card['rows']['valid']:,} / {card['rows']['test']:,}</td></tr>",
        f"<tr><th>positive rate (train / valid / test)</th><td>{card['positive_rate']['train']:.3f} / {card['positive_rate']['valid']:.3f} / {card['positive_rate']['test']:.3f}</td></tr>",
        f"<tr><th>features</th><td>{len(feature_importance):,} ({int((feature_importance['kind'] == 'categorical').sum())} categorical, native in CatBoost; missing values native)</td></tr>",
        f"<tr><th>class weights</th><td>{_esc(card['imbalance']['chosen'])}: {_esc(card['imbalance']['why'])}</td></tr>",
        f"<tr><th>calibration</th><td>{_esc(card['calibration'])}</td></tr>",
        f"<tr><th>trees</th><td>{card['trees']:,}</td></tr>",
        f"<tr><th>decision threshold</th><td>{card['threshold']['decision']:.4f} ({_esc(card['threshold']['strategy'])}); review-share threshold {card['threshold']['review_share']:.4f}</td></tr>",
        "".join(
            f"<tr><th>{_esc(k)}</th><td>{_ci(v)}</td></tr>"
            for k, v in card["metrics"].items()
        ),
        f"<tr><th>model / oracle</th><td>{_esc(ratio_text)}</td></tr>",
        f"<tr><th>limitations</th><td><ul>{limitations}</ul></td></tr></table>",
        "</body></html>",
    ]


def build_html_report(
    comparison: dict[str, Any],
    metrics: dict[str, Any],
    segment_profiles: pd.DataFrame,
    segment_risk: pd.DataFrame,
    feature_importance: pd.DataFrame,
    top_risk_examples: pd.DataFrame,
    report_figures: dict[str, Any],
    shap_summary_plot: Any,
    segment_heatmap: Any,
    report_extras: dict[str, Any],
    schema: dict[str, Any],
) -> str:
    """The namespace's report as one HTML string."""
    card = comparison["model_card"]
    fig = report_figures.get
    keys = [schema["id_column"], schema["date_column"]]
    parts = [
        *_header(comparison, card, report_extras),
        *_labels_section(comparison, fig),
        *_score_section(
            metrics,
            fig,
            card,
            feature_importance,
            shap_summary_plot,
            top_risk_examples,
            keys,
        ),
        *_segments_section(
            comparison, fig, segment_profiles, segment_heatmap, segment_risk
        ),
        _propensity_section(report_extras),
        *_card_section(card, feature_importance),
    ]
    return "\n".join(p for p in parts if p)
