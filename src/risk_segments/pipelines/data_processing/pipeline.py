"""data_processing pipeline, instantiated once per tabular namespace."""

from kedro.pipeline import Pipeline, node

from risk_segments.namespaces import TABULAR_NAMESPACES

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


def create_pipeline(**kwargs) -> Pipeline:
    """One copy of the template per namespace, tagged with it."""
    return sum(
        (
            Pipeline(
                create_template(),
                namespace=namespace,
                tags=[namespace, "data_processing"],
            )
            for namespace in TABULAR_NAMESPACES
        ),
        Pipeline([]),
    )
