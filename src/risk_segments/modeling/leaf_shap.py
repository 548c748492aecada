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
"""

from __future__ import annotations

import logging
import time
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
