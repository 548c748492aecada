"""kedro-mlflow's hook, each node's parameters logged in one MLflow call.

kedro-mlflow logs the parameters a node reads before it runs, one `log_param` (one
SQLite transaction, about 3 ms here) per flattened parameter: 162 for a score run,
half a second of the nightly batch's own time. This hook is kedro-mlflow's own with
that one change: a node's parameters are gathered and logged by one `log_params`
call, under the same names and values; a value too long for MLflow still follows
`long_params_strategy` (truncate, tag or fail) as kedro-mlflow applies it.
`settings.py` registers it in place of the plugin's hook when the `mlflow` extra is
installed (importing this module needs kedro-mlflow).

A second change: a parameter whose name MLflow does not take (a user's column
"Premium (EUR)" under `schema.numeric`) is renamed as kedro-mlflow renames it, but
said once per run at INFO, not as a warning at every node that reads it.
"""

from __future__ import annotations

import re
from importlib.metadata import distribution
from typing import Any

import mlflow
from kedro.framework.hooks import hook_impl
from kedro_mlflow.framework.hooks.mlflow_hook import (
    MAX_PARAM_VAL_LENGTH,
    MlflowHook,
    is_windows,
)

# the name Kedro knows the plugin by (`DISABLE_HOOKS_FOR_PLUGINS`)
KEDRO_MLFLOW = distribution("kedro-mlflow").metadata["Name"]


class BatchedParamsMlflowHook(MlflowHook):
    """`MlflowHook`, a node's parameters logged in one batch (see the module)."""

    def __init__(self) -> None:
        super().__init__()
        self._pending: dict[str, Any] | None = None
        self._renamed: set[str] = set()

    @hook_impl
    def before_node_run(
        self, node: Any, catalog: Any, inputs: dict[str, Any], is_async: bool
    ) -> None:
        self._pending = {}
        try:
            super().before_node_run(
                node=node, catalog=catalog, inputs=inputs, is_async=is_async
            )
            pending = self._pending
        finally:
            self._pending = None
        if pending:
            mlflow.log_params(pending)

    def _log_param(self, name: str, value: Any) -> None:
        if self._pending is not None and len(str(value)) <= MAX_PARAM_VAL_LENGTH:
            self._pending[name] = value
            return None
        return super()._log_param(name, value)

    def sanitize_param_name(self, name: str) -> str:
        """kedro-mlflow's renaming (characters MLflow refuses become '_'), said once."""
        refused = r"[^/\w.\- ]" if is_windows() else r"[^/\w.\- :]"
        renamed = re.sub(refused, "_", name)
        if renamed != name and name not in self._renamed:
            self._renamed.add(name)
            self._logger.info("MLflow parameter '%s' is logged as '%s'", name, renamed)
        return renamed
