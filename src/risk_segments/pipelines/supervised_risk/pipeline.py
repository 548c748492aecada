"""supervised_risk pipeline, instantiated once per namespace."""

from kedro.pipeline import Pipeline, node

from risk_segments.namespaces import labeled_namespaces, per_namespace

from .nodes import (
    build_scoring_reference,
    evaluate_risk_model,
    explain_risk_model,
    predict_test_rows,
    split_labeled_rows,
    train_logistic_baseline,
    train_risk_model,
)


def create_template() -> Pipeline:
    """The un-namespaced nodes: labeled model_input -> model, metrics, importance."""
    return Pipeline(
        [
            node(
                split_labeled_rows,
                ["model_input", "params:schema", "params:supervised.split"],
                "data_split",
                name="split_labeled_rows",
            ),
            node(
                train_risk_model,
                [
                    "model_input",
                    "data_split",
                    "params:schema",
                    "params:derived",
                    "params:supervised",
                ],
                "risk_model",
                name="train_risk_model",
            ),
            node(
                train_logistic_baseline,
                [
                    "model_input",
                    "data_split",
                    "params:schema",
                    "params:derived",
                    "params:supervised",
                ],
                "logistic_baseline",
                name="train_logistic_baseline",
            ),
            node(
                predict_test_rows,
                [
                    "model_input",
                    "data_split",
                    "risk_model",
                    "logistic_baseline",
                    "truth",
                    "params:schema",
                    "params:supervised",
                ],
                "test_predictions",
                name="predict_test_rows",
            ),
            node(
                evaluate_risk_model,
                [
                    "test_predictions",
                    "risk_model",
                    "logistic_baseline",
                    "params:supervised",
                ],
                "metrics",
                name="evaluate_risk_model",
            ),
            node(
                build_scoring_reference,
                ["model_input", "risk_model", "params:schema", "params:score"],
                "scoring_reference",
                name="build_scoring_reference",
            ),
            node(
                explain_risk_model,
                [
                    "risk_model",
                    "model_input",
                    "data_split",
                    "test_predictions",
                    "params:schema",
                    "params:feature_labels",
                    "params:supervised",
                ],
                ["feature_importance", "shap_summary_plot", "top_risk_examples"],
                name="explain_risk_model",
            ),
        ]
    )


def create_pipeline(**kwargs) -> Pipeline:
    """One copy of the template per use case with a label, tagged with it."""
    return per_namespace(create_template, labeled_namespaces(), "supervised_risk")
