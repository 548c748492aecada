"""Compare the outputs of two runs: are the metrics, reports and scores identical?

    uv run python scripts/compare_outputs.py OLD_DATA_DIR NEW_DATA_DIR

Reads every namespace's reporting JSON, tables and scores under the two `data/`
folders and prints each difference (path, old value, new value). Run-specific
fields (model and segmentation versions, checksums, timings) are left out.
Exits 1 if anything differs, 0 if the two runs are identical.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pandas as pd

IGNORED_KEYS = {"version", "sha256", "seconds", "model_version", "segmentation_version"}
JSON_FILES = (
    "08_reporting/{ns}/metrics.json",
    "08_reporting/{ns}/comparison.json",
    "08_reporting/{ns}/segment_stability.json",
    "08_reporting/{ns}/segment_risk_summary.json",
    "08_reporting/{ns}/propensity_metrics.json",
    "08_reporting/{ns}/score_summary.json",
    "06_models/{ns}/scoring_reference.json",
)
TABLES = (
    "05_model_input/{ns}/model_input.parquet",
    "05_model_input/{ns}/data_split.parquet",
    "07_model_output/{ns}/test_predictions.parquet",
    "07_model_output/{ns}/segment_assignments.parquet",
    "07_model_output/{ns}/scores.parquet",
    "08_reporting/{ns}/feature_importance.parquet",
    "08_reporting/{ns}/segment_profiles.parquet",
    "08_reporting/{ns}/segment_risk.parquet",
    "08_reporting/{ns}/label_efficiency.parquet",
    "08_reporting/{ns}/score_monitoring.parquet",
    "08_reporting/{ns}/top_risk_examples.csv",
    "08_reporting/{ns}/user_propensity_scores.csv",
)


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    return a == b


def diff_json(old: object, new: object, path: str = "") -> list[str]:
    """Every leaf that differs, as 'path: old -> new'."""
    if isinstance(old, dict) and isinstance(new, dict):
        out = []
        for key in sorted(set(old) | set(new), key=str):
            if key in IGNORED_KEYS:
                continue
            if key not in old or key not in new:
                out.append(f"{path}/{key}: only in {'new' if key in new else 'old'}")
                continue
            out += diff_json(old[key], new[key], f"{path}/{key}")
        return out
    if isinstance(old, list) and isinstance(new, list):
        if len(old) != len(new):
            return [f"{path}: {len(old)} items -> {len(new)} items"]
        return [
            d
            for i, (a, b) in enumerate(zip(old, new, strict=True))
            for d in diff_json(a, b, f"{path}[{i}]")
        ]
    return [] if _same(old, new) else [f"{path}: {old!r} -> {new!r}"]


def diff_table(old: pd.DataFrame, new: pd.DataFrame) -> list[str]:
    """Columns, row counts and values that differ (run-specific columns left out)."""
    old = old.drop(columns=[c for c in old.columns if c in IGNORED_KEYS])
    new = new.drop(columns=[c for c in new.columns if c in IGNORED_KEYS])
    if list(old.columns) != list(new.columns):
        return [f"columns {list(old.columns)} -> {list(new.columns)}"]
    if len(old) != len(new):
        return [f"{len(old)} rows -> {len(new)} rows"]
    try:
        pd.testing.assert_frame_equal(old, new, check_exact=True)
    except AssertionError as err:
        return [str(err).replace("\n", " ")[:400]]
    return []


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path) if path.suffix == ".csv" else pd.read_parquet(path)


def main(old_root: Path, new_root: Path) -> int:
    namespaces = sorted(
        p.name for p in (old_root / "08_reporting").iterdir() if p.is_dir()
    )
    differences, compared = [], 0
    for ns in namespaces:
        for pattern in JSON_FILES + TABLES:
            rel = pattern.format(ns=ns)
            old, new = old_root / rel, new_root / rel
            if not old.exists() and not new.exists():
                continue
            if not (old.exists() and new.exists()):
                differences.append(f"{rel}: only in {'new' if new.exists() else 'old'}")
                continue
            compared += 1
            found = (
                diff_json(json.loads(old.read_text()), json.loads(new.read_text()))
                if rel.endswith(".json")
                else diff_table(_read(old), _read(new))
            )
            differences += [f"{rel} {d}" for d in found]
    for line in differences:
        print(line)
    print(
        f"{compared} files compared in {len(namespaces)} namespaces: "
        f"{'identical' if not differences else f'{len(differences)} differences'}"
    )
    return 1 if differences else 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
