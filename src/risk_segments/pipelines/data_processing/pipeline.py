"""data_processing pipeline: per tabular namespace, and per order-log namespace."""

from kedro.pipeline import Pipeline, node

from risk_segments.namespaces import (
    order_log_namespaces,
    per_namespace,
    tabular_namespaces,
)

from .customer_view import build_customer_view, transactions_and_source
from .nodes import add_history_features, build_model_input, validate_raw_table


def create_template() -> Pipeline:
    """The un-namespaced nodes: raw_table -> model_input."""
    return Pipeline(
        [
            node(
                validate_raw_table,
                inputs=["raw_table", "params:schema"],
                outputs="validated_table",
                name="validate_raw_table",
            ),
            node(
                add_history_features,
                inputs=["validated_table", "params:schema", "params:derived"],
                outputs="featured_table",
                name="add_history_features",
            ),
            node(
                build_model_input,
                inputs=["featured_table", "params:schema", "params:derived"],
                outputs="model_input",
                name="build_model_input",
            ),
        ]
    )


def create_order_log_template() -> Pipeline:
    """Order log -> transactions -> customer view at stacked cutoffs (+ spend target), then
    the tabular template on that view (its history step is a no-op: `derived` is null)."""
    return (
        Pipeline(
            [
                node(
                    transactions_and_source,
                    inputs=["raw_orders", "params:customer_view"],
                    outputs=["transactions", "orders_source"],
                    name="to_transactions",
                ),
                node(
                    build_customer_view,
                    inputs=["transactions", "params:customer_view", "params:schema"],
                    outputs=["raw_table", "spend_target"],
                    name="build_customer_view",
                ),
            ]
        )
        + create_template()
    )


def create_pipeline(**kwargs) -> Pipeline:
    """One copy of the template per namespace, tagged with it."""
    return per_namespace(
        create_template, tabular_namespaces(), "data_processing"
    ) + per_namespace(
        create_order_log_template, order_log_namespaces(), "data_processing"
    )
