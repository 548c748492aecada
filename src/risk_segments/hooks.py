"""Project hooks: a Spark session where configured; a failure record for failed score runs."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

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


class ScoreStatusHook:
    """A failed score run leaves a failure record beside the last good scores.

    `score_status.json` always describes the last score run of a use case: the
    summary node writes `complete` with its counts; when the run fails this hook
    writes `failed` with the error, so a downstream job never reads stale
    scores without knowing.
    """

    @hook_impl
    def on_pipeline_error(self, error: Exception, pipeline: Any, catalog: Any) -> None:
        namespaces = {
            node.namespace.split(".")[0]
            for node in pipeline.nodes
            if "score" in node.tags and node.namespace
        }
        for namespace in sorted(namespaces):
            record = {
                "status": "failed",
                "failed_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "error": f"{type(error).__name__}: {error}"[:4000],
                "note": "the scores on disk are from an earlier run (or none)",
                **_last_complete(catalog, namespace),
            }
            try:
                catalog.save(f"{namespace}.score_status", record)
            except Exception as err:  # noqa: BLE001 - never hide the run's own error
                logger.warning("could not write %s.score_status: %s", namespace, err)


def _last_complete(catalog: Any, namespace: str) -> dict[str, Any]:
    """The last complete run's record, carried by a failed run's (the next run checks
    its rows against it: `scoring.check_volume`); {} if there was none."""
    from risk_segments.modeling.scoring import last_complete  # noqa: PLC0415 (a failed run only)

    try:
        previous = catalog.load(f"{namespace}.previous_score_status")
    except Exception:  # noqa: BLE001 - no record (or none readable): nothing to carry
        return {}
    last = last_complete(previous)
    return {"last_complete": last} if last else {}
