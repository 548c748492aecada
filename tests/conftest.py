"""Shared fixtures: project configuration and small in-memory catalogs."""

from __future__ import annotations

from pathlib import Path

import pytest
from kedro.config import OmegaConfigLoader
from kedro.io import DataCatalog, MemoryDataset

from risk_segments.settings import CONFIG_LOADER_ARGS

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def load_config(env: str = "dev") -> OmegaConfigLoader:
    """The project's configuration for an environment, as `kedro run --env` sees it."""
    return OmegaConfigLoader(
        conf_source=str(PROJECT_ROOT / "conf"),
        env=env,
        **{k: v for k, v in CONFIG_LOADER_ARGS.items() if k != "default_run_env"},
    )


@pytest.fixture(scope="session")
def dev_config() -> OmegaConfigLoader:
    return load_config("dev")


@pytest.fixture(scope="session")
def dev_params(dev_config) -> dict:
    return dev_config["parameters"]


def in_memory_catalog(config: OmegaConfigLoader) -> DataCatalog:
    """Raw sources from the environment's catalog; every other dataset in memory."""
    catalog_conf = {
        name: entry
        for name, entry in config["catalog"].items()
        if "{" not in name and name.endswith((".raw_table", ".truth", ".raw_orders"))
    }
    catalog = DataCatalog.from_config(catalog_conf)
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


def run_in_memory(pipeline, catalog: DataCatalog) -> DataCatalog:
    """Run a pipeline with every dataset it makes kept in memory for inspection."""
    from kedro.runner import SequentialRunner

    for name in pipeline.datasets():
        if not name.startswith("params:") and name not in catalog:
            catalog[name] = KeptMemoryDataset()
    SequentialRunner().run(pipeline, catalog)
    return catalog


@pytest.fixture
def dev_catalog(dev_config) -> DataCatalog:
    return in_memory_catalog(dev_config)


@pytest.fixture(scope="session")
def trained_dev_catalog(dev_config) -> DataCatalog:
    """The default training run (data_processing, supervised_risk, segmentation) on dev data, in memory."""
    from risk_segments.pipelines import data_processing, segmentation, supervised_risk

    pipeline = (
        data_processing.create_pipeline()
        + supervised_risk.create_pipeline()
        + segmentation.create_pipeline()
    )
    return run_in_memory(pipeline, in_memory_catalog(dev_config))


def run_score(catalog, params, namespace, score_input, chunk_size=1000, **overrides):
    """The three score nodes, called directly, as the pipeline chains them; the scores
    come back as one pandas DataFrame whichever engine made them."""
    import pandas as pd

    from risk_segments.pipelines.score.nodes import (
        check_score_input,
        score_rows,
        summarise_scoring,
    )

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
    report, monitoring = summarise_scoring(summary, score)
    return scores, report, monitoring
