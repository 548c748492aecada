"""score pipeline, instantiated once per namespace."""

from kedro.pipeline import Pipeline, node

from risk_segments.namespaces import all_namespaces, per_namespace

from .nodes import check_score_input, score_rows, select_artifacts, summarise_scoring


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


def create_pipeline(**kwargs) -> Pipeline:
    """One copy of the template per namespace, tagged with it."""
    return per_namespace(create_template, all_namespaces(), "score")
