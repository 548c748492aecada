"""score pipeline, instantiated once per namespace."""

from kedro.pipeline import Pipeline, node

from risk_segments.namespaces import (
    labeled_namespaces,
    per_namespace,
    segments_namespaces,
)

from .nodes import (
    assign_rows,
    check_score_input,
    check_segment_input,
    score_rows,
    select_artifacts,
    select_segment_artifacts,
    summarise_scoring,
)


def create_template() -> Pipeline:
    """The un-namespaced nodes: one training run's artifacts + rows to score ->
    scores, summary, drift, and the run's status."""
    return Pipeline(
        [
            node(
                select_artifacts,
                ["artifact_set", "params:score"],
                ["scoring_model", "scoring_segmentation", "scoring_reference_used"],
                name="select_artifacts",
            ),
            node(
                check_score_input,
                [
                    "score_input",
                    "scoring_model",
                    "scoring_segmentation",
                    "params:schema",
                    "params:derived",
                    "params:score",
                ],
                "score_preflight",
                name="check_score_input",
            ),
            node(
                score_rows,
                [
                    "score_input",
                    "score_preflight",
                    "scoring_model",
                    "scoring_segmentation",
                    "scoring_reference_used",
                    "params:schema",
                    "params:derived",
                    "params:feature_labels",
                    "params:score",
                ],
                ["scores", "score_stream_summary"],
                name="score_rows",
            ),
            node(
                summarise_scoring,
                ["score_stream_summary", "params:score"],
                ["score_summary", "score_monitoring", "score_status"],
                name="summarise_scoring",
            ),
        ]
    )


def create_segments_template() -> Pipeline:
    """A use case without a label: rows to score -> segments, summary, drift, status
    with the run's segmentation and reference (the same checks, no risk model)."""
    return Pipeline(
        [
            node(
                select_segment_artifacts,
                ["artifact_set", "params:score"],
                ["scoring_segmentation", "scoring_reference_used"],
                name="select_artifacts",
            ),
            node(
                check_segment_input,
                [
                    "score_input",
                    "scoring_segmentation",
                    "params:schema",
                    "params:derived",
                    "params:score",
                ],
                "score_preflight",
                name="check_score_input",
            ),
            node(
                assign_rows,
                [
                    "score_input",
                    "score_preflight",
                    "scoring_segmentation",
                    "scoring_reference_used",
                    "params:schema",
                    "params:derived",
                    "params:feature_labels",
                    "params:score",
                ],
                ["scores", "score_stream_summary"],
                name="score_rows",
            ),
            node(
                summarise_scoring,
                ["score_stream_summary", "params:score"],
                ["score_summary", "score_monitoring", "score_status"],
                name="summarise_scoring",
            ),
        ]
    )


def create_pipeline(**kwargs) -> Pipeline:
    """One copy of the template per namespace (of its kind), tagged with it."""
    return per_namespace(create_template, labeled_namespaces(), "score") + (
        per_namespace(create_segments_template, segments_namespaces(), "score")
    )
