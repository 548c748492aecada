"""score pipeline, instantiated once per namespace."""

from kedro.pipeline import Pipeline, node

from risk_segments.namespaces import all_namespaces, per_namespace

from .nodes import check_score_input, score_rows, summarise_scoring


def create_template() -> Pipeline:
    """The un-namespaced nodes: rows to score + trained artifacts -> scores, summary, drift."""
    return Pipeline(
        [
            node(
                check_score_input,
                [
                    "score_input",
                    "risk_model",
                    "segmentation_model",
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
                    "risk_model",
                    "segmentation_model",
                    "scoring_reference",
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
                ["score_summary", "score_monitoring"],
                name="summarise_scoring",
            ),
        ]
    )


def create_pipeline(**kwargs) -> Pipeline:
    """One copy of the template per namespace, tagged with it."""
    return per_namespace(create_template, all_namespaces(), "score")
