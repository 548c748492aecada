"""The nightly batch, measured: `kedro run --pipeline=score` on 1.2M customers and 150K sellers.

Run after `uv run kedro run` (it uses the trained models):
    uv run python benchmarks/score_batch.py

For each namespace it writes the rows to score as parquet, then runs in fresh
child processes (so each peak RSS is that step's alone):
  * the score pipeline (`--env=benchmark`), end to end, and its nodes alone (first
    node start to last node end: without Kedro's start-up);
  * the floor: read the parquet, CatBoost predict, write the result, nothing else
    (its clock starts once its model is loaded); both are also timed as whole
    processes, from the interpreter's start to its exit, as a user's minimal scoring
    script would be;
  * for customers, the pipeline again on 10x fewer rows, to show memory stays flat.
The full-size figures are the best of 3 runs each. Targets (issues 5 and 16): 1.2M
customers in <= 60 s, within 3x of the floor (customers and 150K sellers), peak RSS
<= 4 GB, memory roughly flat when rows grow 10x.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

RAW = Path("data/01_raw/benchmark")


def write_inputs(customers: int, sellers: int) -> None:
    from risk_segments.datasets import ChunkedParquetDataset
    from risk_segments.synthetic import (
        CustomerBaseConfig,
        SellerPanelConfig,
        generate_customer_base,
        generate_seller_panel,
    )

    RAW.mkdir(parents=True, exist_ok=True)
    raw, _ = generate_customer_base(
        CustomerBaseConfig(n_customers=customers, n_unlabeled=customers // 4)
    )
    ChunkedParquetDataset(filepath=str(RAW / "customer_churn.parquet")).save(raw)
    # 4 monthly snapshots: the newest is scored, the 3 before feed the history features
    raw, _ = generate_seller_panel(
        SellerPanelConfig(n_rows=4 * sellers, n_months=4, unlabeled_months=1)
    )
    ChunkedParquetDataset(filepath=str(RAW / "seller_risk.parquet")).save(raw)


def child_pipeline(namespace: str) -> dict:
    from kedro.framework.hooks import hook_impl
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    class NodeClock:
        """When the first node starts and the last one ends: the batch's own work,
        without Kedro's start-up (importing the pipelines, reading the configuration)."""

        @hook_impl
        def before_pipeline_run(self) -> None:
            self.start = time.perf_counter()

        @hook_impl
        def after_pipeline_run(self) -> None:
            self.end = time.perf_counter()

    bootstrap_project(Path.cwd())
    clock = NodeClock()
    start = time.perf_counter()
    with KedroSession.create(env="benchmark") as session:
        session._hook_manager.register(clock)
        session.run(pipeline_names=["score"], namespaces=[namespace])
    seconds = time.perf_counter() - start
    summary = json.loads(
        Path(f"data/08_reporting/benchmark/{namespace}/score_summary.json").read_text()
    )
    return {
        "seconds": seconds,
        "node_seconds": clock.end - clock.start,
        "rows": summary["rows_out"],
        "rows_in": summary["rows_in"],
    }


def child_floor(namespace: str) -> dict:
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq
    from kedro.io import Version

    from risk_segments.datasets import CatBoostModelDataset

    model = CatBoostModelDataset(
        filepath=f"data/06_models/{namespace}/risk_model.cbm",
        version=Version(None, None),
    ).load()
    start = time.perf_counter()
    rows = pd.read_parquet(RAW / f"{namespace}.parquet")
    if (
        namespace == "seller_risk"
    ):  # the floor has no history features: give it the columns
        for name in model.spec["numeric"]:
            if name not in rows:
                rows[name] = float("nan")
        rows = rows.loc[rows["snapshot_date"] == rows["snapshot_date"].max()]
    score = model.predict_proba(rows)
    out = Path("data/07_model_output/benchmark/floor.parquet")
    out.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(
        pa.table({"id": rows.iloc[:, 0].to_numpy(), "risk_score": score}), out
    )
    return {"seconds": time.perf_counter() - start, "rows": len(rows)}


def peak_rss_mb() -> float:
    """This process's own peak resident memory. (getrusage's ru_maxrss survives exec,
    so a child started by a big parent would report the parent's peak.)"""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_child(kind: str, namespace: str) -> dict:
    """One step in a fresh process; `process_seconds`: its wall clock from the
    interpreter's start to its exit (imports and model loading included)."""
    start = time.perf_counter()
    output = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--namespace", namespace],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result = json.loads(output.strip().splitlines()[-1])
    result["process_seconds"] = time.perf_counter() - start
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_200_000)
    parser.add_argument("--sellers", type=int, default=150_000)
    parser.add_argument("--child", choices=["pipeline", "floor"])
    parser.add_argument("--namespace")
    args = parser.parse_args()

    if args.child:
        result = (child_pipeline if args.child == "pipeline" else child_floor)(
            args.namespace
        )
        result["peak_rss_mb"] = peak_rss_mb()
        print(json.dumps(result))
        return

    if not any(Path("data/06_models/customer_churn/risk_model.cbm").glob("*")):
        sys.exit("No trained model: run `uv run kedro run` first.")
    rows_of = {}
    for label, customers, sellers in (
        ("small (1/10)", args.customers // 10, args.sellers // 10),
        ("full", args.customers, args.sellers),
    ):
        start = time.perf_counter()
        write_inputs(customers, sellers)
        print(f"[{label}] wrote inputs in {time.perf_counter() - start:.0f} s")
        for namespace in ("customer_churn", "seller_risk"):
            # best of 3 on the full data (2 cores shared with the OS: single runs vary by 20%)
            tries = 3 if label == "full" else 1
            pipe = min(
                (run_child("pipeline", namespace) for _ in range(tries)),
                key=lambda r: r["seconds"],
            )
            rows_of[(label, namespace)] = pipe
            line = (
                f"[{label}] {namespace:15s} score pipeline: {pipe['rows']:>9,} rows scored "
                f"({pipe['rows_in']:,} read) in {pipe['seconds']:6.1f} s = {pipe['rows'] / pipe['seconds']:>8,.0f} rows/s, "
                f"peak RSS {pipe['peak_rss_mb']:,.0f} MB"
            )
            if label == "full":
                floor = min(
                    (run_child("floor", namespace) for _ in range(tries)),
                    key=lambda r: r["seconds"],
                )
                line += (
                    f" | floor (read + predict + write) {floor['seconds']:5.1f} s, peak RSS "
                    f"{floor['peak_rss_mb']:,.0f} MB | pipeline / floor = {pipe['seconds'] / floor['seconds']:.1f}x"
                    f" (nodes alone {pipe['node_seconds']:.1f} s = {pipe['node_seconds'] / floor['seconds']:.1f}x;"
                    " the rest is Kedro start-up)"
                    f" | as whole processes (interpreter, imports, models loaded): pipeline "
                    f"{pipe['process_seconds']:.1f} s, floor {floor['process_seconds']:.1f} s = "
                    f"{pipe['process_seconds'] / floor['process_seconds']:.1f}x"
                )
            print(line)
    for namespace in ("customer_churn", "seller_risk"):
        small, full = rows_of[("small (1/10)", namespace)], rows_of[("full", namespace)]
        print(
            f"{namespace:15s} memory growth for {full['rows'] / small['rows']:.0f}x rows: "
            f"{small['peak_rss_mb']:,.0f} MB -> {full['peak_rss_mb']:,.0f} MB "
            f"({full['peak_rss_mb'] / small['peak_rss_mb']:.2f}x)"
        )


if __name__ == "__main__":
    main()
