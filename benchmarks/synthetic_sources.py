"""Generation speed of the synthetic sources and the oracle's figures.

Run: uv run python benchmarks/synthetic_sources.py
Prints generation time at the default size (240K) and at 1.2M rows, and the
oracle (the true probability used as a score) on the rows later issues test on:
the newest 3 labeled months of the seller panel, and a stratified 20% hold-out
of the labeled customers.
"""

from __future__ import annotations

import time

import numpy as np
from sklearn.metrics import (
    average_precision_score,
    precision_recall_curve,
    roc_auc_score,
)
from sklearn.model_selection import train_test_split

from risk_segments.synthetic import (
    CustomerBaseConfig,
    SellerPanelConfig,
    generate_customer_base,
    generate_seller_panel,
)


def timed(generate, config):
    start = time.perf_counter()
    raw, truth = generate(config)
    return raw, truth, time.perf_counter() - start


def best_f1(y, score):
    precision, recall, _ = precision_recall_curve(y, score)
    return float(np.max(2 * precision * recall / np.maximum(precision + recall, 1e-12)))


def main() -> None:
    raw, truth, seconds = timed(generate_seller_panel, SellerPanelConfig())
    print(f"seller_panel   default : {len(raw):>9,} rows in {seconds:5.1f} s")
    big_raw, _, big = timed(generate_seller_panel, SellerPanelConfig(n_rows=1_200_000))
    print(f"seller_panel   1.2M    : {len(big_raw):>9,} rows in {big:5.1f} s")
    del big_raw
    months = np.sort(raw["snapshot_date"].unique())
    test = raw["snapshot_date"].isin(months[-5:-2])  # newest 3 labeled months
    y = raw.loc[test, "high_risk_60d"].astype(int)
    oracle = truth.loc[test, "true_probability"]
    print(
        f"seller_risk oracle on newest 3 labeled months ({test.sum():,} rows, "
        f"prevalence {y.mean():.3f}): PR-AUC {average_precision_score(y, oracle):.3f}, "
        f"ROC-AUC {roc_auc_score(y, oracle):.3f}, best F1 {best_f1(y, oracle):.3f}"
    )

    raw, truth, seconds = timed(generate_customer_base, CustomerBaseConfig())
    print(f"customer_base  default : {len(raw):>9,} rows in {seconds:5.1f} s")
    big_raw, _, big = timed(
        generate_customer_base,
        CustomerBaseConfig(n_customers=1_200_000, n_unlabeled=300_000),
    )
    print(f"customer_base  1.2M    : {len(big_raw):>9,} rows in {big:5.1f} s")
    del big_raw
    labeled = raw["churned_60d"].notna().to_numpy()
    y_all = raw.loc[labeled, "churned_60d"].astype(int)
    _, y, _, oracle = train_test_split(
        y_all,
        truth.loc[labeled, "true_probability"],
        test_size=0.2,
        stratify=y_all,
        random_state=0,
    )
    print(
        f"customer_churn oracle on a 20% labeled hold-out ({len(y):,} rows, "
        f"prevalence {y.mean():.3f}): ROC-AUC {roc_auc_score(y, oracle):.3f}, "
        f"PR-AUC {average_precision_score(y, oracle):.3f}, best F1 {best_f1(y, oracle):.3f}"
    )


if __name__ == "__main__":
    main()
