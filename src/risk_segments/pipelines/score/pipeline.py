"""score pipeline, instantiated once per namespace."""

from typing import Any

from kedro.pipeline import Node, Pipeline, node

from risk_segments.namespaces import (
    labeled_namespaces,
    order_log_namespaces,
    per_namespace,
    segments_namespaces,
)

from .nodes import (
    assign_rows,
    check_score_input,
    check_segment_input,
    score_rows,
    select_artifacts,
    select_artifacts_for_log,
    select_segment_artifacts,
    summarise_scoring,
)

# the last node of both templates: the streamed summary -> summary, PSI table, status
SUMMARY = node(
    summarise_scoring,
    ["score_stream_summary", "params:score"],
    ["score_summary", "score_monitoring", "score_status"],
    name="summarise_scoring",
)


def _stream_node(function: Any, artifacts: list[str]) -> Node:
    """The node that streams the rows through the scoring core with the artifacts."""
    return node(
        function,
        [
            "score_input",
            "score_preflight",
            *artifacts,
            "scoring_reference_used",
            "params:schema",
            "params:derived",
            "params:feature_labels",
            "params:score",
        ],
        ["scores", "score_stream_summary"],
        name="score_rows",
    )


# an order log scores the customer view built from its log: checked current first
FOR_LOG = ["raw_orders", "orders_source", "params:schema"]


def create_template(order_log: bool = False) -> Pipeline:
    """The un-namespaced nodes: one training run's artifacts + rows to score ->
    scores, summary, drift, and the run's status."""
    return Pipeline(
        [
            node(
                select_artifacts_for_log if order_log else select_artifacts,
                ["artifact_set", "params:score", *(FOR_LOG if order_log else [])],
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
                    "previous_score_status",
                ],
                "score_preflight",
                name="check_score_input",
            ),
            _stream_node(score_rows, ["scoring_model", "scoring_segmentation"]),
            SUMMARY,
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
                    "previous_score_status",
                ],
                "score_preflight",
                name="check_score_input",
            ),
            _stream_node(assign_rows, ["scoring_segmentation"]),
            SUMMARY,
        ]
    )


def create_pipeline(**kwargs) -> Pipeline:
    """One copy of the template per namespace (of its kind), tagged with it."""
    logs = order_log_namespaces()
    tables = [ns for ns in labeled_namespaces() if ns not in logs]
    return (
        per_namespace(create_template, tables, "score")
        + per_namespace(lambda: create_template(order_log=True), logs, "score")
        + per_namespace(create_segments_template, segments_namespaces(), "score")
    )
