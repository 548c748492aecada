"""publish pipeline, instantiated once per namespace: the last step of training."""

from kedro.pipeline import Pipeline, node

from risk_segments.namespaces import all_namespaces, per_namespace

from .nodes import publish_artifacts


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


def create_pipeline(**kwargs) -> Pipeline:
    """One copy of the template per namespace, tagged with it."""
    return per_namespace(create_template, all_namespaces(), "publish")
