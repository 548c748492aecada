"""Exact CatBoost SHAP values at about the cost of a prediction, by table lookup.

CatBoost's trees are symmetric (oblivious): a row's path through a tree, and so
its path-dependent SHAP values in that tree, depend only on the leaf it reaches;
and TreeSHAP is additive over trees. So a row's SHAP values are the sum, over
trees, of a per-tree table indexed by its leaf. The tables are filled from
CatBoost itself (the `ShapValues` of a one-tree copy of the model, for one row
per leaf): in training for every leaf the model input reaches (saved with the
model), and at scoring for any leaf a new row reaches that training never did.
The result is CatBoost's own `ShapValues`, bit for bit (tests check it on every
use case); a chunk then costs a leaf-index pass and a sparse sum.

Leaves no training row reached are filled in training too (`complete`): the
path-dependent SHAP values of a leaf follow from the tree alone (its splits, read
from the last to the first, and the training weight of every leaf), so they are
computed for every leaf of every tree and kept for each tree whose computed values
agree with CatBoost's on the leaves rows did reach. Scoring then has nothing left
to learn, where it used to ask CatBoost, one tree at a time, about every leaf that
night's rows reached for the first time.
"""

from __future__ import annotations

import json
import logging
import math
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from catboost import CatBoost, Pool
from scipy import sparse

logger = logging.getLogger(__name__)


class LeafShap:
    """Per-tree SHAP tables of one CatBoost model: for each tree, the leaves met so
    far, the features the tree uses, and a leaves x those-features block of values."""

    def __init__(self, model: CatBoost, tables: dict[str, Any] | None = None) -> None:
        self.model = model
        self.trees = int(model.tree_count_)
        self.width = len(model.feature_names_)
        self._single: dict[int, CatBoost] = {}
        self.leaves = [np.empty(0, dtype=np.int64) for _ in range(self.trees)]
        self.columns = [np.empty(0, dtype=np.int64) for _ in range(self.trees)]
        self.values = [np.empty((0, 0)) for _ in range(self.trees)]
        self._table: sparse.csr_matrix | None = None
        self._map = np.empty((0, 0), dtype=np.int64)
        if tables:
            if len(tables["leaves"]) != self.trees:
                raise ValueError(
                    f"SHAP tables hold {len(tables['leaves'])} trees, the model {self.trees}"
                )
            for t in range(self.trees):
                self.leaves[t] = np.asarray(tables["leaves"][t], dtype=np.int64)
                self.columns[t] = np.asarray(tables["columns"][t], dtype=np.int64)
                self.values[t] = np.asarray(tables["values"][t], dtype=float).reshape(
                    len(self.leaves[t]), len(self.columns[t])
                )

    def _tree(self, t: int) -> CatBoost:
        if t not in self._single:
            single = self.model.copy()
            single.shrink(ntree_start=t, ntree_end=t + 1)
            self._single[t] = single
        return self._single[t]

    def _add(self, t: int, ids: np.ndarray, rows: np.ndarray) -> None:
        """Append leaves `ids` of tree t (their SHAP rows: `rows`, all features)."""
        used = np.flatnonzero(np.abs(rows).sum(axis=0) > 0)
        columns = np.union1d(self.columns[t], used)
        old = np.zeros((len(self.leaves[t]), len(columns)))
        old[:, np.searchsorted(columns, self.columns[t])] = self.values[t]
        leaves = np.concatenate([self.leaves[t], ids])
        order = np.argsort(leaves, kind="stable")
        self.leaves[t] = leaves[order]
        self.columns[t] = columns
        self.values[t] = np.vstack([old, rows[:, columns]])[order]
        self._table = None

    def learn(
        self, pool: Pool, leaves: np.ndarray | None = None, trees: Any = None
    ) -> LeafShap:
        """Fill the tables for every (tree, leaf) these rows reach that no table has
        (only in `trees`, if given)."""
        if leaves is None:
            leaves = np.asarray(self.model.calc_leaf_indexes(pool), dtype=np.int64)
        start, added = time.perf_counter(), 0
        for t in range(self.trees) if trees is None else trees:
            seen, first = np.unique(leaves[:, t], return_index=True)
            new = ~np.isin(seen, self.leaves[t])
            if new.any():
                rows = self._tree(t).get_feature_importance(
                    data=pool.slice(first[new].tolist()), type="ShapValues"
                )[:, :-1]
                self._add(t, seen[new], rows)
                added += int(new.sum())
        if added:
            logger.info(
                "SHAP tables: %d new leaves over %d trees (%.1f s)",
                added,
                self.trees,
                time.perf_counter() - start,
            )
        return self

    def complete(self, tolerance: float = 1e-9) -> dict[str, int]:
        """Fill every leaf the tables lack from the trees' structure (`tree_values`),
        in each tree whose computed values match, within `tolerance`, CatBoost's on
        the leaves already tabulated (a tree none of whose leaves is tabulated, or
        whose values differ, is left to be learned from rows)."""
        computed = tree_values(self.model)
        filled = checked = left = 0
        for t in range(self.trees):
            values, known = computed.get(t), self.leaves[t]
            if values is None or not len(known):
                left += 1
                continue
            reference = np.zeros((len(known), self.width))
            reference[:, self.columns[t]] = self.values[t]
            if np.abs(values[known] - reference).max() > tolerance:
                left += 1
                continue
            missing = np.setdiff1d(np.arange(len(values)), known)
            if len(missing):
                self._add(t, missing, values[missing])
            filled, checked = filled + len(missing), checked + len(known)
        logger.info(
            "SHAP tables: %d leaves no row reached filled from the trees' structure, "
            "checked against CatBoost on the %d leaves rows reached; %d of %d trees "
            "left to learn from rows",
            filled,
            checked,
            left,
            self.trees,
        )
        return {"filled": filled, "checked": checked, "trees_left": left}

    def _stacked(self, width: int) -> tuple[sparse.csr_matrix, np.ndarray]:
        """All trees' tables stacked (sparse), and a trees x leaf-id map to their rows
        (-1: a leaf no table has)."""
        if self._table is None or self._map.shape[1] < width:
            self._table = sparse.vstack(
                [
                    _block(values, columns, self.width)
                    for values, columns in zip(self.values, self.columns, strict=True)
                ],
                format="csr",
            )
            width = max(
                [width, *(int(ids.max()) + 1 for ids in self.leaves if len(ids))]
            )
            self._map = np.full((self.trees, width), -1, dtype=np.int64)
            offset = 0
            for t, ids in enumerate(self.leaves):
                self._map[t, ids] = offset + np.arange(len(ids))
                offset += len(ids)
        return self._table, self._map

    def shap_values(self, pool: Pool) -> np.ndarray:
        """Rows x features SHAP matrix (CatBoost's `ShapValues` without its last,
        expected-value column)."""
        leaves = np.asarray(self.model.calc_leaf_indexes(pool), dtype=np.int64)
        n = len(leaves)
        if n == 0:
            return np.zeros((0, self.width))
        width = int(leaves.max()) + 1
        table, rows_of = self._stacked(width)
        position = rows_of[np.arange(self.trees), leaves]
        unknown = position < 0
        if unknown.any():  # leaves training never reached: tabulate them
            rows = np.flatnonzero(unknown.any(axis=1))
            self.learn(
                pool.slice(rows.tolist()),
                leaves[rows],
                np.flatnonzero(unknown.any(axis=0)).tolist(),
            )
            table, rows_of = self._stacked(width)
            position = rows_of[np.arange(self.trees), leaves]
        which = sparse.csr_matrix(
            (
                np.ones(n * self.trees),
                position.ravel(),
                np.arange(0, n * self.trees + 1, self.trees),
            ),
            shape=(n, table.shape[0]),
        )
        return (which @ table).toarray()

    def tables(self) -> dict[str, Any]:
        """The tables as JSON-able lists (saved with the model)."""
        return {
            "leaves": [ids.tolist() for ids in self.leaves],
            "columns": [columns.tolist() for columns in self.columns],
            "values": [values.ravel().tolist() for values in self.values],
        }


def _block(values: np.ndarray, columns: np.ndarray, width: int) -> sparse.csr_matrix:
    """One tree's leaves x features table as a sparse block (only its features)."""
    rows, used = values.shape
    if used == 0:
        return sparse.csr_matrix((rows, width))
    return sparse.csr_matrix(
        (values.ravel(), np.tile(columns, rows), np.arange(0, rows * used + 1, used)),
        shape=(rows, width),
    )


def tree_values(model: CatBoost) -> dict[int, np.ndarray]:
    """Tree -> the path-dependent SHAP values (leaves x features) of every leaf, from
    the model's structure: the exact Shapley values of the cover-weighted expectation
    of the tree over the features its splits read. CatBoost's conventions, checked
    against its `ShapValues` on every leaf of the built-in use cases: a tree is read
    from its last split to its first; a CTR split counts as the categorical features
    it combines (its binarised numeric parts add none), shared equally between them.
    Trees with another kind of split, or more than one output, are left out."""
    with tempfile.TemporaryDirectory(prefix="risk_segments_cbm_") as folder:
        path = Path(folder) / "model.json"
        model.save_model(str(path), format="json")
        exported = json.loads(path.read_text())
    info = exported["features_info"]
    reads = _split_reader(info)
    scale = float(exported.get("scale_and_bias", [1.0])[0])
    width = len(model.feature_names_)
    out = {}
    for t, tree in enumerate(exported["oblivious_trees"]):
        classes = [reads(split) for split in tree.get("splits") or []]
        if any(c is None for c in classes):
            continue
        values = np.asarray(tree["leaf_values"], dtype=float) * scale
        if len(values) != 1 << len(classes):
            continue
        weights = np.asarray(tree["leaf_weights"], dtype=float)
        out[t] = _tree_shap(classes, values, weights, width)
    return out


def _split_reader(info: dict[str, Any]) -> Any:
    """split -> (a key naming what it reads, the flat features it is credited to), or
    None for a split this module cannot read."""
    floats = {
        f["feature_index"]: f["flat_feature_index"]
        for f in info.get("float_features", [])
    }
    cats = {
        c["feature_index"]: c["flat_feature_index"]
        for c in info.get("categorical_features", [])
    }
    # binary features are numbered: float borders, one-hot values, then CTR borders
    offset = sum(len(f.get("borders") or []) for f in info.get("float_features", []))
    offset += sum(
        len(c.get("values") or []) for c in info.get("categorical_features", [])
    )
    ctrs: list[tuple[float, tuple[int, ...]]] = []
    for ctr in info.get("ctrs", []):
        read = tuple(
            sorted(
                {
                    cats[e["cat_feature_index"]]
                    for e in ctr["elements"]
                    if "cat_feature_index" in e
                }
            )
        )
        ctrs += [(border, read) for border in ctr["borders"]]

    def reads(split: dict[str, Any]) -> tuple[Any, tuple[int, ...]] | None:
        kind = split["split_type"]
        if kind == "FloatFeature":
            flat = (floats[split["float_feature_index"]],)
        elif kind == "OneHotFeature":
            flat = (cats[split["cat_feature_index"]],)
        elif kind == "OnlineCtr":
            index = split["split_index"] - offset
            if not 0 <= index < len(ctrs) or ctrs[index][0] != split["border"]:
                return None
            flat = ctrs[index][1]
        else:
            return None
        return (flat, flat) if flat else None

    return reads


def _tree_shap(
    classes: list[Any], values: np.ndarray, weights: np.ndarray, width: int
) -> np.ndarray:
    """Every leaf's SHAP values in one oblivious tree (bit d of a leaf's index: the
    side of split d), by Shapley's formula over the tree's features (at most its
    depth): the expectation given features S follows the leaf's side where a split
    reads S and the training weights elsewhere."""
    depth, leaves = len(classes), len(values)
    bits = (np.arange(leaves)[:, None] >> np.arange(depth)[None, :]) & 1
    # the weight share of each leaf's side at each split, given its sides of the splits
    # read before it (the last split first)
    share = np.ones((leaves, depth))
    for position, level in enumerate(range(depth - 1, -1, -1)):
        parent = _node_weights(
            bits, weights, list(range(depth - 1, depth - 1 - position, -1))
        )
        child = _node_weights(bits, weights, list(range(depth - 1, level - 1, -1)))
        share[:, level] = np.divide(
            child, parent, out=np.zeros(leaves), where=parent > 0
        )
    keys = list(dict.fromkeys(key for key, _ in classes))
    class_of = np.array([keys.index(key) for key, _ in classes], dtype=np.int64)
    n = len(keys)
    expected = np.empty((1 << n, leaves))
    for subset in range(1 << n):
        known = ((subset >> class_of) & 1).astype(bool)
        # the leaves that agree with a leaf on the known splits, each weighted by its
        # share at the others, summed per pattern of sides of the known splits
        weighted = values * share[:, ~known].prod(axis=1)
        pattern = (bits[:, known] << np.arange(int(known.sum()))).sum(axis=1)
        expected[subset] = np.bincount(pattern, weights=weighted)[pattern]
    subsets = np.arange(1 << n)
    size = np.array([bin(subset).count("1") for subset in subsets])
    # Shapley's weight of a subset of the other features: |S|! (n - |S| - 1)! / n!
    weight = np.array(
        [math.factorial(k) * math.factorial(max(n - k - 1, 0)) for k in size]
    ) / math.factorial(n)
    out = np.zeros((leaves, width))
    for c in range(n):
        without = subsets[(subsets >> c) & 1 == 0]
        phi = weight[without] @ (expected[without | (1 << c)] - expected[without])
        flats = classes[list(class_of).index(c)][1]
        for flat in flats:
            out[:, flat] += phi / len(flats)
    return out


def _node_weights(
    bits: np.ndarray, weights: np.ndarray, levels: list[int]
) -> np.ndarray:
    """For every leaf, the training weight of the node it sits under after `levels`."""
    if not levels:
        return np.full(len(weights), weights.sum())
    node = (bits[:, levels] << np.arange(len(levels))).sum(axis=1)
    return np.bincount(node, weights=weights, minlength=1 << len(levels))[node]
