"""Experiment tracking: one MLflow run per use case, nested in kedro-mlflow's run.

With the `mlflow` extra installed (`uv sync --extra mlflow`), kedro-mlflow opens an
MLflow run for every `kedro run` (configured in `conf/base/mlflow.yml`) and logs the
parameters the nodes read. This hook adds, inside it, one child run per use case the
run touched, so runs of one use case can be compared side by side:

* training: the use case's parameters (flattened: `supervised.depth`), the numbers
  of `metrics.json` (`roc_auc`, `pr_auc`, `f1`, `roc_auc.ci_low`,
  `baselines.logistic.roc_auc`, `oracle.roc_auc`...), the CatBoost model as its
  `.cbm` file with its metadata, the report HTML and figures, and the training run
  id and manifest of the published artifact set;
* scoring: rows in and out, the warning counts, the PSI of every feature and the
  drift alarms, the summary, and the training run whose artifacts scored.

What to log is recognised by the catalog names the pipelines save (`<use
case>.metrics`, `.report_html`, ...); nothing here names a use case. Without MLflow,
or with tracking turned off for a pipeline in `mlflow.yml`, the hook does nothing.
"""

from __future__ import annotations

import json
import logging
import math
import re
import tempfile
from pathlib import Path
from typing import Any

from kedro.framework.hooks import hook_impl

logger = logging.getLogger(__name__)

# catalog suffix -> what it holds; each is kept when saved and logged after the run
FIGURES = ("report_figures", "model_plots", "shap_summary_plot", "segment_heatmap")
TRACKED = (
    "metrics",
    "propensity_metrics",
    "segments_summary",  # a use case without a label: its segments' figures
    "report_html",
    *FIGURES,
    "risk_model",
    "artifact_set",
    "score_summary",
    "score_monitoring",
)
MAX_PARAM_LENGTH = 6000  # MLflow's limit on a parameter's value
_NAME = re.compile(r"[^0-9A-Za-z_\-. /]")


def metric_name(name: str) -> str:
    """A name MLflow accepts (letters, digits, `_ - . / ` and space)."""
    return _NAME.sub("_", name)


def flatten_metrics(values: Any, path: tuple[str, ...] = ()) -> dict[str, float]:
    """Every finite number of a nested dict, named by its path; `{'roc_auc': {'value':
    x, 'ci_low': y}}` gives `roc_auc` (the estimate) and `roc_auc.ci_low`."""
    out: dict[str, float] = {}
    if isinstance(values, dict):
        for key, value in values.items():
            out.update(
                flatten_metrics(value, path if key == "value" else (*path, str(key)))
            )
    elif isinstance(values, int | float) and not isinstance(values, bool):
        if path and math.isfinite(values):
            out[metric_name(".".join(path))] = float(values)
    return out


def flatten_params(values: Any, path: tuple[str, ...] = ()) -> dict[str, str]:
    """A parameter block as `a.b.c` -> text (lists as JSON, cut at MLflow's limit)."""
    if isinstance(values, dict):
        out: dict[str, str] = {}
        for key, value in values.items():
            out.update(flatten_params(value, (*path, str(key))))
        return out
    text = json.dumps(values, default=str) if isinstance(values, list) else str(values)
    return {metric_name(".".join(path)): text[:MAX_PARAM_LENGTH]}


def _mlflow() -> Any:
    try:
        import mlflow  # noqa: PLC0415 - the mlflow extra is optional
    except ImportError:
        return None
    return mlflow


class UseCaseTracking:
    """Keeps what each use case saved during the run; logs it as one child run each."""

    def __init__(self) -> None:
        self.saved: dict[str, dict[str, Any]] = {}
        self.params: dict[str, Any] = {}
        self.pipeline = "__default__"

    @hook_impl
    def before_pipeline_run(self, run_params: dict[str, Any]) -> None:
        self.saved = {}
        names = run_params.get("pipeline_names") or [
            run_params.get("pipeline_name") or "__default__"
        ]
        self.pipeline = "+".join(names)
        self.params = {
            "env": run_params.get("env"),
            "session_id": run_params.get("session_id"),
        }

    @hook_impl
    def after_dataset_saved(self, dataset_name: str, data: Any) -> None:
        namespace, _, kind = dataset_name.rpartition(".")
        if not (namespace and kind in TRACKED):
            return
        mlflow = _mlflow()  # kept only while an MLflow run is open (kedro-mlflow's)
        if mlflow is not None and mlflow.active_run() is not None:
            self.saved.setdefault(namespace, {})[kind] = data

    @hook_impl(tryfirst=True)  # before kedro-mlflow closes its run
    def after_pipeline_run(self, catalog: Any) -> None:
        mlflow = _mlflow()
        if mlflow is None or mlflow.active_run() is None or not self.saved:
            return
        for namespace, saved in sorted(self.saved.items()):
            parameters = _load(catalog, f"params:{namespace}")
            if "artifact_set" in saved:  # as published: the manifest names the run id
                store = _load(catalog, f"{namespace}.artifact_set")
                saved["artifact_set"] = store.load() if store is not None else None
            with mlflow.start_run(run_name=namespace, nested=True) as run:
                _log_use_case(mlflow, namespace, saved, parameters, self)
            logger.info(
                "MLflow: logged use case '%s' as run %s (%s)",
                namespace,
                run.info.run_id,
                mlflow.get_tracking_uri(),
            )


def _load(catalog: Any, name: str) -> Any:
    try:
        return catalog.load(name)
    except Exception:  # noqa: BLE001 - a run without that entry logs without it
        return None


def _log_use_case(
    mlflow: Any,
    namespace: str,
    saved: dict[str, Any],
    parameters: dict[str, Any] | None,
    run: UseCaseTracking,
) -> None:
    tags = {
        "use_case": namespace,
        "kedro_pipeline": run.pipeline,
        "kind": (parameters or {}).get("kind", ""),
        **{k: str(v) for k, v in run.params.items() if v},
    }
    if parameters:
        params = flatten_params(parameters)
        mlflow.log_params(dict(sorted(params.items())))
    metrics = {
        **flatten_metrics(saved.get("metrics") or {}),
        **flatten_metrics(saved.get("propensity_metrics") or {}, ("propensity",)),
        **flatten_metrics(saved.get("segments_summary") or {}, ("segments",)),
    }
    metrics.update(_score_metrics(saved, tags))
    if metrics:
        mlflow.log_metrics(metrics)
    with tempfile.TemporaryDirectory() as folder:
        _log_files(mlflow, Path(folder), saved, tags)
    mlflow.set_tags(tags)


def _score_metrics(saved: dict[str, Any], tags: dict[str, str]) -> dict[str, float]:
    """Rows in and out, warnings and the PSI of a score run."""
    summary = saved.get("score_summary")
    if not summary:
        return {}
    out = {
        "score.rows_in": float(summary.get("rows_in", 0)),
        "score.rows_out": float(summary.get("rows_out", 0)),
        "score.seconds": float(summary.get("seconds", 0)),
        "score.warnings": float(sum((summary.get("warnings") or {}).values())),
    }
    for warning, count in (summary.get("warnings") or {}).items():
        out[metric_name(f"score.warning.{warning}")[:250]] = float(count)
    monitoring = saved.get("score_monitoring")
    if monitoring is not None and len(monitoring):
        for row in monitoring.itertuples():
            out[metric_name(f"psi.{row.feature}")] = float(row.psi)
    tags["drift_alarms"] = ", ".join(summary.get("drift_alarms") or []) or "none"
    tags["training_run_id"] = str(summary.get("run_id", ""))
    return out


def _log_files(
    mlflow: Any, folder: Path, saved: dict[str, Any], tags: dict[str, str]
) -> None:
    """The model file, the report, the figures and the manifest, as artifacts."""
    model = saved.get("risk_model")
    if model is not None:
        path = folder / "risk_model.cbm"
        model.model.save_model(str(path))
        mlflow.log_artifact(str(path), "model")
        mlflow.log_dict(
            _jsonable(model.metadata(), drop="shap_tables"), "model/risk_model.json"
        )
    artifacts = saved.get("artifact_set")
    if artifacts is not None:
        tags["training_run_id"] = str(artifacts.run_id)
        mlflow.log_dict(_jsonable(artifacts.manifest), "model/manifest.json")
    if saved.get("report_html"):
        mlflow.log_text(saved["report_html"], "report/report.html")
    for kind in FIGURES:
        figures = saved.get(kind)
        if figures is None:
            continue
        named = figures if isinstance(figures, dict) else {kind: figures}
        for name, figure in named.items():
            path = folder / f"{Path(str(name)).stem}.png"
            figure.savefig(path, dpi=100)
            mlflow.log_artifact(str(path), "report/figures")
    if saved.get("score_summary"):
        mlflow.log_dict(_jsonable(saved["score_summary"]), "score/score_summary.json")


def _jsonable(values: dict[str, Any], drop: str = "") -> dict[str, Any]:
    """A dict as JSON sees it (numbers, text), without the `drop` key."""
    kept = {k: v for k, v in values.items() if k != drop}
    return json.loads(json.dumps(kept, default=str))
