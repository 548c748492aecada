"""segmentation pipeline, instantiated once per namespace."""

from kedro.pipeline import Pipeline, node

from risk_segments.namespaces import all_namespaces, per_namespace

from .nodes import (
    assign_segments,
    check_segment_stability,
    fit_segmentation_model,
    profile_segments,
)


def create_template() -> Pipeline:
    """The un-namespaced nodes: all rows of model_input -> segments, profiles, stability."""
    return Pipeline(
        [
            node(
                fit_segmentation_model,
                [
                    "model_input",
                    "params:schema",
                    "params:segmentation",
                    "params:feature_labels",
                ],
                "segmentation_model",
                name="fit_segmentation_model",
            ),
            node(
                assign_segments,
                ["model_input", "segmentation_model", "params:schema"],
                "segment_assignments",
                name="assign_segments",
            ),
            node(
                profile_segments,
                [
                    "model_input",
                    "segment_assignments",
                    "segmentation_model",
                    "params:schema",
                    "params:segmentation",
                    "params:feature_labels",
                ],
                ["segment_profiles", "segment_heatmap"],
                name="profile_segments",
            ),
            node(
                check_segment_stability,
                [
                    "model_input",
                    "segmentation_model",
                    "segment_assignments",
                    "truth",
                    "params:schema",
                    "params:segmentation",
                ],
                "segment_stability",
                name="check_segment_stability",
            ),
        ]
    )


def create_pipeline(**kwargs) -> Pipeline:
    """One copy of the template per namespace, tagged with it."""
    return per_namespace(create_template, all_namespaces(), "segmentation")
