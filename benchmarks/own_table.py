"""A user's own table, end to end: draft it, then time `kedro run` and the score run.

    uv run python benchmarks/own_table.py             # 7,043 and 50,000 rows
    uv run python benchmarks/own_table.py --rows 7043
    uv run python benchmarks/own_table.py --rows 5000 --wide 400   # 400 more numeric columns
    uv run python benchmarks/own_table.py --shape application --rows 307511   # Home Credit's shape
    uv run python benchmarks/own_table.py --shape customers_segments --rows 240000   # no label
    uv run python benchmarks/own_table.py --shape sellers_segments --rows 240000     # no label

Works in a scratch copy of the project (nothing here is touched). For each
size it writes a churn-like CSV in the shape users bring (see
`risk_segments.synthetic.user_tables`), runs `kedro draft-use-case`, then times
`kedro run --namespaces=<name>` (the draft is not timed) and
`kedro run --pipeline=score --namespaces=<name>`, and prints the figures with
the held-out ROC-AUC. Targets (2 cores): 7K rows within 90 s, 50K within 180 s.
`--wide N` adds N numeric columns (readings that carry no signal, as wide
extracts have many) to see what the width of a table costs. `--shape application`
is a wide credit application table instead (`application_table`: 119 columns,
missing blocks, a 365243 code, 16 categoricals, a rare TARGET from a known model):
its figures add PR-AUC and the oracle (the true probability, on the same held-out
rows). `--shape customers_segments | sellers_segments` is a simulated source with
its label column removed (a table without an outcome, drafted as `kind: segments`):
its figures are the drafted segments' ARI against the true archetypes, the ceiling
(what a supervised model of the archetype finds on held-out rows) and their ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from risk_segments.synthetic.user_tables import application_table, churn_table

ROOT = Path(__file__).resolve().parents[1]
TARGETS = {7043: 90.0, 50000: 180.0}


def _kedro(project: Path, *args: str) -> float:
    env = {**os.environ, "KEDRO_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "1"}
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "kedro", *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        sys.exit(f"kedro {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return time.perf_counter() - start


def _copy_project(target: Path) -> None:
    for item in ("pyproject.toml", ".telemetry"):
        shutil.copy(ROOT / item, target / item)
    shutil.copytree(
        ROOT / "conf", target / "conf", ignore=shutil.ignore_patterns("local")
    )
    (target / "conf" / "local").mkdir()
    shutil.copytree(
        ROOT / "src", target / "src", ignore=shutil.ignore_patterns("__pycache__")
    )


def draft_and_train(
    project: Path, name: str, table: str, *options: str
) -> tuple[float, float, dict]:
    """`kedro draft-use-case` on `table`, then `kedro run` of the drafted use case:
    their seconds, and the run's held-out metrics."""
    draft = _kedro(
        project, "draft-use-case", "--name", name, "--table", table, *options
    )
    run = _kedro(project, "run", f"--namespaces={name}")
    metrics = json.loads(
        (project / "data" / "08_reporting" / name / "metrics.json").read_text()
    )
    return draft, run, metrics


def measure_application(rows: int) -> dict[str, float]:
    """The Home Credit shape: draft, train, score; the model beside the oracle."""
    import pandas as pd
    from sklearn.metrics import average_precision_score, roc_auc_score

    with tempfile.TemporaryDirectory() as folder:
        project = Path(folder)
        _copy_project(project)
        table, truth = application_table(rows, seed=rows)
        table.to_csv(project / "application_train.csv", index=False)
        name = "applications"
        draft, train, metrics = draft_and_train(
            project,
            name,
            "application_train.csv",
            "--id",
            "SK_ID_CURR",
            "--label",
            "TARGET",
        )
        score = _kedro(project, "run", "--pipeline=score", f"--namespaces={name}")
        held = pd.read_parquet(
            project / "data" / "07_model_output" / name / "test_predictions.parquet"
        )
        probability = truth.set_axis(table["SK_ID_CURR"].astype(str))
        oracle = probability.loc[held["SK_ID_CURR"].astype(str)].to_numpy()
        y = held["label"].to_numpy()
    return {
        **_figures(rows, (draft, train, score), metrics),
        "pr_auc": metrics["pr_auc"]["value"],
        "oracle_roc_auc": roc_auc_score(y, oracle),
        "oracle_pr_auc": average_precision_score(y, oracle),
    }


def measure_segments(rows: int, source: str) -> dict[str, Any]:
    """A table without an outcome (a simulated source with its label column removed):
    draft it without --label, run, score; the drafted segments against the true
    archetypes, beside what the features can tell apart (the truth is given to the run
    as its `truth` entry, which only the evaluation reads)."""
    from risk_segments.synthetic.customer_base import (
        CustomerBaseConfig,
        generate_customer_base,
    )
    from risk_segments.synthetic.seller_panel import (
        SellerPanelConfig,
        generate_seller_panel,
    )

    if source == "customers":
        table, truth = generate_customer_base(
            CustomerBaseConfig(seed=rows, n_customers=rows, n_unlabeled=rows // 4)
        )
        options, label = ["--id", "customer_id"], "churned_60d"
    else:
        table, truth = generate_seller_panel(SellerPanelConfig(seed=rows, n_rows=rows))
        options = ["--id", "seller_id", "--date", "snapshot_date"]
        label = "high_risk_60d"
    as_of = str(table["snapshot_date"].max())[:10]
    with tempfile.TemporaryDirectory() as folder:
        project = Path(folder)
        _copy_project(project)
        table.drop(columns=[label]).to_csv(project / "table.csv", index=False)
        name = f"{source}_segments"
        start = time.perf_counter()
        draft = _kedro(
            project, "draft-use-case", "--name", name, "--table", "table.csv", *options
        )
        params = yaml.safe_load(
            (project / "conf" / "base" / f"parameters_{name}.yml").read_text()
        )[name]["schema"]
        truth = truth.rename(columns={"snapshot_date": params["date_column"]})
        truth.to_parquet(project / "truth.parquet")
        with (project / "conf" / "base" / f"catalog_{name}.yml").open("a") as out:
            out.write(
                f"\n{name}.truth:   # evaluation only\n  type: pandas.ParquetDataset\n"
                "  filepath: truth.parquet\n"
            )
        at = f"--params=as_of={as_of}"
        run = _kedro(project, "run", f"--namespaces={name}", at)
        score = _kedro(project, "run", "--pipeline=score", f"--namespaces={name}", at)
        reports = project / "data" / "08_reporting" / name
        stability = json.loads((reports / "segment_stability.json").read_text())
        scored = json.loads((reports / "score_summary.json").read_text())
    recovery = stability["truth_recovery"]
    return {
        "rows": len(table),
        "draft_s": draft,
        "run_s": run,
        "score_s": score,
        "total_s": time.perf_counter() - start,
        "scored_rows": scored["rows_out"],
        "segments": stability["segments"],
        "ari": recovery["segments_ari_on_ceiling_rows"],
        "ceiling": recovery["ceiling_ari"],
        "share": recovery["share_of_recoverable_found"],
        "min_jaccard": min(stability["resampling"]["jaccard_per_segment"].values()),
    }


def _figures(rows: int, seconds: tuple[float, ...], metrics: dict) -> dict[str, float]:
    """What every shape prints: the seconds of draft, run and score, and ROC-AUC."""
    return {
        "rows": rows,
        **dict(zip(("draft_s", "run_s", "score_s"), seconds, strict=True)),
        "roc_auc": metrics["roc_auc"]["value"],
        "logistic_roc_auc": metrics["baselines"]["logistic"]["roc_auc"]["value"],
    }


def measure(rows: int, wide: int = 0) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        project = Path(folder)
        _copy_project(project)
        table = churn_table(rows, seed=rows)
        noise = np.random.default_rng(rows).normal(size=(rows, wide)).round(3)
        for j in range(wide):
            table[f"reading_{j:03d}"] = noise[:, j]
        table.to_csv(project / "customers.csv", index=False)
        name = f"churn_{rows}"
        draft, train, metrics = draft_and_train(
            project, name, "customers.csv", "--id", "customerID", "--label", "Churn"
        )
        score = _kedro(project, "run", "--pipeline=score", f"--namespaces={name}")
    return _figures(rows, (draft, train, score), metrics)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="*", default=list(TARGETS))
    parser.add_argument("--wide", type=int, default=0, help="extra numeric columns")
    parser.add_argument(
        "--shape",
        choices=["churn", "application", "customers_segments", "sellers_segments"],
        default="churn",
    )
    args = parser.parse_args()
    if args.shape.endswith("_segments"):
        for rows in args.rows:
            m = measure_segments(rows, args.shape.removesuffix("_segments"))
            print(
                f"{args.shape} without its label, {m['rows']:,} rows: draft "
                f"{m['draft_s']:.1f} s, kedro run {m['run_s']:.1f} s, score run "
                f"{m['score_s']:.1f} s ({m['scored_rows']:,} rows) | {m['segments']} "
                f"segments, ARI {m['ari']:.3f} against the true archetypes, ceiling "
                f"{m['ceiling']:.3f}: share {m['share']:.2f}; weakest segment's "
                f"resampling Jaccard {m['min_jaccard']:.2f}"
            )
        return
    if args.shape == "application":
        for rows in args.rows:
            m = measure_application(rows)
            print(
                f"application table, {rows:,} rows: draft {m['draft_s']:.1f} s, kedro run "
                f"{m['run_s']:.1f} s, score run {m['score_s']:.1f} s | held out: ROC-AUC "
                f"{m['roc_auc']:.3f} (logistic {m['logistic_roc_auc']:.3f}, oracle "
                f"{m['oracle_roc_auc']:.3f}), PR-AUC {m['pr_auc']:.3f} (oracle "
                f"{m['oracle_pr_auc']:.3f})"
            )
        return
    print("rows     draft    kedro run (target)    score run   ROC-AUC (logistic)")
    for rows in args.rows:
        m = measure(rows, args.wide)
        target = None if args.wide else TARGETS.get(rows)
        verdict = (
            f"({target:.0f} s: {'met' if m['run_s'] <= target else 'NOT met'})"
            if target
            else ""
        )
        print(
            f"{rows:>7,}  {m['draft_s']:5.1f} s  {m['run_s']:6.1f} s {verdict:<16} "
            f"{m['score_s']:6.1f} s   {m['roc_auc']:.3f} ({m['logistic_roc_auc']:.3f})"
        )


if __name__ == "__main__":
    main()
