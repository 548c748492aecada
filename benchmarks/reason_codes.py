"""Reason codes for a chunk's review rows: CatBoost's SHAP call against the per-leaf tables.

Run after `uv run kedro run` (it uses the trained models and model inputs):
    uv run python benchmarks/reason_codes.py [--rows 18700] [--data data]

For each namespace: the tables as training builds them (from the model input, then
the leaves no row reached from the trees' structure),
then on `--rows` rows the seconds of CatBoost's `ShapValues` and of the table
lookup (`RiskModel.shap_values`), the largest difference between the two, and the
share of rows whose top-4 reasons agree (the issue's bar: 98%), with CatBoost's
predict on the same rows for scale.
"""

from __future__ import annotations

import argparse
import time
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
from kedro.io import Version

from risk_segments.datasets import CatBoostModelDataset
from risk_segments.modeling.risk_model import RiskModel


def _timed(function, *args):
    start = time.perf_counter()
    out = function(*args)
    return out, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="data")
    parser.add_argument("--rows", type=int, default=18_700)
    args = parser.parse_args()
    data = Path(args.data)
    for namespace in ("customer_churn", "seller_risk", "repeat_purchase"):
        saved = CatBoostModelDataset(
            filepath=str(data / "06_models" / namespace / "risk_model.cbm"),
            version=Version(None, None),
        ).load()
        rows = pd.read_parquet(
            data / "05_model_input" / namespace / "model_input.parquet"
        )
        model = RiskModel(
            model=saved.model, spec=saved.spec
        )  # tables as training builds them
        picked = rows.sample(min(len(rows), 200_000), random_state=0)
        start = time.perf_counter()
        for first in range(0, len(picked), 25_000):
            model.learn_shap_tables(picked.iloc[first : first + 25_000])
        model.complete_shap_tables()  # the leaves no row reached, from the trees
        learn = time.perf_counter() - start
        chunk = rows.sample(min(args.rows, len(rows)), random_state=7)
        pool = model.pool(chunk)
        _, predict = _timed(model.model.predict, pool)
        exact, catboost = _timed(
            partial(model.model.get_feature_importance, data=pool, type="ShapValues")
        )
        exact = exact[:, :-1]
        looked_up, tables = _timed(model.shap_values, chunk)
        _, again = _timed(model.shap_values, chunk)  # every leaf of the chunk now known
        top = lambda v: np.argsort(-v, axis=1, kind="stable")[:, :4]  # noqa: E731
        agree = float((top(exact) == top(looked_up)).all(axis=1).mean())
        print(
            f"{namespace}: {len(chunk):,} rows, {model.model.tree_count_} trees | tables "
            f"built in training {learn:.1f} s | predict {predict:.3f} s | CatBoost SHAP "
            f"{catboost:.2f} s | table lookup {tables:.2f} s ({catboost / tables:.1f}x; "
            f"{again:.2f} s once its new leaves are known) | "
            f"max difference {np.abs(exact - looked_up).max():.1e} | top-4 agree {agree:.1%}"
        )


if __name__ == "__main__":
    main()
