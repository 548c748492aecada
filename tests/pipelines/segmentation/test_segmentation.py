"""segmentation on dev data: labels never used, determinism, assignment, round trip, profiles."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from kedro.io import DatasetError, Version

from risk_segments.datasets import SegmentationModelDataset
from risk_segments.modeling.segmentation import fit_segmentation
from risk_segments.pipelines.segmentation.nodes import (
    _segment_names,
    assign_segments,
    check_segment_stability,
    fit_segmentation_model,
    profile_segments,
)
from tests.helpers import TABULAR_NAMESPACES


@pytest.fixture(scope="module")
def seller_rows(_trained_dev_catalog):
    return _trained_dev_catalog.load("seller_risk.model_input")


@pytest.fixture(scope="module")
def seller_params(_dev_params):
    return _dev_params["seller_risk"]


def _fit(rows, params, **overrides):
    segmentation = {**params["segmentation"], **overrides}
    return fit_segmentation_model(
        rows, params["schema"], segmentation, params["feature_labels"]
    )


def _reloaded(model, folder):
    """The model saved with SegmentationModelDataset, then loaded back."""
    path = str(folder / "segmentation.npz")
    # a fixed save version: no clock tick between the version Kedro saves under and the
    # one it then checks (a UserWarning when they fall 1 ms apart)
    saved = Version(None, "2026-01-01T00.00.00.000Z")
    SegmentationModelDataset(filepath=path, version=saved).save(model)
    return SegmentationModelDataset(filepath=path, version=Version(None, None)).load()


def _same_model(a, b):
    for name in (
        "medians",
        "centers",
        "scales",
        "impute_mean",
        "impute_covariance",
        "pca_components",
        "centroids",
        "prototypes",
    ):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert a.segment_names == b.segment_names


def test_label_is_never_used(seller_rows, seller_params):
    label = seller_params["schema"]["label_column"]
    reference = _fit(seller_rows, seller_params)
    shuffled = seller_rows.assign(
        **{label: seller_rows[label].sample(frac=1.0, random_state=3).to_numpy()}
    )
    erased = seller_rows.assign(
        **{label: pd.array([pd.NA] * len(seller_rows), dtype="Int8")}
    )
    for variant in (shuffled, erased):
        _same_model(reference, _fit(variant, seller_params))
        pd.testing.assert_frame_equal(
            assign_segments(seller_rows, reference, seller_params["schema"]),
            assign_segments(variant, reference, seller_params["schema"]),
        )
    assert label not in reference.features


def test_fit_is_deterministic_for_a_seed(seller_rows, seller_params):
    _same_model(_fit(seller_rows, seller_params), _fit(seller_rows, seller_params))
    other = _fit(seller_rows, seller_params, seed=7)
    assert not np.array_equal(
        other.medians, _fit(seller_rows, seller_params).medians
    ) or not np.array_equal(other.centroids, _fit(seller_rows, seller_params).centroids)


@pytest.mark.parametrize("algorithm", ["kmeans", "gmm", "hdbscan"])
def test_assigning_the_training_rows_reproduces_the_fitted_labels(
    seller_rows, seller_params, algorithm
):
    params = {**seller_params["segmentation"], "algorithm": algorithm}
    if algorithm == "hdbscan":  # density clustering wants a few dimensions
        params["n_components"] = 8  # and clusters small enough for 2,500 rows
        params["hdbscan"] = {**params["hdbscan"], "min_cluster_size": 50}
    sample = seller_rows.drop(columns=[seller_params["schema"]["label_column"]]).sample(
        2500, random_state=0
    )
    model, labels = fit_segmentation(sample, params)
    segments, atypical = model.assign(sample)
    np.testing.assert_array_equal(segments, labels)
    assert model.n_segments >= 2
    if algorithm == "hdbscan":
        # HDBSCAN's noise points keep their nearest segment and are flagged atypical
        noise = model.prototype_segments < 0
        assert atypical[noise].all()


def test_segmentation_round_trips_without_pickle(
    trained_dev_catalog, seller_rows, seller_params, tmp_path
):
    model = _fit(seller_rows, seller_params)
    loaded = _reloaded(model, tmp_path)
    _same_model(model, loaded)
    np.testing.assert_array_equal(
        model.assign(seller_rows)[0], loaded.assign(seller_rows)[0]
    )
    saved = next(p for p in tmp_path.rglob("segmentation.npz") if p.is_file())
    saved.write_bytes(saved.read_bytes() + b"\0")
    with pytest.raises(DatasetError, match="checksum"):
        SegmentationModelDataset(
            filepath=str(tmp_path / "segmentation.npz"), version=Version(None, None)
        ).load()


@pytest.mark.parametrize("namespace", TABULAR_NAMESPACES)
def test_profiles_and_stability_on_dev_data(trained_dev_catalog, dev_params, namespace):
    params = dev_params[namespace]
    rows = trained_dev_catalog.load(f"{namespace}.model_input")
    model = fit_segmentation_model(
        rows, params["schema"], params["segmentation"], params["feature_labels"]
    )
    assignments = assign_segments(rows, model, params["schema"])
    assert len(assignments) == len(rows)
    assert assignments["segment_name"].notna().all()
    profiles, figure = profile_segments(
        rows,
        assignments,
        model,
        params["schema"],
        params["segmentation"],
        params["feature_labels"],
    )
    assert len(profiles) == model.n_segments
    assert profiles["share"].sum() == pytest.approx(1.0)
    assert profiles["suggested_action"].str.len().gt(0).all()
    assert profiles["segment_name"].is_unique
    figure.savefig(__import__("io").BytesIO())
    truth = trained_dev_catalog.load(f"{namespace}.truth")
    stability = check_segment_stability(
        rows, model, assignments, truth, params["schema"], params["segmentation"]
    )
    assert 0 <= stability["resampling"]["ari_mean"] <= 1
    assert len(stability["resampling"]["jaccard_per_segment"]) == model.n_segments
    recovery = stability["truth_recovery"]
    assert recovery["truth_coverage"] == pytest.approx(1.0)
    # the ceiling: a supervised model of the archetype does better than chance, and the
    # share found is the segments' ARI on the same held-out rows over it
    assert 0.2 < recovery["ceiling_ari"] <= 1 and recovery["ceiling_accuracy"] > 1 / 6
    assert recovery["share_of_recoverable_found"] == pytest.approx(
        recovery["segments_ari_on_ceiling_rows"] / recovery["ceiling_ari"]
    )
    if namespace == "seller_risk":
        mom = stability["month_over_month"]
        assert 0 < mom["share_keeping_segment"] <= 1
        assert 0.8 < mom["true_archetype_persistence"] < 1.0


def test_category_levels_enter_as_zero_one_columns():
    from risk_segments.modeling.segmentation import (
        category_levels,
        with_category_indicators,
    )

    frame = pd.DataFrame(
        {
            "plan": ["a"] * 50 + ["b"] * 30 + ["c"] * 19 + ["rare"],
            "paperless": ["yes"] * 70 + ["no"] * 30,
        }
    )
    levels = category_levels(frame, ["plan", "paperless"])
    # 'rare' holds 1% of rows: kept; a yes/no column enters by its rarer value only
    assert levels == {"plan": ["a", "b", "c", "rare"], "paperless": ["no"]}
    new = pd.DataFrame(
        {"plan": ["b", None, "unseen"], "paperless": ["no", "yes", None]}
    )
    made = with_category_indicators(new, levels)
    assert made["plan = b"].tolist() == [1.0, 0.0, 0.0]
    assert made[["plan = a", "plan = c", "plan = rare"]].to_numpy().sum() == 0
    assert made["paperless = no"].tolist() == [1.0, 0.0, 0.0]
    with pytest.raises(ValueError, match="'tier' is not a column"):
        category_levels(frame, ["tier"])


def test_a_table_of_categoricals_only_is_segmented_profiled_and_reloaded(
    trained_dev_catalog, dev_params, tmp_path
):
    """No numeric feature at all (the segmentation crashed inside scikit-learn's PCA):
    the categorical columns enter as 0/1 columns per level, named 'column = level'."""
    params = dev_params["customer_churn"]
    schema = params["schema"]
    categories = list(schema["categorical"])
    keys = [schema["id_column"], schema["date_column"], schema["label_column"]]
    rows = trained_dev_catalog.load("customer_churn.model_input")[[*keys, *categories]]
    segmentation = {
        **params["segmentation"],
        "features": None,
        "log_features": None,
        "n_components": None,
        "profile": {**params["segmentation"]["profile"], "key_features": None},
    }
    with pytest.raises(ValueError, match="no feature to segment on"):
        fit_segmentation_model(rows, schema, segmentation, params["feature_labels"])
    segmentation["category_features"] = categories
    model = fit_segmentation_model(rows, schema, segmentation, params["feature_labels"])
    assert set(model.category_levels) == set(categories)
    assert model.features and all(" = " in f for f in model.features)
    assert model.input_columns == categories
    assignments = assign_segments(rows, model, schema)
    assert len(assignments) == len(rows) and model.n_segments >= 3
    profiles, _ = profile_segments(
        rows, assignments, model, schema, segmentation, params["feature_labels"]
    )
    assert profiles["distinguishing"].str.contains(" = ").all()
    loaded = _reloaded(model, tmp_path)
    assert loaded.category_levels == model.category_levels
    np.testing.assert_array_equal(model.assign(rows)[0], loaded.assign(rows)[0])


def test_segments_that_say_the_same_things_are_named_apart():
    """Two segments low on tenure and charges, the strongest first in each, were named
    'Low tenure, low charges' and 'Low charges, low tenure': one name to a reader.
    They take their next descriptor; a number is the last resort."""
    differences = pd.DataFrame(
        {
            "tenure": [-1.0, -0.9, 1.2, 1.2, 0.0],
            "charges": [-0.8, -1.0, 0.1, 0.1, 0.1],
            "total": [0.5, -0.6, 0.0, 0.0, 0.2],
        }
    )
    names = _segment_names(differences, {}, set())
    assert names == {
        0: "Low tenure, low charges, high total",
        1: "Low charges, low tenure, low total",
        2: "High tenure",
        3: "High tenure (2)",
        4: "Typical profile",
    }
