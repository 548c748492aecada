"""Project settings: see https://docs.kedro.org/en/stable/configure/configuration_basics/."""

from risk_segments.hooks import ScoreStatusHook, SparkHooks
from risk_segments.tracking import UseCaseTracking
from risk_segments.use_cases import UseCaseConfigLoader

try:  # the `mlflow` extra: kedro-mlflow's hook, a node's parameters logged in one call
    from risk_segments.mlflow_params import KEDRO_MLFLOW, BatchedParamsMlflowHook
except ImportError:
    MLFLOW_HOOKS: tuple = ()
    DISABLE_HOOKS_FOR_PLUGINS: tuple = ()
else:
    MLFLOW_HOOKS = (BatchedParamsMlflowHook(),)
    DISABLE_HOOKS_FOR_PLUGINS = (KEDRO_MLFLOW,)  # its own hook: replaced by the above

# UseCaseTracking logs one MLflow run per use case when the `mlflow` extra is installed
HOOKS = (SparkHooks(), ScoreStatusHook(), UseCaseTracking(), *MLFLOW_HOOKS)

# Kedro's OmegaConfigLoader, plus the defaults of every declared use case (use_cases.py)
CONFIG_LOADER_CLASS = UseCaseConfigLoader
CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
    # Parameters: an environment restates only the values it changes (soft merge).
    # Catalog: an environment entry replaces the base entry of that name whole, so a
    # real source never inherits a synthetic one's arguments (destructive merge).
    "merge_strategy": {
        "parameters": "soft",
        "catalog": "destructive",
        "use_case_defaults": "soft",
    },
    # conf/spark/spark.yml: the Spark session settings (only the spark environment has one)
    "config_patterns": {"spark": ["spark*", "spark*/**"]},
}
