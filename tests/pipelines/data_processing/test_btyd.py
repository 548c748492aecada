"""The buy-till-you-die peers at a cutoff: no look-ahead, sensible outputs, small logs."""

import numpy as np
import pandas as pd
import pytest

from risk_segments.modeling.btyd import BTYD_COLUMNS, btyd_features, rfm_summary

CUTOFF = pd.Timestamp("2020-06-30")


def _orders(seed: int = 0, customers: int = 300) -> pd.DataFrame:
    """Customers buying at their own rate from their own first day, some stopping."""
    rng = np.random.default_rng(seed)
    rows = []
    for c in range(customers):
        start = pd.Timestamp("2020-01-01") + pd.Timedelta(days=int(rng.integers(0, 60)))
        rate = rng.gamma(0.8, 1 / 25)  # purchases per day
        life = rng.exponential(200)
        t = 0.0
        while t < min(life, 330):
            rows.append(
                (f"c{c}", start + pd.Timedelta(days=t), float(rng.gamma(3, 10)))
            )
            t += rng.exponential(1 / rate)
    return pd.DataFrame(rows, columns=["customer_id", "order_time", "amount"])


@pytest.fixture(scope="module")
def orders():
    return _orders()


@pytest.fixture(scope="module")
def features(orders):
    return btyd_features(orders, CUTOFF, 90)


def test_the_summary_counts_repeat_purchase_days():
    orders = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "b"],
            "order_time": pd.to_datetime(
                [
                    "2020-01-01 09:00",
                    "2020-01-01 18:00",
                    "2020-01-11 00:00",
                    "2020-06-30 00:00",
                ]
            ),
            "amount": [5.0, 5.0, 20.0, 7.0],
        }
    )
    summary = rfm_summary(orders, CUTOFF)
    # a: two purchase days (the first one twice), one repeat day 10 days later
    assert summary.loc["a", ["frequency", "recency", "T"]].tolist() == [1, 10, 181]
    assert summary.loc["a", "monetary_value"] == 20.0
    assert summary.loc["b", ["frequency", "recency", "T"]].tolist() == [0, 0, 0]


def test_btyd_outputs_rank_the_buyers_of_the_horizon(orders, features):
    assert list(features.columns) == list(BTYD_COLUMNS)
    assert (
        features.index.is_unique
        and len(features)
        == orders.loc[
            orders["order_time"] < CUTOFF + pd.Timedelta(days=1), "customer_id"
        ].nunique()
    )
    probabilities = features[["bgnbd_p_buy", "pnbd_p_buy", "pnbd_p_alive"]]
    assert ((probabilities >= 0) & (probabilities <= 1)).all().all()
    future = orders.loc[
        (orders["order_time"] > CUTOFF + pd.Timedelta(days=1))
        & (orders["order_time"] < CUTOFF + pd.Timedelta(days=91))
    ]
    bought = features.index.isin(future["customer_id"])
    from sklearn.metrics import roc_auc_score

    # the simulated customers buy at steady rates: the peers must rank them well
    assert roc_auc_score(bought, features["pnbd_p_buy"]) > 0.75
    assert roc_auc_score(bought, features["bgnbd_expected_purchases"]) > 0.75


def test_btyd_features_do_not_look_past_the_cutoff(orders, features):
    later = orders["order_time"] >= CUTOFF + pd.Timedelta(days=1)
    changed = orders.copy()
    changed.loc[later, "amount"] *= 10
    changed = changed.loc[~later | (changed.index % 2 == 0)]  # half the future gone
    pd.testing.assert_frame_equal(features, btyd_features(changed, CUTOFF, 90))


def test_a_fit_that_fails_names_the_model_the_cutoff_and_the_way_out(monkeypatch):
    from pymc_marketing import clv

    def broken(self, *args, **kwargs):
        raise ValueError("Initial evaluation of model at starting point failed")

    monkeypatch.setattr(clv.ParetoNBDModel, "fit", broken)
    with pytest.raises(
        RuntimeError, match=r"ParetoNBDModel .* 2020-06-30 .*btyd: false"
    ):
        btyd_features(_orders(customers=40), CUTOFF, 90)


def test_one_switch_turns_the_peers_off(orders):
    from risk_segments.modeling.features import validate_raw_table
    from risk_segments.pipelines.data_processing.customer_view import (
        build_customer_view,
    )
    from risk_segments.use_cases import with_defaults
    from tests.helpers import load_config

    block = load_config("base")["parameters"]["repeat_purchase"]
    off = {**block, "customer_view": {**block["customer_view"], "btyd": False}}
    params = with_defaults({"repeat_purchase": off}, {})["repeat_purchase"]
    schema = params["schema"]
    assert "recency_days" in schema["numeric"]
    assert not set(BTYD_COLUMNS) & set(schema["numeric"])
    assert "btyd" not in schema["feature_groups"]
    assert params["supervised"]["score_baselines"] == {}
    options = {**params["customer_view"], "first_cutoff": "2020-03-31", "as_of": None}
    view, _ = build_customer_view(
        orders.assign(order_id=[f"o{i}" for i in range(len(orders))], items=1.0),
        options,
        schema,
    )
    assert not set(BTYD_COLUMNS) & set(view.columns)
    validate_raw_table(view, schema)  # the schema no longer asks for them
