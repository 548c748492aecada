"""Nodes of the propensity pipeline: spend model, its evaluation beside naive and RFM
baselines, the ranked customer list and the brief's model_plots.png."""

from __future__ import annotations

import logging
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from scipy.stats import spearmanr
from sklearn.metrics import roc_curve

from risk_segments.modeling.btyd import EXPECTED_SPEND
from risk_segments.modeling.features import numeric_features
from risk_segments.modeling.fitting import fit_spend_model
from risk_segments.modeling.metrics import bootstrap_count, evaluate_scores
from risk_segments.modeling.risk_model import RiskModel, feature_spec
from risk_segments.modeling.spend_model import SpendModel
from risk_segments.modeling.splits import rows_of
from risk_segments.schema import categorical_features

logger = logging.getLogger(__name__)


def _with_spend(
    rows: pd.DataFrame,
    spend_target: pd.DataFrame,
    schema: dict[str, Any],
    spend_column: str,
) -> pd.DataFrame:
    keys = [schema["id_column"], schema["date_column"]]
    out = rows.merge(spend_target[[*keys, spend_column]], on=keys, how="left")
    if out[spend_column].isna().any():
        raise ValueError(
            f"{int(out[spend_column].isna().sum())} labeled rows have no '{spend_column}' in spend_target"
        )
    return out


def train_spend_model(
    model_input: pd.DataFrame,
    spend_target: pd.DataFrame,
    data_split: pd.DataFrame,
    schema: dict[str, Any],
    derived: dict[str, Any] | None,
    customer_view: dict[str, Any],
    spend: dict[str, Any],
) -> SpendModel:
    """CatBoost regression of log1p(spend in the horizon) on the training buyers,
    early-stopped on the validation buyers; a smearing factor puts it back in money."""
    column, label = customer_view["spend_column"], schema["label_column"]
    train, valid = (
        _with_spend(
            rows_of(model_input, data_split, schema, role), spend_target, schema, column
        )
        for role in ("train", "valid")
    )
    train, valid = train.loc[train[label] == 1], valid.loc[valid[label] == 1]
    spec = feature_spec(
        train, categorical_features(schema), numeric_features(schema, derived)
    )
    logger.info(
        "Training the spend model on %d buyers (validation %d)...",
        len(train),
        len(valid),
    )
    model = fit_spend_model(
        train,
        train[column].to_numpy(),
        valid,
        valid[column].to_numpy(),
        spec,
        spend["catboost"],
    )
    model.info = {"target": f"{column} of buyers (log1p)", **model.info}
    return model


def _rfm_score(train: pd.DataFrame, rows: pd.DataFrame) -> np.ndarray:
    """Classic RFM: recency, frequency and monetary quintiles (edges from training rows), summed."""
    score = np.zeros(len(rows))
    for column, sign in (("recency_days", -1), ("frequency", 1), ("monetary_total", 1)):
        edges = np.unique(
            np.quantile(
                sign * train[column].to_numpy(dtype=float), [0.2, 0.4, 0.6, 0.8]
            )
        )
        score += (
            np.searchsorted(
                edges, sign * rows[column].to_numpy(dtype=float), side="right"
            )
            + 1
        )
    return score


def _mae(actual: np.ndarray, predicted: np.ndarray) -> float:
    return float(np.mean(np.abs(actual - predicted)))


def _captured(actual: np.ndarray, ranking: np.ndarray, share: float = 0.1) -> float:
    """Share of all horizon spend made by the top `share` of customers by the ranking."""
    top = np.argsort(-ranking, kind="stable")[
        : max(int(round(share * len(ranking))), 1)
    ]
    return float(actual[top].sum() / max(actual.sum(), 1e-9))


def _expected_spend_metrics(
    actual: np.ndarray,
    expected: np.ndarray,
    history: np.ndarray,
    rfm: np.ndarray,
    btyd: np.ndarray | None,
) -> dict[str, float]:
    out = {
        "mae_model": _mae(actual, expected),
        "mae_historical_average": _mae(actual, history),
        "mae_zero": _mae(actual, np.zeros_like(actual)),
        "spearman_model": float(spearmanr(expected, actual).statistic),
        "spearman_historical_average": float(spearmanr(history, actual).statistic),
        "total_actual": float(actual.sum()),
        "total_predicted": float(expected.sum()),
        "top_10pct_spend_share_model": _captured(actual, expected),
        "top_10pct_spend_share_rfm": _captured(actual, rfm),
        "top_10pct_spend_share_historical_average": _captured(actual, history),
    }
    if btyd is not None:  # BG/NBD x Gamma-Gamma, the classic expected-spend peer
        out.update(
            mae_btyd=_mae(actual, btyd),
            spearman_btyd=float(spearmanr(btyd, actual).statistic),
            top_10pct_spend_share_btyd=_captured(actual, btyd),
            total_predicted_btyd=float(btyd.sum()),
        )
    return out


def _log_propensity(result: dict[str, Any]) -> None:
    r, e = result["ranking"], result["expected_spend"]
    logger.info(
        "Propensity on %s: ROC-AUC %.3f (RFM %.3f), lift top decile %.2f (RFM %.2f); expected-spend MAE %.2f "
        "vs %.2f for the historical average",
        result["test_cutoff"],
        r["model"]["roc_auc"]["value"],
        r["rfm_score"]["roc_auc"]["value"],
        r["model"]["lift_top_decile"]["value"],
        r["rfm_score"]["lift_top_decile"]["value"],
        e["mae_model"],
        e["mae_historical_average"],
    )
    if "mae_btyd" in e:
        logger.info(
            "Expected spend: MAE %.2f (BG/NBD x Gamma-Gamma %.2f), Spearman %.3f (%.3f), "
            "top-10%% share of spend %.1f%% (%.1f%%)",
            e["mae_model"],
            e["mae_btyd"],
            e["spearman_model"],
            e["spearman_btyd"],
            100 * e["top_10pct_spend_share_model"],
            100 * e["top_10pct_spend_share_btyd"],
        )


def evaluate_propensity(
    test_predictions: pd.DataFrame,
    model_input: pd.DataFrame,
    spend_target: pd.DataFrame,
    data_split: pd.DataFrame,
    spend_model: SpendModel,
    schema: dict[str, Any],
    customer_view: dict[str, Any],
    supervised: dict[str, Any],
) -> dict[str, Any]:
    """On the test cutoff: the propensity ranking beside RFM, and expected spend beside
    the customer's historical average and zero."""
    keys = [schema["id_column"], schema["date_column"]]
    column = customer_view["spend_column"]
    test = _with_spend(
        test_predictions[[*keys, "label", "risk_score"]].merge(
            model_input, on=keys, how="left"
        ),
        spend_target,
        schema,
        column,
    )
    y, p = test["label"].to_numpy(), test["risk_score"].to_numpy()
    actual = test[column].to_numpy(dtype=float)
    evaluation = supervised["evaluation"]
    boot = {
        "n_bootstrap": bootstrap_count(evaluation["n_bootstrap"], len(y)),
        "seed": evaluation["seed"],
    }
    keep = ("roc_auc", "pr_auc", "lift_top_decile", "recall_top_10pct")
    rfm = _rfm_score(rows_of(model_input, data_split, schema, "train"), test)
    spend_if_buy = spend_model.predict_spend(test)
    history = test["spend_per_90d_hist"].to_numpy(dtype=float)
    buyers = y == 1
    result = {
        "test_cutoff": str(pd.Timestamp(test[schema["date_column"]].max()).date()),
        "test_rows": len(test),
        "test_buyers": int(buyers.sum()),
        "ranking": {
            name: {
                k: v for k, v in evaluate_scores(y, score, **boot).items() if k in keep
            }
            for name, score in (("model", p), ("rfm_score", rfm))
        },
        "expected_spend": _expected_spend_metrics(
            actual,
            p * spend_if_buy,
            history,
            rfm,
            test[EXPECTED_SPEND].to_numpy(dtype=float)
            if EXPECTED_SPEND in test
            else None,
        ),
        "spend_given_purchase": {
            "buyers": int(buyers.sum()),
            "mae_model": _mae(actual[buyers], spend_if_buy[buyers]),
            "mae_average_order_value": _mae(
                actual[buyers], test["monetary_avg"].to_numpy(dtype=float)[buyers]
            ),
            "mae_historical_average": _mae(actual[buyers], history[buyers]),
        },
        "spend_model": spend_model.info,
        "note": "the historical average is the customer's spend so far per 90 days; "
        "RFM sums recency, frequency and monetary quintiles fitted on the training cutoffs",
    }
    _log_propensity(result)
    return result


def rank_customers(
    model_input: pd.DataFrame,
    risk_model: RiskModel,
    spend_model: SpendModel,
    segment_assignments: pd.DataFrame,
    schema: dict[str, Any],
) -> pd.DataFrame:
    """The customers at the newest cutoff (horizon still open), ranked for marketing:
    probability, spend if they buy, expected spend, decile (1 = most likely), segment."""
    id_col, date_col, label_col = (
        schema["id_column"],
        schema["date_column"],
        schema["label_column"],
    )
    newest = model_input[date_col].max()
    rows = model_input.loc[model_input[date_col] == newest].reset_index(drop=True)
    if rows[label_col].notna().any():
        logger.warning(
            "the newest cutoff %s is labeled: ranking it anyway",
            pd.Timestamp(newest).date(),
        )
    probability = risk_model.predict_proba(rows)
    spend_if_buy = spend_model.predict_spend(rows)
    order = np.argsort(-probability, kind="stable")
    rank = np.empty(len(rows), dtype=int)
    rank[order] = np.arange(len(rows))
    out = pd.DataFrame(
        {
            id_col: rows[id_col].to_numpy(),
            date_col: rows[date_col].to_numpy(),
            "probability": probability,
            "predicted_spend_if_buy": spend_if_buy,
            "expected_spend": probability * spend_if_buy,
            "decile": (rank * 10 // len(rows)) + 1,
        }
    )
    keys = [id_col, date_col]
    out = out.merge(
        segment_assignments[[*keys, "segment", "segment_name"]], on=keys, how="left"
    )
    if len(out) != len(rows) or out["segment"].isna().any():
        raise RuntimeError("ranking lost rows or segments")
    logger.info(
        "Ranked %d customers at the cutoff %s", len(out), pd.Timestamp(newest).date()
    )
    return out.sort_values("probability", ascending=False, ignore_index=True)


def _best_named_peer(
    test_predictions: pd.DataFrame, metrics: dict[str, Any]
) -> str | None:
    """The named score baseline (a peer model such as BG/NBD) with the best ROC-AUC."""
    peers = [
        name
        for name in metrics.get("baseline_labels", {})
        if f"baseline:{name}" in test_predictions
    ]
    if not peers:
        return None
    return max(peers, key=lambda n: metrics["baselines"][n]["roc_auc"]["value"])


def draw_model_plots(
    test_predictions: pd.DataFrame,
    metrics: dict[str, Any],
    feature_importance: pd.DataFrame,
    propensity_metrics: dict[str, Any],
) -> plt.Figure:
    """The brief's model_plots.png: ROC, cumulative gain with lift, calibration, importance."""
    y = test_predictions["label"].to_numpy()
    figure, axes = plt.subplots(2, 2, figsize=(12, 9.5))
    (ax_roc, ax_gain), (ax_cal, ax_imp) = axes
    rfm_auc = propensity_metrics["ranking"]["rfm_score"]["roc_auc"]["value"]
    for column, name, style in (
        ("risk_score", "CatBoost", "-"),
        ("logistic_score", "logistic regression", "--"),
    ):
        fpr, tpr, _ = roc_curve(y, test_predictions[column])
        auc = (
            metrics["roc_auc"]["value"]
            if column == "risk_score"
            else metrics["baselines"]["logistic"]["roc_auc"]["value"]
        )
        ax_roc.plot(fpr, tpr, style, label=f"{name} (AUC {auc:.3f})")
    peer = _best_named_peer(test_predictions, metrics)
    if peer:
        fpr, tpr, _ = roc_curve(y, test_predictions[f"baseline:{peer}"])
        name = metrics["baseline_labels"][peer]
        auc = metrics["baselines"][peer]["roc_auc"]["value"]
        ax_roc.plot(fpr, tpr, ":", label=f"{name} (AUC {auc:.3f})")
    ax_roc.plot([0, 1], [0, 1], color="grey", linewidth=1, label="no model")
    ax_roc.set(
        xlabel="false positive rate",
        ylabel="true positive rate",
        title=f"ROC, test cutoff (RFM score AUC {rfm_auc:.3f})",
    )
    ordered = y[np.argsort(-test_predictions["risk_score"].to_numpy(), kind="stable")]
    share = np.arange(1, len(y) + 1) / len(y)
    ax_gain.plot(share, np.cumsum(ordered) / max(ordered.sum(), 1), label="CatBoost")
    if peer:
        by_peer = y[
            np.argsort(-test_predictions[f"baseline:{peer}"].to_numpy(), kind="stable")
        ]
        ax_gain.plot(
            share,
            np.cumsum(by_peer) / max(by_peer.sum(), 1),
            ":",
            label=f"{metrics['baseline_labels'][peer]} (lift "
            f"{metrics['baselines'][peer]['lift_top_decile']['value']:.2f})",
        )
    ax_gain.plot([0, 1], [0, 1], color="grey", linewidth=1, label="no model")
    lift = metrics["lift_top_decile"]["value"]
    ax_gain.axvline(0.1, color="black", linestyle=":", linewidth=1)
    ax_gain.set(
        xlabel="share of customers contacted (most likely first)",
        ylabel="share of repeat buyers reached",
        title=f"Cumulative gain (lift in top 10%: {lift:.2f})",
    )
    table = pd.DataFrame(metrics["calibration_curve"]["model"])
    ax_cal.plot(
        table["mean_predicted"], table["observed_rate"], marker="o", label="CatBoost"
    )
    top = float(max(table["mean_predicted"].max(), table["observed_rate"].max()))
    ax_cal.plot(
        [0, top], [0, top], color="grey", linewidth=1, label="perfect calibration"
    )
    ax_cal.set(
        xlabel="mean predicted probability (decile)",
        ylabel="observed repeat rate",
        title="Calibration, test cutoff",
    )
    shown = feature_importance.nsmallest(12, "rank").iloc[::-1]
    ax_imp.barh(shown["label"], shown["mean_abs_shap"])
    ax_imp.set(xlabel="mean |SHAP| (log-odds)", title="What drives the propensity")
    for ax in (ax_roc, ax_gain, ax_cal):
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    figure.tight_layout()
    return figure
