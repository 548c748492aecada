"""Kedro-Viz: the exported graph has the namespaces, the layers and the previews users expect."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import (
    ALL_NAMESPACES,
    ORDER_LOG_NAMESPACES,
    kedro_cli,
)

LAYERS = ["raw", "intermediate", "model_input", "models", "model_output", "reporting"]
PREVIEWS = {
    "raw_table": "TablePreview",
    "feature_importance": "TablePreview",
    "segment_profiles": "TablePreview",
    "metrics": "JSONPreview",
    "comparison": "JSONPreview",
    "shap_summary_plot": "ImagePreview",
    "report_figures": "ImagePreview",
    "precision_recall_chart": "PlotlyPreview",
    "label_efficiency_chart": "PlotlyPreview",
}


def _kedro(project: Path, *args: str) -> None:
    done = kedro_cli(project, *args)
    assert done.returncode == 0, (
        f"kedro {' '.join(args)} failed:\n{done.stderr[-3000:]}"
    )


@pytest.fixture(scope="module")
def viz_api(dev_project) -> Path:
    """`kedro viz build --include-previews` in the project copy `kedro run` ran in."""
    _kedro(dev_project, "viz", "build", "--include-previews")
    return dev_project / "build" / "api"


@pytest.fixture(scope="module")
def graph(viz_api) -> dict:
    return json.loads((viz_api / "main").read_text())


def test_the_graph_has_the_layers_in_order(graph):
    assert graph["layers"] == LAYERS


def test_the_pipelines_are_grouped_by_namespace(graph):
    assert set(ALL_NAMESPACES) <= set(graph["modular_pipelines"])
    assert {
        "__default__",
        "data_processing",
        "supervised_risk",
        "segmentation",
        "reporting",
        "score",
    } <= {p["id"] for p in graph["pipelines"]}
    for node in graph["nodes"]:
        if node["type"] == "task":
            assert node["modular_pipelines"], (
                f"node {node['name']} is outside every namespace"
            )


def test_catalog_datasets_sit_on_a_layer(graph):
    persisted = [
        n
        for n in graph["nodes"]
        if n["type"] == "data" and "MemoryDataset" not in (n.get("dataset_type") or "")
    ]
    assert len(persisted) > 40
    assert [n["name"] for n in persisted if not n.get("layer")] == []


@pytest.mark.parametrize("namespace", ALL_NAMESPACES)
def test_tables_metrics_and_plots_have_previews(graph, viz_api, namespace):
    ids = {n["name"]: n["id"] for n in graph["nodes"]}
    previews = dict(PREVIEWS)
    if (
        namespace in ORDER_LOG_NAMESPACES
    ):  # its raw source is a folder of files; the log is the table
        previews["transactions"] = previews.pop("raw_table")
    for dataset, kind in previews.items():
        details = json.loads(
            (viz_api / "nodes" / ids[f"{namespace}.{dataset}"]).read_text()
        )
        assert details.get("preview_type") == kind, (
            f"{namespace}.{dataset}: {details.get('preview_type')}"
        )
        assert details.get("preview"), f"{namespace}.{dataset} has an empty preview"


def test_a_use_case_name_no_pipeline_has_gets_the_names_there_are(tmp_path):
    """`kedro run --namespaces=customer_chrun` (a typo, or a use case not drafted yet)
    ended in Kedro's traceback of `Pipeline.filter`; it says which names there are."""
    from tests.helpers import copy_project

    project = copy_project(tmp_path)
    done = kedro_cli(project, "run", "--pipeline=score", "--namespaces=customer_chrun")
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert "no use case named customer_chrun ('customer_chrun': did you mean " in (
        done.stderr
    )
    assert "the use cases are customer_churn, repeat_purchase, seller_risk" in (
        done.stderr
    )
