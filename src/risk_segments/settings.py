"""Project settings: see https://docs.kedro.org/en/stable/configure/configuration_basics/."""

from kedro.config import OmegaConfigLoader

from risk_segments.hooks import SparkHooks

HOOKS = (SparkHooks(),)

CONFIG_LOADER_CLASS = OmegaConfigLoader
CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
    # Parameters: an environment restates only the values it changes (soft merge).
    # Catalog: an environment entry replaces the base entry of that name whole, so a
    # real source never inherits a synthetic one's arguments (destructive merge).
    "merge_strategy": {"parameters": "soft", "catalog": "destructive"},
    # conf/spark/spark.yml: the Spark session settings (only the spark environment has one)
    "config_patterns": {"spark": ["spark*", "spark*/**"]},
}
