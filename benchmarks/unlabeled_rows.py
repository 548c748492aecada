"""How good are the scores on the rows nobody can label? (synthetic sources only)

The simulation knows every customer's true churn probability, the unlabeled
ones included, so the scores `kedro run --pipeline=score` wrote can be checked
where a real team never could: per reason a customer is unlabeled (recent
acquisition, tracking gap with or without the clickstream), the mean score
against the mean true probability (calibration) and the ROC-AUC against an
outcome drawn from the true probability (ranking), beside the oracle's.

Run after `uv run kedro run` and `uv run kedro run --pipeline=score`:
    uv run python benchmarks/unlabeled_rows.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project
from sklearn.metrics import roc_auc_score


def main() -> None:
    bootstrap_project(Path.cwd())
    with KedroSession.create() as session:
        catalog = session.load_context().catalog
        truth = catalog.load("customer_churn.truth")
        model_input = catalog.load("customer_churn.model_input")
    scores = pd.read_parquet(
        "data/07_model_output/customer_churn/scores.parquet",
        columns=["customer_id", "risk_score", "imputed_features"],
    )
    rows = scores.merge(truth, on="customer_id").merge(
        model_input[["customer_id", "sessions_30d"]], on="customer_id"
    )
    if len(rows) != len(scores):
        raise SystemExit("scores and truth do not cover the same customers")
    rows["group"] = rows["unlabeled_reason"].replace("", "labeled") + np.where(
        rows["sessions_30d"].isna() & (rows["unlabeled_reason"] != ""),
        " (no clickstream)",
        "",
    )
    outcome = np.random.default_rng(0).random(len(rows)) < rows["true_probability"]
    print(
        f"{'group':36s} {'rows':>7s} {'mean score':>10s} {'mean true p':>11s} {'AUC model':>9s} {'AUC oracle':>10s}"
    )
    for name, part in rows.groupby("group"):
        y = outcome[part.index]
        print(
            f"{name:36s} {len(part):7d} {part['risk_score'].mean():10.3f} "
            f"{part['true_probability'].mean():11.3f} {roc_auc_score(y, part['risk_score']):9.3f} "
            f"{roc_auc_score(y, part['true_probability']):10.3f}"
        )
    print(
        f"rows scored with a training-median fill-in: {(rows['imputed_features'] > 0).sum()}"
    )


if __name__ == "__main__":
    main()
