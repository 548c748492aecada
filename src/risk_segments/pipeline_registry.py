"""Project pipelines: the names users type after `kedro run --pipeline=`."""

from __future__ import annotations

from kedro.pipeline import Pipeline

from risk_segments.pipelines import (
    data_processing,
    propensity,
    publish,
    reporting,
    score,
    segmentation,
    supervised_risk,
)


def register_pipelines() -> dict[str, Pipeline]:
    """Register the project's pipelines; `__default__` trains and reports, `score` scores."""
    pipelines = {
        "data_processing": data_processing.create_pipeline(),
        "supervised_risk": supervised_risk.create_pipeline(),
        "segmentation": segmentation.create_pipeline(),
        "reporting": reporting.create_pipeline(),
        "propensity": propensity.create_pipeline(),
        "publish": publish.create_pipeline(),
        "score": score.create_pipeline(),
    }
    pipelines["__default__"] = (
        pipelines["data_processing"]
        + pipelines["supervised_risk"]
        + pipelines["segmentation"]
        + pipelines["reporting"]
        + pipelines["propensity"]
        + pipelines["publish"]
    )
    return pipelines
