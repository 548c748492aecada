"""The measured comparison of the two approaches, in words a team can act on.

Every number comes from this run's outputs (metrics, stability, label
efficiency, segments x risk); these functions only put them into sentences,
the comparison table and the model card.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd


def _pct(value: float | None, digits: int = 1) -> str:
    return (
        "n/a"
        if value is None or not np.isfinite(value)
        else f"{100 * value:.{digits}f}%"
    )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _num(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None or not np.isfinite(value) else f"{value:.{digits}f}"


def _with_ci(metric: dict[str, float]) -> str:
    return f"{metric['value']:.3f} [{metric['ci_low']:.3f}, {metric['ci_high']:.3f}]"


def _stability_line(
    stability: dict[str, Any], entity: str, period: str
) -> tuple[str, float | None]:
    jaccard = stability["resampling"]["jaccard_per_segment"]
    low = min(jaccard.values()) if jaccard else None
    mom = stability.get("month_over_month")
    if mom:
        return (
            f"{_pct(mom['share_keeping_segment'])} of {entity}s keep their segment from one {period} "
            f"to the next; resampling Jaccard per segment at least {_num(low, 2)}",
            mom["share_keeping_segment"],
        )
    return (
        f"refits on resamples agree with ARI {_num(stability['resampling']['ari_mean'], 2)}; "
        f"resampling Jaccard per segment at least {_num(low, 2)}",
        None,
    )


@dataclass
class Facts:
    """The figures the comparison's sentences are made of."""

    metrics: dict[str, Any]
    efficiency: dict[str, Any]
    stability: dict[str, Any]
    rule: dict[str, Any]
    primary: str
    entity: str
    period: str
    action: str
    label: str

    @property
    def logistic(self) -> dict[str, Any]:
        return self.metrics["baselines"]["logistic"]

    @property
    def oracle(self) -> dict[str, Any] | None:
        return self.metrics.get("oracle")

    @property
    def stability_text(self) -> str:
        return _stability_line(self.stability, self.entity, self.period)[0]


def comparison_table(
    facts: Facts,
    segment_profiles: pd.DataFrame,
    segmentation: dict[str, Any],
    score: dict[str, Any],
) -> list[dict[str, str]]:
    """Objective, inputs, outputs, evaluation, retraining and failure modes, side by side."""
    metrics, efficiency, primary = facts.metrics, facts.efficiency, facts.primary
    entity, label, logistic, oracle = (
        facts.entity,
        facts.label,
        facts.logistic,
        facts.oracle,
    )
    training = metrics["training"]
    stability_text = facts.stability_text
    truth = facts.stability.get("truth_recovery")
    n_segments = int(facts.stability["segments"])
    atypical = atypical_share(segment_profiles)
    segment_risk_summary = facts.rule
    return [
        {
            "aspect": "Objective",
            "supervised": f"predict `{label}` for each {entity}: a calibrated probability and a decision",
            "segmentation": f"group {entity}s by behaviour into a few named segments, no label used",
        },
        {
            "aspect": "Inputs",
            "supervised": (
                f"{training['rows']['train']:,} labeled training rows ({_pct(training['positive_rate']['train'])} "
                f"positive) and {training['rows']['valid']:,} validation rows; the label must be known"
            ),
            "segmentation": (
                f"all rows, labeled or not: {int(segment_profiles['rows'].sum()):,}; "
                f"{facts.stability.get('features') or len(segmentation['features'])} behavioural features, no label"
            ),
        },
        {
            "aspect": "Outputs",
            "supervised": f"probability, risk tier, decision at threshold {metrics['threshold']['decision']:.3f}, top reasons per row",
            "segmentation": f"{n_segments} segments with names, profiles and a suggested action; atypical flag ({_pct(atypical)} of rows)",
        },
        {
            "aspect": "Evaluation",
            "supervised": (
                f"held-out {metrics['test_rows']:,} rows: PR-AUC {_with_ci(metrics['pr_auc'])}, "
                f"ROC-AUC {_with_ci(metrics['roc_auc'])}; logistic PR-AUC {_num(logistic['pr_auc']['value'])}, "
                f"prevalence {_num(metrics['test_positive_rate'])}"
                + (
                    f"; oracle PR-AUC {_num(oracle['pr_auc']['value'])}"
                    if oracle
                    else ""
                )
            ),
            "segmentation": (
                stability_text
                + (
                    f"; agreement with the true archetypes ARI {_num(truth['ari_vs_true_archetype'], 2)}"
                    + (
                        f" against a ceiling of {_num(truth['ceiling_ari'], 2)} (a supervised model "
                        f"of the archetype from the same features): {_pct(truth['share_of_recoverable_found'], 0)} "
                        "of the recoverable structure found"
                        if truth.get("ceiling_ari")
                        else ""
                    )
                    if truth
                    else ""
                )
                + f"; ranking by segment label rate: {primary.replace('_', '-').upper()} {_num(efficiency['segment_rate_full'])}"
            ),
        },
        {
            "aspect": "Retraining",
            "supervised": "when labels mature (new labeled months) or input drift (PSI) passes "
            f"{score['psi_warning']}; needs fresh labels each time",
            "segmentation": "refit when segment shares drift or on a fixed cadence; no labels, but segment names and actions need a human review after a refit",
        },
        {
            "aspect": "Failure modes",
            "supervised": "label delay and label noise; drift in inputs; a threshold that no longer matches review capacity",
            "segmentation": "segments describe typical behaviour, not individual risk: "
            f"{_pct(segment_risk_summary['hidden_positive_share'])} of positives sit in below-average segments",
        },
    ]


def atypical_share(segment_profiles: pd.DataFrame) -> float:
    """Share of all segmented rows flagged atypical."""
    return float(
        (segment_profiles["atypical_share"] * segment_profiles["rows"]).sum()
        / segment_profiles["rows"].sum()
    )


def labels_sentence(efficiency: dict[str, Any], metric_name: str) -> str:
    """From how many labels the supervised model stays ahead of segment label rates."""
    if efficiency["status"] == "ahead_from_smallest":
        sentence = (
            f"Labels pay off early: with only {efficiency['overtake_labels']:,} labels "
            f"(about {efficiency['overtake_positives']:.0f} positives) the supervised model already ranks better "
            f"than segment label rates ({metric_name} {efficiency['supervised_mean'][0]:.3f} ± "
            f"{efficiency['supervised_sd'][0]:.3f} vs {efficiency['segment_rate_mean'][0]:.3f} ± "
            f"{efficiency['segment_rate_sd'][0]:.3f} over repeats), the smallest label set tried."
        )
    elif efficiency["status"] == "overtakes":
        behind = efficiency["behind_at_labels"]
        smaller = [
            n for n in efficiency["label_counts"] if n < efficiency["overtake_labels"]
        ]
        sentence = (
            f"Below {efficiency['overtake_labels']:,} labels the supervised model does not stay ahead: it trails "
            f"ranking by segment label rate at {len(behind)} of the {len(smaller)} smaller label counts tried "
            f"({', '.join(f'{n:,}' for n in behind)}); from {efficiency['overtake_labels']:,} labels "
            f"(about {efficiency['overtake_positives']:,.0f} positives) on it stays ahead."
        )
    else:
        sentence = (
            "With the label counts tried, the supervised model never stayed ahead of ranking by segment label rate: "
            "collect more labels before relying on a score."
        )
    return sentence


def paired_verdict(paired: dict[str, Any]) -> str:
    """'ahead' (both paired intervals above zero), 'behind' (one below zero) or 'level'."""
    auc, lift = paired["roc_auc"], paired["lift_top_decile"]
    if auc["ci_low"] > 0 and lift["ci_low"] > 0:
        return "ahead"
    return "behind" if auc["ci_high"] < 0 or lift["ci_high"] < 0 else "level"


def _paired_sentence(metrics: dict[str, Any]) -> str:
    """Whether the model is ahead of its best baseline beyond the noise (paired bootstrap)."""
    paired = metrics.get("paired_vs_best_baseline")
    if not paired:
        return ""
    name = (metrics.get("baseline_labels") or {}).get(
        paired["baseline"], paired["baseline"]
    )
    auc, lift = paired["roc_auc"], paired["lift_top_decile"]
    figures = (
        f"ROC-AUC {auc['value']:+.3f} [{auc['ci_low']:+.3f}, {auc['ci_high']:+.3f}], "
        f"lift {lift['value']:+.2f} [{lift['ci_low']:+.2f}, {lift['ci_high']:+.2f}]"
    )
    verdict = paired_verdict(paired)
    if verdict == "ahead":
        return f" Against the best baseline, {name}, it is ahead beyond the noise ({figures}, paired bootstrap)."
    if verdict == "behind":
        return (
            f" Against the best baseline, {name}, it is behind beyond the noise ({figures}, "
            f"paired bootstrap): rank with {name}; keep the model only for its reasons per row."
        )
    return (
        f" Against the best baseline, {name}, the paired difference ({figures}) includes zero: "
        f"the simpler {name} is as good for ranking; prefer it unless the reasons per row matter."
    )


def recommendation(facts: Facts, score: dict[str, Any]) -> list[str]:
    """The report's 'In short': when to use which approach, with this run's numbers."""
    metrics, efficiency, primary = facts.metrics, facts.efficiency, facts.primary
    entity, action, logistic, oracle = (
        facts.entity,
        facts.action,
        facts.logistic,
        facts.oracle,
    )
    segment_risk_summary, stability_text = facts.rule, facts.stability_text
    metric_name = primary.replace("_", "-").upper()
    oracle_text = (
        f"; the oracle (true probability) reaches {_num(oracle[primary]['value'])}"
        if oracle
        else ""
    )
    sentence = labels_sentence(efficiency, metric_name)
    return [
        (
            f"Decide on individual {entity}s with the supervised score. On {metrics['test_rows']:,} held-out rows "
            f"it reaches {metric_name} {_with_ci(metrics[primary])} against {_num(logistic[primary]['value'])} for a "
            f"logistic regression and {_num(efficiency['prevalence'])} for no model{oracle_text}. Its top 10% "
            f"holds {_pct(metrics['recall_top_10pct']['value'])} of the positives (lift {metrics['lift_top_decile']['value']:.2f})."
            + _paired_sentence(metrics)
        ),
        sentence
        + (
            f" With all {efficiency['full_labels']:,} training labels it reaches {efficiency['supervised_full']:.3f}; "
            f"{efficiency['labels_for_95pct_of_full']:,} labels already give 95% of that."
            if efficiency["labels_for_95pct_of_full"]
            else ""
        ),
        (
            f"Use the segments to understand and plan, not to pick individuals. {action.capitalize()}ing every {entity} of the "
            f"{_count(len(segment_risk_summary['rule_segments']), 'above-average segment')} flags "
            f"{_pct(segment_risk_summary['rule_flagged_share'])} of rows and finds "
            f"{_pct(segment_risk_summary['rule_recall'])} of the positives; the model finds "
            f"{_pct(segment_risk_summary['model_recall_same_volume'])} with the same number of {action}s. "
            f"{_pct(segment_risk_summary['hidden_positive_share'])} of the positives "
            f"({segment_risk_summary['hidden_positives']:,}) sit in below-average segments, where a segment rule never looks."
        ),
        (
            f"Where labels are missing (new markets, a new kind of risk, the unlabeled part of the base) the segments "
            f"are the tool: they need no labels, and {stability_text}."
        ),
        (
            f"In production run both from the same preprocessed rows: `kedro run --pipeline=score` gives every "
            f"{entity} its score, tier, reasons and segment in one pass. Build the {action} list from the score; "
            f"report and plan by segment; watch `score_monitoring` (PSI warning at {score['psi_warning']}) and the "
            f"segment shares, and retrain the score when labels mature or drift appears."
        ),
    ]


def model_card(
    facts: Facts,
    test_predictions: pd.DataFrame,
    schema: dict[str, Any],
    report: dict[str, Any],
) -> dict[str, Any]:
    """What was trained, on which windows, with which settings and results."""
    metrics, label = facts.metrics, facts.label
    training = metrics["training"]
    date_col = schema["date_column"]
    dates = pd.to_datetime(test_predictions[date_col])
    return {
        "label": label,
        "train_window": training["train_window"],
        "valid_window": training["valid_window"],
        "test_window": [str(dates.min().date()), str(dates.max().date())],
        "rows": {**training["rows"], "test": metrics["test_rows"]},
        "positive_rate": {
            **training["positive_rate"],
            "test": metrics["test_positive_rate"],
        },
        "imbalance": training["imbalance"],
        "calibration": metrics["calibration"]["method"],
        "trees": training["best_iteration"],
        "threshold": {
            k: metrics["threshold"][k] for k in ("strategy", "decision", "review_share")
        },
        "metrics": {
            k: metrics[k]
            for k in (
                "pr_auc",
                "roc_auc",
                "f1",
                "precision",
                "recall",
                "lift_top_decile",
                "brier",
            )
        },
        "model_to_oracle": metrics.get("model_to_oracle"),
        "targets": metrics.get("targets"),
        "limitations": list(report.get("limitations", [])),
    }
