"""Project hooks: a Spark session for the environments that configure one."""

from __future__ import annotations

import logging

from kedro.config import MissingConfigException
from kedro.framework.context import KedroContext
from kedro.framework.hooks import hook_impl

logger = logging.getLogger(__name__)


class SparkHooks:
    """Start the Spark session from `conf/<env>/spark.yml` when the environment has one.

    Environments without it (base, dev, prod) never import pyspark, which is an
    optional extra (`uv sync --extra spark`).
    """

    @hook_impl
    def after_context_created(self, context: KedroContext) -> None:
        try:
            settings = context.config_loader["spark"]
        except MissingConfigException:
            return
        if not settings:
            return
        try:
            from pyspark import SparkConf  # noqa: PLC0415
            from pyspark.sql import SparkSession  # noqa: PLC0415
        except ImportError as err:
            raise ImportError(
                f"environment '{context.env}' configures Spark but pyspark is not installed: "
                "run `uv sync --extra spark` (Spark also needs Java 17 or newer)"
            ) from err
        settings = dict(settings)
        remote = settings.pop("spark.remote", None)  # Spark Connect: sc://host:15002
        builder = SparkSession.builder.appName(context.project_path.name)
        if remote:
            builder = builder.remote(remote)
        else:
            builder = builder.config(conf=SparkConf().setAll(list(settings.items())))
        session = builder.getOrCreate()
        if not remote:
            session.sparkContext.setLogLevel("WARN")
        logger.info(
            "Spark session ready (%s)",
            remote or settings.get("spark.master", "default master"),
        )
