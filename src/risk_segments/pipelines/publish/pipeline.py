"""publish pipeline, instantiated once per namespace: the last step of training."""

from kedro.pipeline import Pipeline, node

from risk_segments.namespaces import (
    labeled_namespaces,
    per_namespace,
    segments_namespaces,
)

from .nodes import build_segments_reference, publish_artifacts, publish_segments


def create_template() -> Pipeline:
    """The un-namespaced node: model + segmentation + reference -> one artifact set."""
    return Pipeline(
        [
            node(
                publish_artifacts,
                [
                    "risk_model",
                    "segmentation_model",
                    "scoring_reference",
                    "model_input",
                    "params:schema",
                    "params:derived",
                    "params:supervised",
                    "params:segmentation",
                ],
                "artifact_set",
                name="publish_artifacts",
            )
        ]
    )


def create_segments_template() -> Pipeline:
    """A use case without a label: segmentation + its reference -> one artifact set."""
    return Pipeline(
        [
            node(
                build_segments_reference,
                [
                    "model_input",
                    "segmentation_model",
                    "params:schema",
                    "params:derived",
                    "params:score",
                ],
                "scoring_reference",
                name="build_scoring_reference",
            ),
            node(
                publish_segments,
                [
                    "segmentation_model",
                    "scoring_reference",
                    "model_input",
                    "params:schema",
                    "params:derived",
                    "params:segmentation",
                ],
                "artifact_set",
                name="publish_artifacts",
            ),
        ]
    )


def create_pipeline(**kwargs) -> Pipeline:
    """One copy of the template per namespace (of its kind), tagged with it."""
    return per_namespace(create_template, labeled_namespaces(), "publish") + (
        per_namespace(create_segments_template, segments_namespaces(), "publish")
    )
