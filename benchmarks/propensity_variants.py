"""What else was tried for repeat_purchase: model and feature variants on the run's own rows.

    uv run kedro run --namespaces=repeat_purchase        # writes the model input
    uv run python benchmarks/propensity_variants.py       # prints the table

Reads `data/05_model_input/repeat_purchase/model_input.parquet` (customer x cutoff,
with the BTYD outputs computed at each cutoff from the purchases up to it) and the
transactions. Train on the older labeled cutoffs, early-stop and compare on the
next-to-newest one (validation), and report the newest labeled one (test): each
variant is printed with its validation ROC-AUC, which is the only figure a choice
may rest on, and its test ROC-AUC and top-decile lift.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from catboost import CatBoostClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

ROOT = Path(__file__).resolve().parents[1]


def lift(y: np.ndarray, score: np.ndarray) -> float:
    top = np.argsort(-score, kind="stable")[: int(round(0.1 * len(y)))]
    return float(y[top].mean() / y.mean())


def extra_features(transactions: pd.DataFrame, cutoff: pd.Timestamp) -> pd.DataFrame:
    """Sequence features the customer view does not have (tried, not adopted)."""
    past = transactions.loc[transactions["day"] <= cutoff]
    age = (cutoff - past["day"]).dt.days
    out = pd.DataFrame(index=past.groupby("customer_id").size().index)
    for window in (30, 60, 180):
        out[f"orders_{window}d"] = (
            past[age <= window]
            .groupby("customer_id")
            .size()
            .reindex(out.index, fill_value=0)
        )
    quarter = age // 91
    out["active_quarters"] = (
        past.assign(q=quarter).groupby("customer_id")["q"].nunique()
    )
    out["active_quarter_share"] = out["active_quarters"] / (
        quarter.groupby(past["customer_id"]).max() + 1
    )
    days = (
        past[["customer_id", "day"]]
        .drop_duplicates()
        .sort_values(["customer_id", "day"])
    )
    n = days.groupby("customer_id").cumcount()
    first = days[n == 0].set_index("customer_id")["day"]
    second = days[n == 1].set_index("customer_id")["day"]
    out["first_to_second_days"] = (second - first.reindex(second.index)).dt.days
    out["amount_last"] = past.groupby("customer_id")["amount"].last()
    return out.reset_index().assign(snapshot_date=cutoff)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(ROOT / "data"))
    args = parser.parse_args()
    data = Path(args.data)
    params = yaml.safe_load(
        (ROOT / "conf/base/parameters_repeat_purchase.yml").read_text()
    )["repeat_purchase"]
    schema = params["schema"]
    btyd = schema["feature_groups"]["btyd"]
    rows = pd.read_parquet(data / "05_model_input/repeat_purchase/model_input.parquet")
    rfm = [c for c in schema["numeric"] if c not in btyd and c in rows.columns]
    labeled = rows[rows[schema["label_column"]].notna()].copy()
    labeled["y"] = labeled[schema["label_column"]].astype(int)
    cutoffs = sorted(labeled["snapshot_date"].unique())
    transactions = pd.read_parquet(
        data / "02_intermediate/repeat_purchase/transactions.parquet"
    )
    transactions["day"] = transactions["order_time"].dt.normalize()
    extra = pd.concat([extra_features(transactions, pd.Timestamp(c)) for c in cutoffs])
    labeled = labeled.merge(extra, on=["customer_id", "snapshot_date"], how="left")
    sequence = [c for c in extra.columns if c not in ("customer_id", "snapshot_date")]
    train = labeled[labeled["snapshot_date"] < cutoffs[-2]]
    valid = labeled[labeled["snapshot_date"] == cutoffs[-2]]
    test = labeled[labeled["snapshot_date"] == cutoffs[-1]]
    print(
        f"train {len(train):,} rows (cutoffs before {str(cutoffs[-2])[:10]}), valid "
        f"{len(valid):,}, test {len(test):,} ({str(cutoffs[-1])[:10]}, {test['y'].mean():.1%} buy)"
    )

    def report(name: str, on_valid: np.ndarray, on_test: np.ndarray) -> None:
        print(
            f"  {name:<52} valid ROC-AUC {roc_auc_score(valid['y'], on_valid):.4f}   "
            f"test ROC-AUC {roc_auc_score(test['y'], on_test):.4f}  lift {lift(test['y'].to_numpy(), on_test):.2f}",
            flush=True,
        )

    for column in btyd:
        report(
            f"{column} as it stands", valid[column].to_numpy(), test[column].to_numpy()
        )
    for name, features in (
        ("RFM", rfm),
        ("RFM + BTYD", rfm + btyd),
        ("RFM + BTYD + sequence", rfm + btyd + sequence),
    ):
        for depth in (4, 6):
            model = CatBoostClassifier(
                iterations=2000,
                learning_rate=0.05,
                depth=depth,
                eval_metric="AUC",
                early_stopping_rounds=150,
                random_seed=42,
                verbose=0,
                thread_count=2,
            ).fit(train[features], train["y"], eval_set=(valid[features], valid["y"]))
            report(
                f"CatBoost depth {depth}, {name} ({model.get_best_iteration() + 1} trees)",
                model.predict_proba(valid[features])[:, 1],
                model.predict_proba(test[features])[:, 1],
            )
        logistic = make_pipeline(
            SimpleImputer(strategy="median", add_indicator=True),
            StandardScaler(),
            LogisticRegression(max_iter=3000),
        ).fit(train[features], train["y"])
        report(
            f"logistic regression, {name}",
            logistic.predict_proba(valid[features])[:, 1],
            logistic.predict_proba(test[features])[:, 1],
        )


if __name__ == "__main__":
    main()
