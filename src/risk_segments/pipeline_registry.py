"""Project pipelines: the names users type after `kedro run --pipeline=`.

Each stage in `pipelines/<name>` is found by Kedro's `find_pipelines`, which imports
only the stages a run asks for: `kedro run --pipeline=score` (the nightly batch)
does not import the training stages and their libraries.
"""

from __future__ import annotations

from kedro.framework.project import find_pipelines
from kedro.pipeline import Pipeline

# `__default__` trains and reports, in this order; `score` is run on its own
TRAINING = (
    "data_processing",
    "supervised_risk",
    "segmentation",
    "reporting",
    "propensity",
    "publish",
)


def register_pipelines() -> dict[str, Pipeline]:
    """Register the stages a run asks for (all of them when it names none)."""
    try:
        pipelines = find_pipelines(raise_errors=True)
    except ImportError as error:
        if error.__cause__ is not None:  # a stage failed to import: show why
            raise
        # a name no stage has: return the stages that exist, so that Kedro says
        # "Failed to find the pipeline named ..." and suggests the close ones
        pipelines = find_pipelines(raise_errors=False)
    if "__default__" in pipelines:  # every stage was loaded
        pipelines["__default__"] = sum(
            (pipelines[name] for name in TRAINING), start=Pipeline([])
        )
    return pipelines
