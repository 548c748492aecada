"""Segmentation preprocessing and the choice of k, on data whose answer is known."""

import numpy as np
import pandas as pd
import pytest

from risk_segments.modeling.segmentation import _impute, _pick_k, fit_segmentation


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


def test_each_row_gets_the_conditional_mean_of_its_own_missing_values():
    """Rows that each miss their own set of features (a wide table): every filled value
    is mean_m + S_mo S_oo^-1 (x_o - mean_o) of that row, as solved one row at a time;
    observed values are untouched; a row with nothing observed gets the mean."""
    rng = np.random.default_rng(3)
    d, n = 9, 400
    factor = rng.normal(size=(d, d))
    covariance = factor @ factor.T / d + 0.2 * np.eye(d)
    mean = rng.normal(size=d)
    X = rng.multivariate_normal(mean, covariance, n)
    X[rng.random((n, d)) < np.linspace(0.0, 0.6, d)] = np.nan
    X[5] = np.nan
    filled = _impute(X, np.zeros(d), mean, covariance, cells=50)  # many small stacks
    for i in range(n):
        gap = np.isnan(X[i])
        seen = ~gap
        expected = X[i].copy()
        if seen.any():
            weights = np.linalg.solve(
                covariance[np.ix_(seen, seen)], covariance[np.ix_(seen, gap)]
            )
            expected[gap] = mean[gap] + (X[i, seen] - mean[seen]) @ weights
        else:
            expected[gap] = mean[gap]
        np.testing.assert_allclose(filled[i], expected, rtol=1e-9, atol=1e-9)


def test_imputation_and_scaling_refuse_unknown_options():
    rows = _correlated(200)
    params = {
        "features": ["a", "b"],
        "log_features": [],
        "algorithm": "kmeans",
        "kmeans": {"k_rule": "stable_run"},
    }
    with pytest.raises(ValueError, match="segmentation.imputation"):
        fit_segmentation(rows, {**params, "imputation": "mean"})
    with pytest.raises(ValueError, match="segmentation.scaling"):
        fit_segmentation(rows, {**params, "scaling": "minmax"})
    for value in ("yes", 1.5, -0.1, True):
        with pytest.raises(ValueError, match="segmentation.within_whitening"):
            fit_segmentation(rows, {**params, "within_whitening": value})
    with pytest.raises(ValueError, match="segmentation.whitening_target"):
        fit_segmentation(
            rows, {**params, "within_whitening": 0.3, "whitening_target": "ledoit"}
        )
    with pytest.raises(ValueError, match="segmentation.kmeans.whitened_k_rule"):
        fit_segmentation(
            rows,
            {
                **params,
                "within_whitening": 0.3,
                "kmeans": {"k_rule": "stable_run", "whitened_k_rule": "elbow"},
            },
        )


def _groups_under_shared_noise(
    seed: int, n: int = 4000
) -> tuple[pd.DataFrame, np.ndarray]:
    """Four groups on two traits, each read by three features; one nuisance factor
    (unrelated to the groups) moves all six features together, so within a group the
    rows spread most along the direction every feature shares."""
    rng = np.random.default_rng(seed)
    group = rng.integers(0, 4, n)
    traits = np.array([[-1, -1], [-1, 1], [1, -1], [1, 1]])[group] * 1.5
    traits = traits + rng.normal(0, 0.5, (n, 2))
    nuisance = rng.normal(0, 1.0, n)
    columns = {
        f"{name}_{j}": traits[:, t] + nuisance + rng.normal(0, 0.3, n)
        for t, name in enumerate(("first", "second"))
        for j in range(3)
    }
    return pd.DataFrame(columns), group


def _kmeans_params(rows: pd.DataFrame, **kmeans) -> dict:
    """KMeans on every column as it is (no log, no PCA, no whitening), one quick
    stability resample, every k accepted; `kmeans`: k_min, k_max and the like."""
    return {
        "features": list(rows.columns),
        "log_features": [],
        "n_components": None,
        "algorithm": "kmeans",
        "kmeans": {
            "n_init": 4,
            "selection_sample": 4000,
            "stability_resamples": 1,
            "min_bootstrap_ari": 0.0,
            **kmeans,
        },
    }


@pytest.mark.parametrize("target", ["equal", "diagonal"])
def test_within_segment_whitening_finds_groups_that_shared_noise_blurs(target):
    from sklearn.metrics import adjusted_rand_score

    rows, group = _groups_under_shared_noise(seed=0)
    params = _kmeans_params(rows, k_min=4, k_max=4)
    _, plain = fit_segmentation(rows, params)
    model, whitened = fit_segmentation(
        rows, {**params, "within_whitening": 0.3, "whitening_target": target}
    )
    # Euclidean distance counts the shared nuisance six times: the groups blur
    assert adjusted_rand_score(group, plain) < 0.6
    assert adjusted_rand_score(group, whitened) > 0.68
    # the whitening is part of the saved map: new rows land as the fitted ones did
    fresh, fresh_group = _groups_under_shared_noise(seed=1)
    assert adjusted_rand_score(fresh_group, model.assign(fresh)[0]) > 0.68
    np.testing.assert_array_equal(model.assign(rows)[0], whitened)


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


def test_rows_without_reproducible_groups_are_not_whitened_and_say_so():
    """Whitening is read off the segments at the first k; where no k is reproducible
    (noise) it would be as arbitrary as they are: skipped, and k's choice says why."""
    from risk_segments.modeling.segmentation import NO_STABLE_K

    strict = {
        "log_features": [],
        "n_components": None,
        "algorithm": "kmeans",
        "within_whitening": 0.3,
        "kmeans": {
            "k_min": 3,
            "k_max": 5,
            "n_init": 2,
            "selection_sample": 3000,
            "stability_resamples": 3,
            "min_bootstrap_ari": 0.9,
            "min_segment_jaccard": 0.75,
        },
    }
    noise = pd.DataFrame(
        np.random.default_rng(0).normal(size=(3000, 4)), columns=list("abcd")
    )
    model, _ = fit_segmentation(noise, {**strict, "features": list("abcd")})
    assert model.info["within_whitening"].startswith("skipped")
    assert model.info["chosen_by"] == NO_STABLE_K
    rows, _ = _groups_under_shared_noise(seed=0)
    grouped, _ = fit_segmentation(rows, {**strict, "features": list(rows.columns)})
    assert grouped.info["within_whitening"] == {"shrinkage": 0.3, "target": "equal"}
    assert grouped.info["chosen_by"] != NO_STABLE_K


def test_the_resampling_check_refits_the_procedure_that_was_fitted():
    """A whitened model reads its whitening off the segments at its first k and then
    picks its own k: the check's refits must do the same (forcing the final k on the
    first pass too measured another procedure, which can be unstable where the fitted
    one is not)."""
    from sklearn.metrics import adjusted_rand_score

    from risk_segments.pipelines.segmentation.stability import refit

    rows, _ = _groups_under_shared_noise(seed=0)
    params = {
        **_kmeans_params(rows, k_min=3, k_max=3, whitened_k=4),
        "within_whitening": 0.3,  # whitened by the 3 first segments, then 4
    }
    model, labels = fit_segmentation(rows, params)
    assert model.n_segments == 4 and model.info["first_k"] == 3
    settings = {**params, "kmeans": {**params["kmeans"], "k_min": 2, "k_max": 6}}
    again = refit(rows, settings, model, seed=7)
    assert again.n_segments == 4 and again.info["first_k"] == 3
    assert adjusted_rand_score(labels, again.assign(rows)[0]) > 0.95
