"""Segmentation preprocessing and the choice of k, on data whose answer is known."""

import numpy as np
import pandas as pd
import pytest

from risk_segments.modeling.segmentation import _pick_k, fit_segmentation


def _correlated(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    a = rng.normal(0, 1, n)
    return pd.DataFrame({"a": a, "b": 2.0 * a + rng.normal(0, 0.3, n)})


def test_conditional_imputation_uses_the_observed_features():
    rows = _correlated(4000)
    rows.loc[rows.index[:800], "b"] = np.nan  # 20% of 'b' missing
    params = {
        "features": ["a", "b"],
        "log_features": [],
        "n_components": None,
        "algorithm": "kmeans",
        "kmeans": {
            "k_min": 2,
            "k_max": 2,
            "n_init": 1,
            "selection_sample": 2000,
            "stability_resamples": 1,
            "min_bootstrap_ari": 0.0,
        },
    }
    model, _ = fit_segmentation(rows, params)
    probe = pd.DataFrame({"a": [-1.5, 0.0, 1.5], "b": [np.nan] * 3})
    scaled = model.transform(probe)
    b = scaled[:, 1] * model.scales[1] + model.centers[1]  # back to the feature's units
    # b = 2a + noise: its expected value given a is about 2a, not the median of b
    np.testing.assert_allclose(b, [-3.0, 0.0, 3.0], atol=0.15)
    median, _ = fit_segmentation(rows, {**params, "imputation": "median"})
    b_median = median.transform(probe)[:, 1] * median.scales[1] + median.centers[1]
    assert np.ptp(b_median) == pytest.approx(0.0)


def test_imputation_and_scaling_refuse_unknown_options():
    rows = _correlated(200)
    params = {"features": ["a", "b"], "log_features": [], "algorithm": "kmeans"}
    with pytest.raises(ValueError, match="segmentation.imputation"):
        fit_segmentation(rows, {**params, "imputation": "mean"})
    with pytest.raises(ValueError, match="segmentation.scaling"):
        fit_segmentation(rows, {**params, "scaling": "minmax"})


def _table(aris, silhouettes):
    return [
        {"k": k, "bootstrap_ari": a, "silhouette": s}
        for k, a, s in zip(range(3, 3 + len(aris)), aris, silhouettes, strict=True)
    ]


def test_the_k_rules_on_a_table_of_stability():
    # k=3 unstable, 4-6 stable, 7 not, 8 stable again (a chance agreement)
    table = _table(
        [0.3, 0.98, 0.97, 0.95, 0.85, 0.93], [0.15, 0.16, 0.17, 0.14, 0.13, 0.12]
    )
    options = {"min_bootstrap_ari": 0.9}
    assert _pick_k(table, options) == 6  # stable_run, the default
    assert _pick_k(table, {**options, "k_rule": "largest_stable"}) == 8
    # a segment that is not found again makes its k unstable: k=5 breaks the run
    jaccard = [{**r, "min_segment_jaccard": 0.6 if r["k"] == 5 else 0.9} for r in table]
    assert _pick_k(jaccard, {**options, "min_segment_jaccard": 0.75}) == 4
    assert _pick_k(table, {**options, "k_rule": "silhouette_stability"}) == 5
    # nothing stable: the most stable k
    assert _pick_k(_table([0.5, 0.7, 0.6], [0.1, 0.1, 0.1]), options) == 4
    with pytest.raises(ValueError, match="k_rule"):
        _pick_k(table, {**options, "k_rule": "elbow"})
