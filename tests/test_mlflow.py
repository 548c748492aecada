"""MLflow tracking (the `mlflow` extra): every run logs one MLflow run per use case."""

from __future__ import annotations

import math

import pytest

from risk_segments.tracking import flatten_metrics, flatten_params
from tests.helpers import ALL_NAMESPACES, kedro_cli


def test_metrics_are_flattened_by_path_with_the_estimate_under_the_plain_name():
    metrics = {
        "roc_auc": {"value": 0.81, "ci_low": 0.8, "ci_high": 0.82},
        "baselines": {"logistic": {"roc_auc": {"value": 0.79}}},
        "test_rows": 100,
        "calibrated": True,  # not a number to chart
        "brier": {"value": math.nan},  # MLflow refuses NaN
        "note": "text",
        "lift (top 10%)": 2.5,
    }
    assert flatten_metrics(metrics) == {
        "roc_auc": 0.81,
        "roc_auc.ci_low": 0.8,
        "roc_auc.ci_high": 0.82,
        "baselines.logistic.roc_auc": 0.79,
        "test_rows": 100.0,
        "lift _top 10__": 2.5,
    }
    params = flatten_params({"supervised": {"depth": 6, "features": ["a", "b"]}})
    assert params == {"supervised.depth": "6", "supervised.features": '["a", "b"]'}


@pytest.fixture(scope="module")
def runs(dev_project):
    """The MLflow runs of the dev training run, then of a score run, in that copy."""
    mlflow = pytest.importorskip("mlflow", reason="the mlflow extra is not installed")
    pytest.importorskip("kedro_mlflow", reason="the mlflow extra is not installed")
    done = kedro_cli(dev_project, "run", "--pipeline=score")
    assert done.returncode == 0, done.stderr[-3000:]
    mlflow.set_tracking_uri(f"sqlite:///{dev_project / 'mlflow.db'}")
    found = mlflow.search_runs(experiment_names=["risk_segments"], output_format="list")
    return mlflow, found


def _children(found, pipeline):
    parents = {r.info.run_id for r in found if r.info.run_name == pipeline}
    return {
        r.data.tags["use_case"]: r
        for r in found
        if r.data.tags.get("mlflow.parentRunId") in parents
    }


def test_training_logs_a_run_per_use_case_with_metrics_model_and_report(
    runs, dev_project
):
    mlflow, found = runs
    children = _children(found, "__default__")
    assert set(children) == set(ALL_NAMESPACES)
    client = mlflow.MlflowClient()
    for namespace, run in children.items():
        metrics = run.data.metrics
        assert 0.5 < metrics["roc_auc"] <= 1 and "pr_auc" in metrics and "f1" in metrics
        assert metrics["roc_auc.ci_low"] <= metrics["roc_auc"]
        assert any(k.startswith("baselines.") for k in metrics), namespace
        assert run.data.params["kind"] in ("tabular", "order_log")
        model = [a.path for a in client.list_artifacts(run.info.run_id, "model")]
        assert "model/risk_model.cbm" in model and "model/manifest.json" in model
        report = [a.path for a in client.list_artifacts(run.info.run_id, "report")]
        assert "report/report.html" in report
        figures = client.list_artifacts(run.info.run_id, "report/figures")
        assert len(figures) >= 3
        # the training run id is the published artifact folder's
        run_id = run.data.tags["training_run_id"]
        assert list(
            dev_project.glob(f"data/**/06_models/{namespace}/artifacts/{run_id}")
        )


def test_a_score_run_logs_rows_warnings_and_drift_per_use_case(runs):
    _, found = runs
    training = _children(found, "__default__")
    children = _children(found, "score")
    assert set(children) == set(ALL_NAMESPACES)
    for namespace, run in children.items():
        metrics = run.data.metrics
        assert metrics["score.rows_out"] > 0
        assert metrics["score.rows_in"] >= metrics["score.rows_out"]
        assert "score.warnings" in metrics
        assert "psi.risk_score" in metrics
        assert run.data.tags["drift_alarms"]
        assert (
            run.data.tags["training_run_id"]
            == training[namespace].data.tags["training_run_id"]
        )


def test_without_mlflow_the_hook_keeps_and_logs_nothing(monkeypatch):
    from risk_segments import tracking

    monkeypatch.setattr(tracking, "_mlflow", lambda: None)
    hook = tracking.UseCaseTracking()
    hook.before_pipeline_run({"pipeline_names": ["__default__"], "env": "dev"})
    hook.after_dataset_saved("customer_churn.metrics", {"roc_auc": {"value": 0.8}})
    assert hook.saved == {}
    hook.after_pipeline_run(catalog=None)  # nothing to log, no error


def test_a_nodes_parameters_are_logged_in_one_call_and_long_ones_by_the_strategy(
    monkeypatch,
):
    pytest.importorskip("kedro_mlflow", reason="the mlflow extra is not installed")
    from risk_segments import mlflow_params

    calls = []
    monkeypatch.setattr(
        mlflow_params.mlflow, "log_params", lambda p: calls.append(("batch", p))
    )
    monkeypatch.setattr(
        "mlflow.log_param", lambda k, v: calls.append(("one", k, len(str(v))))
    )
    hook = mlflow_params.BatchedParamsMlflowHook()
    hook._is_mlflow_enabled, hook.flatten, hook.run_id = True, True, None
    hook.long_params_strategy = "truncate"
    inputs = {
        "params:ns.score": {"chunk_size": 10, "reasons": {"top_k": 4}},
        "params:ns.note": "x" * 7000,  # longer than MLflow takes
        "ns.rows": [1, 2],  # data, not a parameter
    }
    hook.before_node_run(node=None, catalog=None, inputs=inputs, is_async=False)
    assert calls == [
        ("one", "ns.note", 6000),
        ("batch", {"ns.score.chunk_size": 10, "ns.score.reasons.top_k": 4}),
    ]


def test_parameter_names_mlflow_refuses_are_renamed_as_before_and_said_once(caplog):
    pytest.importorskip("kedro_mlflow", reason="the mlflow extra is not installed")
    from kedro_mlflow.framework.hooks.mlflow_hook import MlflowHook

    from risk_segments.mlflow_params import BatchedParamsMlflowHook

    hook, plugin = BatchedParamsMlflowHook(), MlflowHook()
    names = ["ns.schema.numeric.Premium (EUR)", "ns.schema.numeric.age", "ns.a/b-c d"]
    as_before = [plugin.sanitize_param_name(n) for n in names * 3]
    caplog.clear()
    with caplog.at_level("INFO"):
        renamed = [hook.sanitize_param_name(n) for n in names * 3]  # three nodes
    assert renamed == as_before
    assert renamed[0] == "ns.schema.numeric.Premium _EUR_"
    said = [r for r in caplog.records if "Premium" in r.getMessage()]
    assert [r.levelname for r in said] == ["INFO"]


def test_kedro_mlflows_own_hook_is_replaced_not_doubled():
    pytest.importorskip("kedro_mlflow", reason="the mlflow extra is not installed")
    from kedro.framework.hooks.manager import (
        _create_hook_manager,
        _register_hooks,
        _register_hooks_entry_points,
    )
    from kedro_mlflow.framework.hooks.mlflow_hook import MlflowHook

    from risk_segments import settings
    from risk_segments.mlflow_params import BatchedParamsMlflowHook

    manager = _create_hook_manager()
    _register_hooks(manager, settings.HOOKS)
    _register_hooks_entry_points(manager, settings.DISABLE_HOOKS_FOR_PLUGINS)
    hooks = [p for p in manager.get_plugins() if isinstance(p, MlflowHook)]
    assert [type(h) for h in hooks] == [BatchedParamsMlflowHook]
