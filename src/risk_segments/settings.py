"""Project settings: see https://docs.kedro.org/en/stable/configure/configuration_basics/."""

from kedro.config import OmegaConfigLoader

CONFIG_LOADER_CLASS = OmegaConfigLoader
CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
    # `prod` and `dev` restate only what they change; everything else comes from base.
    "merge_strategy": {"parameters": "soft", "catalog": "soft"},
}
