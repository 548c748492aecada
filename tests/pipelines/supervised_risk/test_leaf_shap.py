"""Reasons from per-leaf SHAP tables are CatBoost's own SHAP values."""

import numpy as np
import pytest

from risk_segments.datasets import CatBoostModelDataset
from risk_segments.modeling.leaf_shap import LeafShap
from risk_segments.modeling.risk_model import RiskModel
from tests.helpers import ALL_NAMESPACES, TABULAR_NAMESPACES, catboost_shap


@pytest.mark.parametrize("namespace", ALL_NAMESPACES)
def test_table_lookup_gives_catboost_shap_values(trained_dev_catalog, namespace):
    model = trained_dev_catalog.load(f"{namespace}.risk_model")
    rows = trained_dev_catalog.load(f"{namespace}.model_input")
    rows = rows.sample(min(len(rows), 3000), random_state=1)
    expected = catboost_shap(model, rows)
    got = model.shap_values(rows)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-9)
    top = lambda v: np.argsort(-v, axis=1, kind="stable")[:, :4]  # noqa: E731
    assert (top(got) == top(expected)).all()


@pytest.mark.parametrize("namespace", TABULAR_NAMESPACES)
def test_the_tables_are_learned_in_training_and_saved(
    trained_dev_catalog, namespace, tmp_path
):
    dataset = CatBoostModelDataset(filepath=str(tmp_path / "risk_model.cbm"))
    dataset.save(trained_dev_catalog.load(f"{namespace}.risk_model"))
    model = CatBoostModelDataset(filepath=str(tmp_path / "risk_model.cbm")).load()
    rows = trained_dev_catalog.load(f"{namespace}.model_input").head(2000)
    assert (
        model.shap_tables
        and len(model.shap_tables["leaves"]) == model.model.tree_count_
    )
    saved = LeafShap(model.model, model.shap_tables)
    known = sum(len(ids) for ids in saved.leaves)
    saved.learn(model.pool(rows))  # training rows reach no leaf the tables lack
    assert sum(len(ids) for ids in saved.leaves) == known
    # a model saved without tables still gives the same values (leaves learned on the way)
    bare = RiskModel(model=model.model, spec=model.spec)
    np.testing.assert_allclose(
        bare.shap_values(rows), catboost_shap(model, rows), rtol=0, atol=1e-9
    )
