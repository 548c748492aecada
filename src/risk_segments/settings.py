"""Project settings: see https://docs.kedro.org/en/stable/configure/configuration_basics/."""

from risk_segments.hooks import ScoreStatusHook, SparkHooks
from risk_segments.tracking import UseCaseTracking
from risk_segments.use_cases import UseCaseConfigLoader

# UseCaseTracking logs one MLflow run per use case when the `mlflow` extra is installed
HOOKS = (SparkHooks(), ScoreStatusHook(), UseCaseTracking())

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
