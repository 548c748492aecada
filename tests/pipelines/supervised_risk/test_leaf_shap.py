"""Reasons from per-leaf SHAP tables are CatBoost's own SHAP values."""

import json

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
    # every leaf of every tree, those no row reached filled from the structure
    assert [len(ids) for ids in model.shap_tables["leaves"]] == list(
        model.model.get_tree_leaf_counts()
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


def _model_with_every_kind_of_split():
    """A small CatBoost model whose trees split on numbers, on a two-level category
    (one-hot) and on CTRs of categories and of their combinations."""
    import pandas as pd
    from catboost import CatBoostClassifier, Pool

    rng = np.random.default_rng(0)
    n = 4000
    rows = pd.DataFrame(
        {
            "a": rng.normal(size=n),
            "b": rng.normal(size=n),
            "flag": rng.choice(["y", "n"], n),
            "city": rng.choice(list("ABCDEFGHIJ"), n),
            "kind": rng.choice(list("pqrs"), n),
        }
    )
    signal = (
        rows["a"]
        + (rows["flag"] == "y")
        + 1.5 * rows["city"].isin(list("ABC"))
        + (rows["kind"] == "p") * (rows["city"] == "D")
        - 0.5 * rows["b"]
    )
    labels = (signal + rng.normal(size=n) > 1).astype(int)
    cats = ["flag", "city", "kind"]
    model = CatBoostClassifier(
        iterations=60, depth=5, verbose=0, random_seed=0, cat_features=cats
    )
    model.fit(rows.iloc[:2000], labels.iloc[:2000])
    return (
        model,
        Pool(rows.iloc[:150], cat_features=cats),
        Pool(rows.iloc[2000:], cat_features=cats),
    )


def _no_learning(monkeypatch):
    def fail(self, tree):
        raise AssertionError(f"tree {tree} was asked about a leaf at scoring")

    monkeypatch.setattr(LeafShap, "_tree", fail)


def test_leaves_no_row_reached_are_filled_from_the_trees_structure(
    monkeypatch, tmp_path
):
    model, few, fresh = _model_with_every_kind_of_split()
    tables = LeafShap(model).learn(few)  # 150 rows reach only some leaves
    exported = tmp_path / "model.json"
    model.save_model(str(exported), format="json")
    kinds = {
        split["split_type"]
        for tree in json.loads(exported.read_text())["oblivious_trees"]
        for split in tree.get("splits") or []
    }
    assert kinds == {"FloatFeature", "OneHotFeature", "OnlineCtr"}
    filled = tables.complete()
    assert filled["filled"] > 0 and filled["trees_left"] == 0
    assert all(
        len(ids) == count
        for ids, count in zip(tables.leaves, model.get_tree_leaf_counts(), strict=True)
    )
    _no_learning(monkeypatch)  # scoring has nothing left to ask CatBoost
    expected = model.get_feature_importance(data=fresh, type="ShapValues")[:, :-1]
    np.testing.assert_allclose(tables.shap_values(fresh), expected, rtol=0, atol=1e-9)


def test_a_tree_whose_structure_disagrees_with_catboost_is_left_to_rows(monkeypatch):
    from risk_segments.modeling import leaf_shap

    model, few, fresh = _model_with_every_kind_of_split()
    computed = leaf_shap.tree_values(model)
    computed[3] = computed[3] + 0.01  # as if the structure were read wrongly
    monkeypatch.setattr(leaf_shap, "tree_values", lambda _: computed)
    tables = LeafShap(model).learn(few)
    known = len(tables.leaves[3])
    assert tables.complete()["trees_left"] == 1
    assert len(tables.leaves[3]) == known  # tree 3 kept only what CatBoost said
    expected = model.get_feature_importance(data=fresh, type="ShapValues")[:, :-1]
    np.testing.assert_allclose(tables.shap_values(fresh), expected, rtol=0, atol=1e-9)
