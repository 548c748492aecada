"""Scoring on Spark (local mode) against the pandas batch, at 1.2M and 12M customers.

Run after `uv run kedro run` (it uses the trained customer_churn models), with the
spark extra installed (`uv sync --extra spark`; Java 17+):
    uv run python benchmarks/score_spark.py [--sizes 1200000 12000000]

For each size it writes the rows to score as parquet (the synthetic customer
base, in 1.2M-row parts with distinct ids), then scores the file with the
project's own score nodes twice, each in a fresh child process:
  * pandas: the chunked batch `kedro run --pipeline=score` runs;
  * spark:  the same nodes on a Spark DataFrame, `local[*]` (what `--env=spark` runs).
Both read the parquet file and write the scores as parquet; it prints rows/s.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import yaml

RAW = Path("data/01_raw/benchmark/spark")
OUT = Path("data/07_model_output/benchmark/spark")
NS = "customer_churn"
PART = 1_200_000


def write_input(rows: int) -> Path:
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    from risk_segments.synthetic import CustomerBaseConfig, generate_customer_base

    path = RAW / f"customers_{rows}.parquet"
    if path.exists() and pq.ParquetFile(path).metadata.num_rows == rows:
        return path
    RAW.mkdir(parents=True, exist_ok=True)
    writer = None
    for part in range(0, rows, PART):
        n = min(PART, rows - part)
        raw, _ = generate_customer_base(
            CustomerBaseConfig(
                seed=100 + part // PART, n_customers=n, n_unlabeled=n // 4
            )
        )
        raw["customer_id"] = f"P{part // PART:02d}-" + raw["customer_id"].astype(str)
        raw["snapshot_date"] = pd.to_datetime(raw["snapshot_date"]).astype(
            "datetime64[us]"
        )
        table = pa.Table.from_pandas(raw, preserve_index=False)
        writer = writer or pq.ParquetWriter(path, table.schema)
        writer.write_table(table, row_group_size=200_000)
    writer.close()
    return path


def _artifacts():
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    bootstrap_project(Path.cwd())
    with KedroSession.create() as session:
        context = session.load_context()
        catalog = context.catalog
        params = context.params[NS]
        return (
            catalog.load(f"{NS}.risk_model"),
            catalog.load(f"{NS}.segmentation_model"),
            catalog.load(f"{NS}.scoring_reference"),
            params,
        )


def child(engine: str, path: str) -> dict:
    import pandas as pd  # noqa: F401

    from risk_segments.datasets import ChunkedParquetDataset
    from risk_segments.pipelines.score.nodes import (
        check_score_input,
        score_rows,
        summarise_scoring,
    )

    risk_model, segmentation_model, reference, params = _artifacts()
    score = dict(params["score"])
    if engine == "spark":
        from pyspark.sql import SparkSession

        spark_conf = yaml.safe_load(Path("conf/spark/spark.yml").read_text())
        builder = SparkSession.builder.appName("score-benchmark")
        for key, value in spark_conf.items():
            builder = builder.config(key, str(value))
        spark = builder.getOrCreate()
        spark.sparkContext.setLogLevel("ERROR")
    start = time.perf_counter()
    if engine == "spark":
        rows = spark.read.parquet(path)
    else:
        rows = ChunkedParquetDataset(
            filepath=path, chunk_size=score["chunk_size"]
        ).load()
    preflight = check_score_input(
        rows, risk_model, segmentation_model, params["schema"], params["derived"], score
    )
    scores, summary = score_rows(
        rows,
        preflight,
        risk_model,
        segmentation_model,
        reference,
        params["schema"],
        params["derived"],
        params["feature_labels"],
        score,
    )
    target = OUT / f"{engine}_{Path(path).stem}"
    if engine == "spark":
        scores.write.mode("overwrite").parquet(str(target))
    else:
        ChunkedParquetDataset(filepath=str(target) + ".parquet").save(scores)
    report, _ = summarise_scoring(summary, score)
    return {"seconds": time.perf_counter() - start, "rows": report["rows_out"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_200_000, 12_000_000])
    parser.add_argument("--child", choices=["pandas", "spark"])
    parser.add_argument("--path")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.path)))
        return
    OUT.mkdir(parents=True, exist_ok=True)
    for size in args.sizes:
        start = time.perf_counter()
        path = write_input(size)
        print(
            f"{size:>11,} rows: input written in {time.perf_counter() - start:.0f} s",
            flush=True,
        )
        results = {}
        for engine in ("pandas", "spark"):
            done = subprocess.run(
                [sys.executable, __file__, "--child", engine, "--path", str(path)],
                check=True,
                capture_output=True,
                text=True,
            )
            results[engine] = json.loads(done.stdout.strip().splitlines()[-1])
            r = results[engine]
            print(
                f"{size:>11,} rows: {engine:6s} {r['rows']:>11,} scored in {r['seconds']:7.1f} s "
                f"= {r['rows'] / r['seconds']:>9,.0f} rows/s",
                flush=True,
            )
        ratio = results["spark"]["seconds"] / results["pandas"]["seconds"]
        print(f"{size:>11,} rows: spark / pandas time = {ratio:.2f}x", flush=True)


if __name__ == "__main__":
    main()
