"""Helpers the tests share: configuration, in-memory catalogs, running pipelines and scoring."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
from kedro.config import OmegaConfigLoader
from kedro.io import DataCatalog, MemoryDataset
from kedro.runner import SequentialRunner

from risk_segments.datasets import NoTruthDataset
from risk_segments.pipelines.score.nodes import (
    check_score_input,
    score_rows,
    summarise_scoring,
)
from risk_segments.settings import CONFIG_LOADER_ARGS, CONFIG_LOADER_CLASS
from risk_segments.use_cases import declared

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def load_config(env: str = "dev") -> OmegaConfigLoader:
    """The project's configuration for an environment, as `kedro run --env` sees it."""
    return CONFIG_LOADER_CLASS(
        conf_source=str(PROJECT_ROOT / "conf"),
        env=env,
        **{k: v for k, v in CONFIG_LOADER_ARGS.items() if k != "default_run_env"},
    )


def in_memory_catalog(config: OmegaConfigLoader) -> DataCatalog:
    """Raw sources from the environment's catalog; every other dataset in memory."""
    catalog_conf = {
        name: entry
        for name, entry in config["catalog"].items()
        if "{" not in name and name.endswith((".raw_table", ".truth", ".raw_orders"))
    }
    catalog = DataCatalog.from_config(catalog_conf)
    for namespace in declared(config["parameters"]):  # the factory's default: no truth
        if f"{namespace}.truth" not in catalog_conf:
            catalog[f"{namespace}.truth"] = NoTruthDataset()
        catalog[f"{namespace}.previous_score_status"] = MemoryDataset({})  # none yet
    for name, value in config["parameters"].items():
        catalog[f"params:{name}"] = MemoryDataset(value)
        if isinstance(value, dict):
            _add_nested_params(catalog, f"params:{name}", value)
    return catalog


def _add_nested_params(catalog: DataCatalog, prefix: str, value: dict) -> None:
    for key, sub in value.items():
        catalog[f"{prefix}.{key}"] = MemoryDataset(sub)
        if isinstance(sub, dict):
            _add_nested_params(catalog, f"{prefix}.{key}", sub)


class KeptMemoryDataset(MemoryDataset):
    """A MemoryDataset the runner cannot release, so tests can inspect intermediates."""

    def _release(self) -> None:
        pass


def copy_catalog(catalog: DataCatalog) -> DataCatalog:
    """A new catalog with the same datasets: adding or replacing an entry in the copy
    leaves the original as it was (memory datasets hand out copies of tables on load)."""
    return DataCatalog(datasets={name: catalog.get(name) for name in catalog.keys()})


def catboost_shap(model, rows):
    """Rows x features SHAP values straight from CatBoost's `ShapValues` (without its
    last, expected-value column): what the per-leaf tables must reproduce."""
    return model.model.get_feature_importance(
        data=text_pool(model, rows), type="ShapValues"
    )[:, :-1]


def text_pool(model, rows):
    """The pool CatBoost was trained on: categoricals as one string per row (scoring
    builds its pools from pandas Categoricals of the same text)."""
    from catboost import Pool

    from risk_segments.modeling.risk_model import prepare_features

    return Pool(
        prepare_features(rows, model.spec), cat_features=model.spec["categorical"]
    )


def run_in_memory(pipeline, catalog: DataCatalog) -> DataCatalog:
    """Run a pipeline with every dataset it makes kept in memory for inspection."""
    for name in pipeline.datasets():
        if not name.startswith("params:") and name not in catalog:
            catalog[name] = KeptMemoryDataset()
    SequentialRunner().run(pipeline, catalog)
    return catalog


def run_score(catalog, params, namespace, score_input, chunk_size=1000, **overrides):
    """The three score nodes, called directly, as the pipeline chains them; the scores
    come back as one pandas DataFrame whichever engine made them."""
    p = params[namespace]
    score = {**p["score"], "chunk_size": chunk_size, **overrides}
    risk_model = catalog.load(f"{namespace}.risk_model")
    segmentation_model = catalog.load(f"{namespace}.segmentation_model")
    preflight = check_score_input(
        score_input, risk_model, segmentation_model, p["schema"], p["derived"], score
    )
    scored, summary = score_rows(
        score_input,
        preflight,
        risk_model,
        segmentation_model,
        catalog.load(f"{namespace}.scoring_reference"),
        p["schema"],
        p["derived"],
        p["feature_labels"],
        score,
    )
    if hasattr(scored, "toPandas"):  # a Spark DataFrame
        scores = scored.toPandas()
    else:
        scores = pd.concat(list(scored), ignore_index=True)
    report, monitoring, _ = summarise_scoring(summary, score)
    return scores, report, monitoring


# The built-in use cases the tests exercise (declared in conf/base/parameters_*.yml).
TABULAR_NAMESPACES = ("seller_risk", "customer_churn")
ORDER_LOG_NAMESPACES = ("repeat_purchase",)
ALL_NAMESPACES = TABULAR_NAMESPACES + ORDER_LOG_NAMESPACES


def copy_project(target: Path, *, local_env: str | None = None) -> Path:
    """A copy of the project (source, configuration, the shipped order log) to run
    `kedro` in; `local_env` becomes its conf/local (else conf/local is empty)."""
    for item in ("pyproject.toml", ".telemetry"):
        shutil.copy(PROJECT_ROOT / item, target / item)
    shutil.copytree(
        PROJECT_ROOT / "conf", target / "conf", ignore=shutil.ignore_patterns("local")
    )
    if local_env:
        shutil.copytree(PROJECT_ROOT / "conf" / local_env, target / "conf" / "local")
    else:
        (target / "conf" / "local").mkdir()
    shutil.copytree(
        PROJECT_ROOT / "src",
        target / "src",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    cdnow = Path("data") / "01_raw" / "cdnow"
    shutil.copytree(PROJECT_ROOT / cdnow, target / cdnow)
    return target


def kedro_cli(project: Path, *args: str) -> subprocess.CompletedProcess:
    """`kedro <args>` in a project folder, as a user types it (no telemetry)."""
    env = {**os.environ, "KEDRO_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "1"}
    env.pop("KEDRO_ENV", None)
    return subprocess.run(
        [sys.executable, "-m", "kedro", *args],
        check=False,
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
