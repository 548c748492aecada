"""Speed and fidelity of assigning rows to segments (the nightly scoring step).

Run: uv run python benchmarks/segment_assignment.py [--rows 1200000] [--fit 50000]

Builds 1.2M customers with the synthetic source and the project's own
data_processing nodes, fits the segmentation on a 50K sample with each
algorithm, then assigns all rows with the saved model's numpy assignment and
prints rows/s. For HDBSCAN it also runs the reference, hdbscan.approximate_predict,
on a random subset and prints the agreement between the two.
Targets (issue 4): 1.2M rows in <= 30 s on 2 cores, >= 98% agreement.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import yaml

from risk_segments.modeling.features import (
    add_history_features,
    build_model_input,
    validate_raw_table,
)
from risk_segments.modeling.segmentation import fit_segmentation
from risk_segments.synthetic import CustomerBaseConfig, generate_customer_base


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_200_000)
    parser.add_argument("--fit", type=int, default=50_000)
    parser.add_argument("--reference-rows", type=int, default=100_000)
    args = parser.parse_args()

    params = yaml.safe_load(open("conf/base/parameters_customer_churn.yml"))[
        "customer_churn"
    ]
    schema, derived = params["schema"], params["derived"]
    raw, _ = generate_customer_base(
        CustomerBaseConfig(n_customers=args.rows, n_unlabeled=args.rows // 4)
    )
    rows = build_model_input(
        add_history_features(validate_raw_table(raw, schema), schema, derived),
        schema,
        derived,
    ).drop(columns=[schema["label_column"]])
    sample = rows.sample(args.fit, random_state=0)
    print(f"rows to assign: {len(rows):,}; fit sample: {len(sample):,}")

    for algorithm in ("kmeans", "hdbscan"):
        segmentation = {**params["segmentation"], "algorithm": algorithm}
        segmentation["hdbscan"] = {**segmentation["hdbscan"], "prediction_data": True}
        start = time.perf_counter()
        model, _ = fit_segmentation(sample, segmentation)
        fit_seconds = time.perf_counter() - start
        start = time.perf_counter()
        segments, atypical = model.assign(rows)
        seconds = time.perf_counter() - start
        print(
            f"{algorithm:8s} fit {fit_seconds:6.1f} s ({model.n_segments} segments) | assign "
            f"{len(rows):,} rows in {seconds:5.1f} s = {len(rows) / seconds:,.0f} rows/s, "
            f"{atypical.mean():.1%} atypical"
        )
        if algorithm == "hdbscan":
            import hdbscan

            clusterer = model.info["_clusterer"]
            rng = np.random.default_rng(1)
            subset = rng.choice(
                len(rows), size=min(args.reference_rows, len(rows)), replace=False
            )
            Z = model.transform(rows.iloc[subset])
            start = time.perf_counter()
            reference, _ = hdbscan.approximate_predict(clusterer, Z)
            ref_seconds = time.perf_counter() - start
            clustered = reference >= 0
            agree = (segments[subset][clustered] == reference[clustered]).mean()
            noise_flagged = (
                atypical[subset][~clustered].mean()
                if (~clustered).any()
                else float("nan")
            )
            print(
                f"         reference approximate_predict: {len(subset):,} rows in {ref_seconds:.1f} s "
                f"(= {ref_seconds * len(rows) / len(subset):.0f} s for all {len(rows):,})"
            )
            print(
                f"         agreement with the reference on the rows it clusters ({clustered.mean():.1%}): "
                f"{agree:.2%}; reference-noise rows flagged atypical: {noise_flagged:.1%}"
            )


if __name__ == "__main__":
    main()
