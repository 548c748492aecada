"""The synthetic sources: sizes, prevalence, missingness, groups, determinism, truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from kedro.io import DatasetError

from risk_segments.datasets import SyntheticDataset
from risk_segments.synthetic import (
    CustomerBaseConfig,
    SellerPanelConfig,
    customer_base,
    generate_customer_base,
    generate_seller_panel,
    seller_panel,
)

TRUTH_COLUMNS = {"true_probability", "true_archetype", "unlabeled_reason"}


@pytest.fixture(scope="module")
def sellers():
    return generate_seller_panel(SellerPanelConfig())  # full default size, ~1 s


@pytest.fixture(scope="module")
def customers():
    return generate_customer_base(CustomerBaseConfig())


def test_seller_panel_shape_and_groups(sellers, dev_params):
    raw, truth = sellers
    schema = dev_params["seller_risk"]["schema"]
    groups = schema["feature_groups"]
    assert {k: len(v) for k, v in groups.items()} == {
        "seller_profile": 6,
        "operational": 10,
        "customer_experience": 8,
        "commercial": 7,
        "support_compliance": 5,
    }
    features = [f for g in groups.values() for f in g]
    assert len(set(features)) == 36
    assert set(features) == set(schema["categorical"]) | set(schema["numeric"])
    assert set(features) <= set(raw.columns)
    assert 220_000 <= len(raw) <= 260_000
    assert raw["snapshot_date"].nunique() == 18
    assert len(truth) == len(raw)
    # sellers enter and leave over the 18 months
    first, last = raw.groupby("seller_id")["snapshot_date"].agg(["min", "max"]).T.values
    assert (first > raw["snapshot_date"].min()).mean() > 0.03
    assert (last < raw["snapshot_date"].max()).mean() > 0.05


def test_seller_panel_label_and_missingness(sellers):
    raw, _ = sellers
    months = np.sort(raw["snapshot_date"].unique())
    unlabeled = raw["snapshot_date"].isin(months[-2:])
    assert raw.loc[unlabeled, "high_risk_60d"].isna().all()
    assert raw.loc[~unlabeled, "high_risk_60d"].notna().all()
    prevalence = raw.loc[~unlabeled, "high_risk_60d"].astype(float).mean()
    assert prevalence == pytest.approx(0.074, abs=0.004)
    for field in seller_panel.AD_FIELDS:
        assert raw[field].isna().mean() == pytest.approx(0.12, abs=0.01)
    for field in seller_panel.CONTACT_FIELDS:
        assert raw[field].isna().mean() == pytest.approx(0.06, abs=0.01)
    new = raw["tenure_days"] < seller_panel.NEW_SELLER_DAYS
    assert (
        raw.loc[new, "ad_spend_30d"].isna().mean()
        > 2 * raw.loc[~new, "ad_spend_30d"].isna().mean()
    )


def test_seller_panel_realistic_ranges(sellers, dev_params):
    raw, _ = sellers
    for name, (low, high) in dev_params["seller_risk"]["schema"]["numeric"].items():
        values = raw[name].dropna()
        assert np.isfinite(values).all(), name
        if low is not None:
            assert values.min() >= low, name
        if high is not None:
            assert values.max() <= high, name
    assert raw["gmv_30d"].quantile(0.99) > 10 * raw["gmv_30d"].median()  # heavy tail


def test_customer_base_shape_label_missingness(customers, dev_params):
    raw, truth = customers
    groups = dev_params["customer_churn"]["schema"]["feature_groups"]
    assert {k: len(v) for k, v in groups.items()} == {
        "behavioural": 12,
        "transactional": 9,
        "profile": 6,
        "engagement": 5,
    }
    assert len(raw) == 240_000
    labeled = raw["churned_60d"].notna()
    assert labeled.sum() == 180_000
    assert raw.loc[labeled, "churned_60d"].astype(float).mean() == pytest.approx(
        0.18, abs=0.005
    )
    for field in customer_base.ENGAGEMENT_FIELDS:
        assert raw[field].isna().mean() == pytest.approx(0.08, abs=0.01)
    for field in customer_base.PROFILE_FIELDS:
        assert raw[field].isna().mean() == pytest.approx(0.03, abs=0.005)
    # unlabeled rows differ in distribution: recent or badly tracked
    assert (
        raw.loc[~labeled, "tenure_days"].median()
        < raw.loc[labeled, "tenure_days"].median() / 3
    )
    assert raw.loc[~labeled, "sessions_30d"].isna().mean() > 0.2
    assert set(truth.loc[~labeled.to_numpy(), "unlabeled_reason"]) == {
        "recent_acquisition",
        "tracking_gap",
    }


@pytest.mark.parametrize(
    ("generate", "config_cls", "kwargs"),
    [
        (generate_seller_panel, SellerPanelConfig, {"n_rows": 3000}),
        (
            generate_customer_base,
            CustomerBaseConfig,
            {"n_customers": 3000, "n_unlabeled": 500},
        ),
    ],
)
def test_generators_are_deterministic_for_a_seed(generate, config_cls, kwargs):
    a_raw, a_truth = generate(config_cls(seed=3, **kwargs))
    b_raw, b_truth = generate(config_cls(seed=3, **kwargs))
    c_raw, _ = generate(config_cls(seed=4, **kwargs))
    pd.testing.assert_frame_equal(a_raw, b_raw)
    pd.testing.assert_frame_equal(a_truth, b_truth)
    assert not a_raw.equals(c_raw)


def test_truth_is_separate_from_features(sellers, customers):
    for raw, truth in (sellers, customers):
        assert not TRUTH_COLUMNS & set(raw.columns)
        assert TRUTH_COLUMNS & set(truth.columns) >= {
            "true_probability",
            "true_archetype",
        }
        assert truth["true_probability"].between(0, 1).all()


def test_synthetic_dataset_loads_features_and_truth_consistently():
    config = {"n_rows": 2000, "seed": 5}
    features = SyntheticDataset(
        generator="seller_panel", part="features", config=config
    ).load()
    truth = SyntheticDataset(
        generator="seller_panel", part="truth", config=config
    ).load()
    assert (features["seller_id"].to_numpy() == truth["seller_id"].to_numpy()).all()
    with pytest.raises(DatasetError, match="Unknown seller_panel config keys"):
        SyntheticDataset(
            generator="seller_panel", part="features", config={"n_rowz": 10}
        )
    with pytest.raises(DatasetError, match="read-only"):
        SyntheticDataset(generator="seller_panel").save(features)
