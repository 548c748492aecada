"""propensity pipeline, instantiated once per order-log namespace."""

from kedro.pipeline import Pipeline, node

from risk_segments.namespaces import order_log_namespaces, per_namespace

from .nodes import (
    draw_model_plots,
    evaluate_propensity,
    rank_customers,
    train_spend_model,
)


def create_template() -> Pipeline:
    """Spend model, its evaluation beside baselines, the ranked customers and model_plots.png."""
    return Pipeline(
        [
            node(
                train_spend_model,
                [
                    "model_input",
                    "spend_target",
                    "data_split",
                    "params:schema",
                    "params:derived",
                    "params:customer_view",
                    "params:spend",
                ],
                "spend_model",
                name="train_spend_model",
            ),
            node(
                evaluate_propensity,
                [
                    "test_predictions",
                    "model_input",
                    "spend_target",
                    "data_split",
                    "spend_model",
                    "params:schema",
                    "params:customer_view",
                    "params:supervised",
                ],
                "propensity_metrics",
                name="evaluate_propensity",
            ),
            node(
                rank_customers,
                [
                    "model_input",
                    "risk_model",
                    "spend_model",
                    "segment_assignments",
                    "params:schema",
                ],
                "user_propensity_scores",
                name="rank_customers",
            ),
            node(
                draw_model_plots,
                [
                    "test_predictions",
                    "metrics",
                    "feature_importance",
                    "propensity_metrics",
                ],
                "model_plots",
                name="draw_model_plots",
            ),
        ]
    )


def create_pipeline(**kwargs) -> Pipeline:
    """One copy of the template per order-log namespace, tagged with it."""
    return per_namespace(create_template, order_log_namespaces(), "propensity")
