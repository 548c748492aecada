"""propensity: the ranked customer list, spend evaluation beside baselines, and the saved spend model."""

from __future__ import annotations

import numpy as np
import pytest

from risk_segments.datasets import CatBoostModelDataset, FigureDataset
from risk_segments.pipelines import propensity
from tests.helpers import copy_catalog, run_in_memory, run_score

NS = "repeat_purchase"


@pytest.fixture(scope="module")
def ranked(_trained_dev_catalog):
    return run_in_memory(
        propensity.create_pipeline(), copy_catalog(_trained_dev_catalog)
    )


def test_every_customer_at_the_newest_cutoff_is_ranked_once(ranked):
    model_input = ranked.load(f"{NS}.model_input")
    newest = model_input.loc[
        model_input["snapshot_date"] == model_input["snapshot_date"].max()
    ]
    assert newest["bought_again_90d"].isna().all()  # the horizon is still open
    scores = ranked.load(f"{NS}.user_propensity_scores")
    assert len(scores) == len(newest)
    assert set(scores["customer_id"]) == set(newest["customer_id"])
    assert scores["probability"].is_monotonic_decreasing
    np.testing.assert_allclose(
        scores["expected_spend"],
        scores["probability"] * scores["predicted_spend_if_buy"],
    )
    shares = scores["decile"].value_counts(normalize=True).sort_index()
    assert shares.index.tolist() == list(range(1, 11))
    assert np.allclose(shares, 0.1, atol=0.01)
    assert scores.groupby("decile")["probability"].min().is_monotonic_decreasing
    assert scores["segment_name"].notna().all()


def test_propensity_is_evaluated_on_the_test_cutoff_beside_baselines(ranked):
    metrics = ranked.load(f"{NS}.propensity_metrics")
    test = ranked.load(f"{NS}.test_predictions")
    assert metrics["test_rows"] == len(test)
    assert metrics["test_buyers"] == int(test["label"].sum())
    for name in ("model", "rfm_score"):
        assert 0.5 < metrics["ranking"][name]["roc_auc"]["value"] <= 1.0
    # the spend figures, recomputed from the test rows, the spend target and the model
    keys = ["customer_id", "snapshot_date"]
    rows = test.merge(ranked.load(f"{NS}.model_input"), on=keys).merge(
        ranked.load(f"{NS}.spend_target"), on=keys
    )
    actual = rows["spend_next_90d"].to_numpy()
    expected = rows["risk_score"].to_numpy() * ranked.load(
        f"{NS}.spend_model"
    ).predict_spend(rows)
    spend = metrics["expected_spend"]
    assert spend["total_actual"] == pytest.approx(actual.sum()) and actual.sum() > 0
    assert spend["mae_zero"] == pytest.approx(np.abs(actual).mean())
    assert spend["mae_model"] == pytest.approx(np.abs(actual - expected).mean())
    assert spend["total_predicted"] == pytest.approx(expected.sum())


def test_the_spend_model_round_trips_with_identical_predictions(ranked, tmp_path):
    model = ranked.load(f"{NS}.spend_model")
    rows = ranked.load(f"{NS}.model_input").head(500)
    dataset = CatBoostModelDataset(filepath=str(tmp_path / "spend.cbm"))
    dataset.save(model)
    np.testing.assert_array_equal(
        dataset.load().predict_spend(rows), model.predict_spend(rows)
    )
    assert (model.predict_spend(rows) >= 0).all()


def test_model_plots_is_a_png(ranked, tmp_path):
    dataset = FigureDataset(filepath=str(tmp_path / "model_plots.png"))
    dataset.save(ranked.load(f"{NS}.model_plots"))
    assert dataset.load()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_score_pipeline_scores_the_open_horizon_customers(ranked, dev_params):
    model_input = ranked.load(f"{NS}.model_input")
    scores, _, _ = run_score(ranked, dev_params, NS, model_input, chunk_size=1500)
    ranked_list = ranked.load(f"{NS}.user_propensity_scores").set_index("customer_id")
    assert len(scores) == len(ranked_list)
    np.testing.assert_allclose(
        scores.set_index("customer_id")["risk_score"].loc[ranked_list.index],
        ranked_list["probability"],
    )
