"""Nodes that turn a raw entity table into the validated model-input table.

The functions live in `risk_segments.modeling.features`, because scoring turns
rows to score into model input with the very same code.
"""

from risk_segments.modeling.features import (
    add_history_features,
    build_model_input,
    validate_raw_table,
)

__all__ = ["add_history_features", "build_model_input", "validate_raw_table"]
