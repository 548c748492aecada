"""supervised_risk on dev data: split, model round-trip, reasons, metrics."""

from __future__ import annotations

import json

import numpy as np
import pytest
from kedro.io import DatasetError, Version
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

from risk_segments.datasets import CatBoostModelDataset
from risk_segments.modeling.metrics import best_f1_threshold, evaluate_scores
from risk_segments.modeling.reasons import (
    feature_label,
    reason_codes,
)
from risk_segments.modeling.risk_model import prepare_features
from risk_segments.schema import InvalidInputError
from tests.helpers import TABULAR_NAMESPACES


@pytest.mark.parametrize("namespace", TABULAR_NAMESPACES)
def test_pipeline_produces_metrics_with_baselines_oracle_and_intervals(
    trained_dev_catalog, namespace
):
    metrics = trained_dev_catalog.load(f"{namespace}.metrics")
    json.dumps(metrics)  # a JSON dataset must be able to save it
    for key in (
        "pr_auc",
        "roc_auc",
        "f1",
        "precision",
        "recall",
        "precision_top_5pct",
        "recall_top_10pct",
        "lift_top_decile",
        "brier",
    ):
        entry = metrics[key]
        assert entry["ci_low"] <= entry["value"] <= entry["ci_high"], key
    assert metrics["baselines"]["logistic"]["pr_auc"]["value"] > 0
    assert metrics["baselines"]["prevalence"]["roc_auc"]["value"] == pytest.approx(0.5)
    assert metrics["oracle"]["pr_auc"]["value"] > metrics["test_positive_rate"]
    assert metrics["model_to_oracle"]["roc_auc"] == pytest.approx(
        metrics["roc_auc"]["value"] / metrics["oracle"]["roc_auc"]["value"]
    )
    # a real model beats the prevalence baseline on held-out rows, even on dev data
    assert metrics["roc_auc"]["value"] > 0.7
    assert metrics["training"]["imbalance"]["chosen"] in ("none", "balanced")
    assert set(metrics["targets"]) and all(
        "met" in v for v in metrics["targets"].values()
    )
    importance = trained_dev_catalog.load(f"{namespace}.feature_importance")
    assert importance["mean_abs_shap"].is_monotonic_decreasing
    assert (importance["mean_abs_shap"] > 0).any()


@pytest.mark.parametrize("namespace", TABULAR_NAMESPACES)
def test_split_never_leaks(trained_dev_catalog, dev_params, namespace):
    schema = dev_params[namespace]["schema"]
    split = trained_dev_catalog.load(f"{namespace}.data_split")
    keys = [schema["id_column"], schema["date_column"]]
    assert not split.duplicated(keys).any()
    roles = {r: split.loc[split["role"] == r] for r in ("train", "valid", "test")}
    assert all(len(v) for v in roles.values())
    if dev_params[namespace]["supervised"]["split"]["strategy"] == "time":
        # every test month is after every training and validation month
        assert (
            roles["test"][schema["date_column"]].min()
            > roles["valid"][schema["date_column"]].max()
        )
        assert (
            roles["valid"][schema["date_column"]].min()
            > roles["train"][schema["date_column"]].max()
        )
    else:
        ids = {r: set(v[schema["id_column"]]) for r, v in roles.items()}
        assert not ids["test"] & ids["train"] and not ids["test"] & ids["valid"]
    # the test predictions are exactly the test rows
    predictions = trained_dev_catalog.load(f"{namespace}.test_predictions")
    assert len(predictions) == len(roles["test"])
    assert set(map(tuple, predictions[keys].astype(str).values)) == set(
        map(tuple, roles["test"][keys].astype(str).values)
    )


def test_saved_model_round_trips_with_identical_predictions(
    trained_dev_catalog, tmp_path
):
    model = trained_dev_catalog.load("seller_risk.risk_model")
    rows = trained_dev_catalog.load("seller_risk.model_input").head(300)
    dataset = CatBoostModelDataset(  # a fixed save version: no clock tick between
        # the version Kedro saves under and the one it then checks (a warning when apart)
        filepath=str(tmp_path / "risk_model.cbm"),
        version=Version(None, "2026-01-01T00.00.00.000Z"),
    )
    dataset.save(model)
    loaded = CatBoostModelDataset(
        filepath=str(tmp_path / "risk_model.cbm"), version=Version(None, None)
    ).load()
    np.testing.assert_array_equal(model.predict_proba(rows), loaded.predict_proba(rows))
    assert loaded.thresholds == model.thresholds
    assert loaded.spec == json.loads(json.dumps(model.spec))
    assert list(tmp_path.rglob("*.pkl")) == []


def test_tampered_or_missing_model_file_is_refused(trained_dev_catalog, tmp_path):
    model = trained_dev_catalog.load("seller_risk.risk_model")
    path = tmp_path / "risk_model.cbm"
    CatBoostModelDataset(filepath=str(path)).save(model)
    with open(path, "ab") as handle:
        handle.write(b"\0")
    with pytest.raises(DatasetError, match="does not match its recorded checksum"):
        CatBoostModelDataset(filepath=str(path)).load()
    with pytest.raises(DatasetError, match="is missing"):
        CatBoostModelDataset(filepath=str(tmp_path / "absent.cbm")).load()


def test_reason_codes_rest_on_shap_values_that_sum_to_the_raw_score(
    trained_dev_catalog, dev_params
):
    model = trained_dev_catalog.load("seller_risk.risk_model")
    rows = trained_dev_catalog.load("seller_risk.model_input").sample(
        200, random_state=1
    )
    contributions = model.shap_values(rows)
    base = model.model.get_feature_importance(  # CatBoost's expected value
        data=model.pool(rows.head(1)), type="ShapValues"
    )[0, -1]
    np.testing.assert_allclose(
        contributions.sum(axis=1) + base, model.raw_score(rows), atol=1e-6
    )
    labels = dev_params["seller_risk"]["feature_labels"]
    reasons = reason_codes(model, rows, labels, top_k=4)
    assert len(reasons) == len(rows)
    first = reasons["reason_1_contribution"].to_numpy()
    assert np.all((first > 0) | np.isnan(first))
    # ordered by contribution, and each one is what the SHAP matrix says
    features = model.spec["features"]
    for i, (_, row) in enumerate(reasons.head(20).iterrows()):
        if row["reason_1_feature"] is not None:
            j = features.index(row["reason_1_feature"])
            assert row["reason_1_contribution"] == pytest.approx(contributions[i, j])
            assert row["reason_1_contribution"] == pytest.approx(contributions[i].max())
            assert (
                feature_label(row["reason_1_feature"], labels) in row["reason_1_text"]
            )
        if row["reason_2_feature"] is not None:
            assert row["reason_2_contribution"] <= row["reason_1_contribution"]


def test_reason_text_is_readable():
    labels = {"late_shipment_rate": "late shipments"}
    assert feature_label("late_shipment_rate", labels) == "late shipments"
    assert (
        feature_label("late_shipment_rate_delta_3m", labels)
        == "change in late shipments over 3 months"
    )
    assert (
        feature_label("orders_30d_logchange_1m", {})
        == "change in orders 30d over 1 month"
    )


def test_model_refuses_input_without_its_features(trained_dev_catalog):
    model = trained_dev_catalog.load("customer_churn.risk_model")
    rows = trained_dev_catalog.load("customer_churn.model_input").head(10)
    with pytest.raises(InvalidInputError, match="sessions_30d"):
        model.predict_proba(rows.drop(columns=["sessions_30d"]))
    with pytest.raises(InvalidInputError, match="'orders_90d'"):
        prepare_features(rows.assign(orders_90d="many"), model.spec)


def test_metrics_agree_with_scikit_learn_and_intervals_cover():
    rng = np.random.default_rng(0)
    y = (rng.random(5000) < 0.1).astype(int)
    score = np.clip(rng.normal(0.1 + 0.2 * y, 0.1), 0, 1).round(2)  # with ties
    result = evaluate_scores(y, score, threshold=0.25, n_bootstrap=100)
    assert result["pr_auc"]["value"] == pytest.approx(average_precision_score(y, score))
    assert result["roc_auc"]["value"] == pytest.approx(roc_auc_score(y, score))
    assert result["brier"]["value"] == pytest.approx(brier_score_loss(y, score))
    flagged = score >= 0.25
    precision = y[flagged].mean()
    recall = y[flagged].sum() / y.sum()
    assert result["f1"]["value"] == pytest.approx(
        2 * precision * recall / (precision + recall)
    )
    top = np.argsort(-score, kind="stable")[:500]
    assert result["precision_top_10pct"]["value"] == pytest.approx(
        y[top].mean(), abs=0.02
    )
    for entry in result.values():
        assert entry["ci_low"] <= entry["value"] <= entry["ci_high"]
    threshold = best_f1_threshold(y, score)
    f1 = lambda t: evaluate_scores(y, score, threshold=t, n_bootstrap=0)["f1"]["value"]  # noqa: E731
    assert f1(threshold) >= max(f1(t) for t in np.unique(score))


def test_augmented_copies_keep_their_label_and_lose_only_the_block(
    trained_dev_catalog, dev_params
):
    from risk_segments.modeling.fitting import augment_missing_block

    options = dev_params["customer_churn"]["supervised"]["augment_missing"]
    rows = trained_dev_catalog.load("customer_churn.model_input").head(2000)
    out = augment_missing_block(rows, {**options, "share": 0.25})
    copies = out.iloc[len(rows) :]
    assert 0.15 * len(rows) < len(copies) < 0.35 * len(rows)
    assert copies[options["features"]].isna().all().all()
    labels = rows.set_index("customer_id").loc[copies["customer_id"], "churned_60d"]
    np.testing.assert_array_equal(
        labels.to_numpy(dtype=float), copies["churned_60d"].to_numpy(dtype=float)
    )
    # the trained model has seen the block missing: scoring does not fill it in
    spec = trained_dev_catalog.load("customer_churn.risk_model").spec
    assert not set(options["features"]) & set(spec["never_missing"])
    with pytest.raises(ValueError, match="not in model_input"):
        augment_missing_block(rows, {**options, "features": ["no_such_column"]})


@pytest.mark.parametrize("positives", [8, 14])
def test_a_split_with_too_few_of_a_class_stops_with_the_counts(positives):
    """8 positives in 2,000 rows leave valid with 1 or 2 (the calibration's
    cross-fit then crashed inside scikit-learn); 14 still leave a part short."""
    import pandas as pd

    from risk_segments.modeling.splits import MIN_PER_CLASS, assign_roles

    rng = np.random.default_rng(0)
    label = np.zeros(2000, dtype=int)
    label[rng.choice(2000, positives, replace=False)] = 1
    table = pd.DataFrame(
        {"id": np.arange(2000), "date": pd.Timestamp("2024-01-31"), "y": label}
    )
    schema = {"id_column": "id", "date_column": "date", "label_column": "y"}
    split = {"strategy": "stratified", "test_size": 0.2, "valid_size": 0.2, "seed": 1}
    with pytest.raises(
        ValueError, match=rf"{positives} positive and .* at least {MIN_PER_CLASS}"
    ):
        assign_roles(table, schema, split)
    label[rng.choice(np.flatnonzero(label == 0), 40, replace=False)] = 1
    roles = assign_roles(table.assign(y=label), schema, split)  # 48+: enough
    assert len(roles) == 2000
