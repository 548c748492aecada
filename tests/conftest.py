"""Shared fixtures: project configuration and small in-memory catalogs.

Helpers live in `tests/helpers.py`; the trained catalog is built once per
session and every test gets its own copy, so no test can change another's.
"""

from __future__ import annotations

import copy

import pytest
from kedro.io import DataCatalog

from tests.helpers import (
    copy_catalog,
    copy_project,
    in_memory_catalog,
    kedro_cli,
    load_config,
    run_in_memory,
)


@pytest.fixture(scope="session")
def dev_config():
    return load_config("dev")


@pytest.fixture(scope="session")
def _dev_params(dev_config) -> dict:
    return dev_config["parameters"]


@pytest.fixture
def dev_params(_dev_params) -> dict:
    """The dev parameters; a deep copy per test."""
    return copy.deepcopy(_dev_params)


@pytest.fixture
def dev_catalog(dev_config) -> DataCatalog:
    return in_memory_catalog(dev_config)


@pytest.fixture(scope="session")
def _trained_dev_catalog(dev_config) -> DataCatalog:
    """The training run (data_processing, supervised_risk, segmentation, publish) on dev data."""
    from risk_segments.pipelines import (
        data_processing,
        publish,
        segmentation,
        supervised_risk,
    )

    pipeline = (
        data_processing.create_pipeline()
        + supervised_risk.create_pipeline()
        + segmentation.create_pipeline()
        + publish.create_pipeline()
    )
    return run_in_memory(pipeline, in_memory_catalog(dev_config))


@pytest.fixture
def trained_dev_catalog(_trained_dev_catalog) -> DataCatalog:
    """A copy of the trained dev catalog for one test: entries it adds stay its own."""
    return copy_catalog(_trained_dev_catalog)


@pytest.fixture(scope="session")
def dev_project(tmp_path_factory):
    """A copy of the project in which `kedro run` has run on dev data, as a user types
    it (conf/local is the dev environment, so `kedro viz` reads the same). Shared by the
    Kedro-Viz and MLflow tests: one training run for both."""
    project = copy_project(tmp_path_factory.mktemp("project"), local_env="dev")
    done = kedro_cli(project, "run")
    assert done.returncode == 0, f"kedro run failed:\n{done.stderr[-3000:]}"
    return project
