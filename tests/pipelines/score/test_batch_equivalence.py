"""The batch's shortcuts give what the direct computations give: scores and reasons
from one shared pool are CatBoost's, history features for the newest snapshot alone
are those of the whole table, and drift counted on the rows equals drift counted on
the model matrix."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from risk_segments.modeling.features import (
    model_input_from_validated,
    validate_raw_table,
)
from risk_segments.modeling.monitoring import DriftCounter, numeric_counts
from risk_segments.modeling.risk_model import prepare_features
from risk_segments.modeling.scoring import score_frame
from tests.helpers import TABULAR_NAMESPACES, catboost_shap, text_pool


def _catboost_top_reasons(model, rows, top_k):
    """The top features pushing up, straight from CatBoost's ShapValues."""
    shap = catboost_shap(model, rows)
    order = np.argsort(-shap, axis=1, kind="stable")[:, :top_k]
    names = np.asarray(model.spec["features"], dtype=object)[order]
    pushes = np.take_along_axis(shap, order, axis=1) > 0
    return np.where(pushes, names, None), np.where(
        pushes, np.take_along_axis(shap, order, axis=1), np.nan
    )


@pytest.mark.parametrize("namespace", TABULAR_NAMESPACES)
def test_batch_scores_and_reasons_are_catboosts(
    trained_dev_catalog, dev_params, namespace
):
    params = dev_params[namespace]
    model = trained_dev_catalog.load(f"{namespace}.risk_model")
    segmentation = trained_dev_catalog.load(f"{namespace}.segmentation_model")
    rows = trained_dev_catalog.load(f"{namespace}.model_input").sample(
        3000, random_state=2
    )
    rows = rows.reset_index(drop=True)
    scored = score_frame(
        rows,
        model,
        segmentation,
        params["feature_labels"],
        id_column=params["schema"]["id_column"],
        date_column=params["schema"]["date_column"],
        reasons_for="review",
        top_k=4,
    )
    direct = model.model.predict_proba(text_pool(model, rows))[:, 1]
    if model.calibration.get("method") == "none":
        np.testing.assert_allclose(scored["risk_score"], direct, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(scored["risk_score"], model.predict_proba(rows))
    review = np.flatnonzero(scored["risk_score"] >= model.thresholds["review_share"])
    assert 0 < len(review) < len(rows)
    names, contributions = _catboost_top_reasons(model, rows.iloc[review], 4)
    for i in range(4):
        got = scored[f"reason_{i + 1}_feature"].to_numpy(dtype=object)[review]
        same = np.array(
            [
                a == b or (a is None and pd.isna(b))
                for a, b in zip(names[:, i], got, strict=True)
            ]
        )
        assert same.mean() >= 0.98, (i, same.mean())
        np.testing.assert_allclose(
            scored[f"reason_{i + 1}_contribution"].to_numpy()[review],
            contributions[:, i],
            atol=1e-9,
        )
    outside = np.setdiff1d(np.arange(len(rows)), review)
    assert scored["reason_1_text"].iloc[outside].isna().all()


@pytest.mark.parametrize("namespace", TABULAR_NAMESPACES)
def test_pools_of_categoricals_score_as_the_text_training_saw(
    trained_dev_catalog, namespace
):
    """Scoring's pools carry categoricals as pandas Categoricals; CatBoost must read
    them as the per-row text it was trained on: missing values, unseen levels, numbers
    and blanks included."""
    model = trained_dev_catalog.load(f"{namespace}.risk_model")
    rows = trained_dev_catalog.load(f"{namespace}.model_input").sample(
        2000, random_state=3
    )
    rows = rows.reset_index(drop=True)
    importance = dict(
        zip(model.spec["features"], model.model.get_feature_importance(), strict=True)
    )
    first, second = sorted(model.spec["categorical"], key=lambda c: -importance[c])[:2]
    rows[first] = rows[first].astype(object)
    rows.loc[:199, first] = None
    rows.loc[200:399, first] = "a level never seen"
    rows.loc[400:599, first] = 7  # a number where text is expected: read as "7"
    rows.loc[600:649, first] = 7.0
    rows.loc[650:699, first] = "7"
    rows.loc[700:749, first] = "__missing__"  # the missing level's own name
    rows[second] = np.nan
    text, categories = text_pool(model, rows), model.pool(rows)
    np.testing.assert_array_equal(
        model.model.predict(categories, prediction_type="RawFormulaVal"),
        model.model.predict(text, prediction_type="RawFormulaVal"),
    )
    before = trained_dev_catalog.load(f"{namespace}.model_input").sample(
        2000, random_state=3
    )
    assert not np.allclose(  # the odd levels did reach the model
        model.raw_score(rows.iloc[:750]), model.raw_score(before.iloc[:750])
    )
    # leaves no training row reached come from the tree's structure: CatBoost's
    # values to rounding (1e-16), not bit for bit
    np.testing.assert_allclose(
        model.shap_values(rows), catboost_shap(model, rows), rtol=0, atol=1e-12
    )


TEXT = ["a", "b", None, "a", "", "__missing__", np.nan]


@pytest.mark.parametrize(
    ("values", "dtype"),
    [
        (TEXT, object),
        (TEXT, "str"),
        ([7, 7.0, "7", True, 1, None, np.nan, "b"], object),
        ([1.0, 2.5, np.nan, 1.0], float),
        ([None, None], object),
        ([None, None], "str"),
        ([], object),
    ],
)
def test_categories_carry_the_text_of_every_row(values, dtype):
    """Scoring's Categoricals hold, row for row, the text training's pools hold."""
    table = pd.DataFrame({"c": pd.Series(values, dtype=dtype), "x": 0.0})
    spec = {"categorical": ["c"], "numeric": ["x"], "features": ["c", "x"]}
    expected = prepare_features(table, spec)["c"]
    got = prepare_features(table, spec, categories=True)["c"]
    assert isinstance(got.dtype, pd.CategoricalDtype)
    assert got.astype(object).tolist() == expected.tolist()


def test_history_for_the_newest_snapshot_alone_equals_the_whole_table(
    trained_dev_catalog, dev_params
):
    params = dev_params["seller_risk"]
    schema, derived = params["schema"], params["derived"]
    validated = validate_raw_table(
        trained_dev_catalog.load("seller_risk.raw_table"), schema
    )
    date = schema["date_column"]
    newest = validated[date].max()
    whole = model_input_from_validated(validated, schema, derived)
    whole = whole.loc[whole[date] == newest].reset_index(drop=True)
    alone = model_input_from_validated(
        validated, schema, derived, np.flatnonzero(validated[date] == newest)
    )
    pd.testing.assert_frame_equal(alone, whole)
    assert alone.filter(like="_delta_").notna().any().all()  # the look-back found rows


@pytest.mark.parametrize("namespace", TABULAR_NAMESPACES)
def test_drift_counted_on_the_rows_equals_the_model_matrix_counts(
    trained_dev_catalog, namespace
):
    model = trained_dev_catalog.load(f"{namespace}.risk_model")
    reference = trained_dev_catalog.load(f"{namespace}.scoring_reference")
    rows = trained_dev_catalog.load(f"{namespace}.model_input").head(4000).copy()
    numeric = model.spec["numeric"][0]
    rows.loc[rows.index[:7], numeric] = np.inf  # inf counts as missing
    categorical = model.spec["categorical"][0]
    rows.loc[rows.index[7:20], categorical] = None
    scores = model.predict_proba(rows)
    counter = DriftCounter(reference)
    counter.add(rows, scores)
    X = prepare_features(rows, {**model.spec, "never_missing": []})
    for column, ref in reference["numeric"].items():
        values = scores if column == "__score__" else X[column].to_numpy(dtype=float)
        np.testing.assert_array_equal(
            counter.numeric[column], numeric_counts(values, np.asarray(ref["edges"]))
        )
    for column in reference["categorical"]:
        expected = {str(k): int(v) for k, v in X[column].value_counts().items()}
        assert counter.categorical[column] == expected
    assert counter.categorical[categorical]["__missing__"] >= 13


def test_bin_counts_are_those_of_a_bin_index_per_value():
    """`numeric_counts` counts from comparisons against each edge; it must give what
    a bin index per value gives (missing, +inf and -inf in the missing bin; values
    equal to an edge in the bin above it)."""
    rng = np.random.default_rng(0)
    for trial in range(300):
        values = (
            rng.normal(size=400) if trial % 2 else rng.integers(0, 5, 400).astype(float)
        )
        values[rng.random(400) < 0.1] = np.nan
        values[rng.random(400) < 0.03] = np.inf
        values[rng.random(400) < 0.03] = -np.inf
        finite = np.isfinite(values)
        edges = np.unique(rng.choice(values[finite], rng.integers(0, 10)))
        index = np.searchsorted(edges, values[finite], side="right")
        expected = np.append(
            np.bincount(index, minlength=len(edges) + 1), (~finite).sum()
        )
        np.testing.assert_array_equal(numeric_counts(values, edges), expected)
