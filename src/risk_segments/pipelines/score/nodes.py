"""Nodes of the score pipeline: check the input, score it in chunks, monitor drift.

The rows go through the very data_processing functions training used
(`validate_raw_table`, `add_history_features`, `build_model_input`); the scoring
itself is `risk_segments.modeling.scoring.score_frame`.
"""

from __future__ import annotations

import logging
import time
import zlib
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd

from risk_segments.datasets.chunked_parquet_dataset import ParquetChunks
from risk_segments.modeling.risk_model import RiskModel, prepare_features
from risk_segments.modeling.scoring import (
    PSI_WARNING,
    DriftCounter,
    reference_distributions,
    score_frame,
)
from risk_segments.modeling.segmentation import SegmentationModel
from risk_segments.pipelines.data_processing.nodes import (
    add_history_features,
    build_model_input,
    validate_raw_table,
)
from risk_segments.schema import InvalidInputError, count_violations, model_features

logger = logging.getLogger(__name__)


def build_scoring_reference(
    model_input: pd.DataFrame,
    data_split: pd.DataFrame,
    risk_model: RiskModel,
    schema: dict[str, Any],
) -> dict[str, Any]:
    """Distributions of every feature and of the score on the training rows (for PSI)."""
    keys = [schema["id_column"], schema["date_column"]]
    train = model_input.merge(
        data_split.loc[data_split["role"] == "train", keys], on=keys
    )
    return reference_distributions(train, risk_model, risk_model.predict_proba(train))


def is_spark_frame(data: Any) -> bool:
    """A Spark DataFrame (classic or Spark Connect), recognised without importing pyspark."""
    return type(data).__module__.startswith("pyspark.") and hasattr(data, "mapInPandas")


def _scoring_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """At scoring, unseen categories and out-of-range values are scored and counted."""
    return {**schema, "on_unknown_category": "warn", "on_out_of_range": "warn"}


def check_artifacts(
    risk_model: RiskModel,
    segmentation_model: SegmentationModel,
    schema: dict[str, Any],
    derived: dict[str, Any] | None,
) -> None:
    """The saved model and segmentation must match the features the parameters list."""
    expected = model_features(schema, derived)
    if risk_model.spec["features"] != expected:
        added = sorted(set(expected) - set(risk_model.spec["features"]))
        dropped = sorted(set(risk_model.spec["features"]) - set(expected))
        raise InvalidInputError(
            "the saved risk model was trained on other features than the parameters now list "
            f"(in parameters only: {added}; in the model only: {dropped}); retrain with `kedro run`"
        )
    missing_segment_features = [
        f for f in segmentation_model.features if f not in expected
    ]
    if missing_segment_features:
        raise InvalidInputError(
            f"the saved segmentation uses unknown features {missing_segment_features}"
        )


def input_name(schema: dict[str, Any]) -> str:
    """How error messages name the rows to score."""
    return f"{schema.get('source', 'score input').replace('raw_table', 'score_input')}"


def check_score_input(
    score_input: pd.DataFrame | ParquetChunks,
    risk_model: RiskModel,
    segmentation_model: SegmentationModel,
    schema: dict[str, Any],
    derived: dict[str, Any] | None,
    score: dict[str, Any],
) -> dict[str, Any]:
    """Stop before scoring if the input or the artifacts cannot be trusted; say what to score."""
    check_artifacts(risk_model, segmentation_model, schema, derived)
    if is_spark_frame(score_input):
        from .spark import check_spark_input  # noqa: PLC0415 - pyspark is an optional extra

        return check_spark_input(
            score_input, risk_model, segmentation_model, schema, score
        )
    source = ParquetChunks.of(score_input, score["chunk_size"])
    name = input_name(schema)
    if source.n_rows == 0:
        raise InvalidInputError(
            f"{name}: the table is empty (0 rows); nothing to score"
        )
    id_col, date_col = schema["id_column"], schema["date_column"]
    required = [id_col, date_col, *schema["categorical"], *schema["numeric"]]
    missing = [c for c in required if c not in source.columns]
    if missing:
        raise InvalidInputError(
            f"{name}: missing column(s) {missing} that the model needs"
        )
    dates = pd.to_datetime(source.column(date_col))
    newest = dates.max()
    to_score = (
        (dates == newest).to_numpy()
        if score["rows"] == "newest_snapshot"
        else np.ones(len(dates), bool)
    )
    ids = source.column(id_col).astype(str).to_numpy()
    keys = pd.DataFrame({"id": ids, "date": dates.to_numpy()})
    duplicated = keys.duplicated(keep=False).to_numpy()
    if duplicated.any():
        raise InvalidInputError(
            f"{name}: {int(duplicated.sum())} rows share an ({id_col}, {date_col}) key, e.g. "
            f"{sorted(set(ids[duplicated]))[:5]}; each entity may appear once per snapshot"
        )
    return preflight_summary(
        "pandas",
        int(source.n_rows),
        int(to_score.sum()),
        pd.Timestamp(newest),
        score,
        risk_model,
        segmentation_model,
    )


def preflight_summary(
    engine: str,
    rows_in: int,
    rows_to_score: int,
    newest: pd.Timestamp,
    score: dict[str, Any],
    risk_model: RiskModel,
    segmentation_model: SegmentationModel,
) -> dict[str, Any]:
    """What the run will score and with which artifacts (logged, and kept in the summary)."""
    preflight = {
        "engine": engine,
        "rows_in": rows_in,
        "rows_to_score": rows_to_score,
        "score_rows": score["rows"],
        "newest_snapshot": str(newest.date()),
        "model_version": risk_model.info.get("version", "unversioned"),
        "segmentation_version": segmentation_model.info.get("version", "unversioned"),
    }
    logger.info(
        "Scoring (%s) %d of %d input rows (%s, newest snapshot %s) with model %s and segmentation %s",
        engine,
        rows_to_score,
        rows_in,
        score["rows"],
        preflight["newest_snapshot"],
        preflight["model_version"],
        preflight["segmentation_version"],
    )
    return preflight


def _entity_chunks(
    source: ParquetChunks,
    schema: dict[str, Any],
    derived: dict[str, Any] | None,
    chunk_size: int,
) -> Iterator[pd.DataFrame]:
    """Chunks that hold every snapshot of an entity together (needed for history features)."""
    if not (derived or {}).get("history"):
        yield from source
        return
    parts = max(1, int(np.ceil(source.n_rows / chunk_size)))
    if parts == 1:
        yield pd.concat(list(source), ignore_index=True)
        return
    for part in range(
        parts
    ):  # one pass over the file per part: memory stays at one part
        pieces = []
        for chunk in source:
            ids = chunk[schema["id_column"]].astype(str)
            bucket = ids.map(lambda v: zlib.crc32(v.encode()) % parts).to_numpy()
            pieces.append(chunk.loc[bucket == part])
        yield pd.concat(pieces, ignore_index=True)


IMPUTED_WARNING = (
    "features missing that training never saw missing (scored with the training median)"
)


def score_chunk(
    raw: pd.DataFrame,
    risk_model: RiskModel,
    segmentation_model: SegmentationModel,
    schema: dict[str, Any],
    derived: dict[str, Any] | None,
    feature_labels: dict[str, str],
    score: dict[str, Any],
    newest: pd.Timestamp,
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, int]]:
    """Raw rows holding whole entities -> (scored rows, their model input, warning counts).

    The one scoring step both engines run: the pandas batch calls it per chunk,
    the Spark path per partition inside `mapInPandas`.
    """
    scoring_schema = _scoring_schema(schema)
    warnings: dict[str, int] = {}
    validated = validate_raw_table(raw, scoring_schema)
    for kind, column, count in count_violations(validated, scoring_schema):
        key = f"{kind} in '{column}'"
        warnings[key] = warnings.get(key, 0) + count
    rows = build_model_input(
        add_history_features(validated, schema, derived), schema, derived
    )
    if score["rows"] == "newest_snapshot":
        rows = rows.loc[rows[schema["date_column"]] == newest].reset_index(drop=True)
    if rows.empty:
        return pd.DataFrame(), rows, warnings
    scored = score_frame(
        rows,
        risk_model,
        segmentation_model,
        feature_labels,
        id_column=schema["id_column"],
        date_column=schema["date_column"],
        reasons_for=score["reasons_for"],
        top_k=score["reasons_top_k"],
    )
    if len(scored) != len(rows):
        raise RuntimeError("scoring changed the number of rows")
    imputed = int((scored["imputed_features"] > 0).sum())
    if imputed:
        warnings[IMPUTED_WARNING] = imputed
    return scored, rows, warnings


def score_rows(
    score_input: pd.DataFrame | ParquetChunks,
    score_preflight: dict[str, Any],
    risk_model: RiskModel,
    segmentation_model: SegmentationModel,
    scoring_reference: dict[str, Any],
    schema: dict[str, Any],
    derived: dict[str, Any] | None,
    feature_labels: dict[str, str],
    score: dict[str, Any],
) -> tuple[Iterator[pd.DataFrame], dict[str, Any]]:
    """Score every row chunk by chunk (lazily: the scores dataset pulls the chunks).

    The returned summary is filled while the chunks are written; it is complete
    once the scores dataset has been saved, which the next node checks.
    """
    if is_spark_frame(score_input):
        from .spark import score_rows_spark  # noqa: PLC0415 - pyspark is an optional extra

        return score_rows_spark(
            score_input,
            score_preflight,
            risk_model,
            segmentation_model,
            scoring_reference,
            schema,
            derived,
            feature_labels,
            score,
        )
    source = ParquetChunks.of(score_input, score["chunk_size"])
    newest = pd.Timestamp(score_preflight["newest_snapshot"])
    summary: dict[str, Any] = {
        **score_preflight,
        "rows_out": 0,
        "warnings": {},
        "complete": False,
    }
    drift = DriftCounter(scoring_reference)

    def chunks() -> Iterator[pd.DataFrame]:
        start = time.perf_counter()
        for raw in _entity_chunks(source, schema, derived, score["chunk_size"]):
            scored, rows, warnings = score_chunk(
                raw,
                risk_model,
                segmentation_model,
                schema,
                derived,
                feature_labels,
                score,
                newest,
            )
            for key, count in warnings.items():
                summary["warnings"][key] = summary["warnings"].get(key, 0) + count
            if rows.empty:
                continue
            # drift is measured on the values as they arrived, missing ones included
            drift.add(
                prepare_features(rows, {**risk_model.spec, "never_missing": []}),
                scored["risk_score"].to_numpy(),
            )
            summary["rows_out"] += len(scored)
            logger.info(
                "  scored %d / %d rows (%.0f rows/s)",
                summary["rows_out"],
                summary["rows_to_score"],
                summary["rows_out"] / max(time.perf_counter() - start, 1e-9),
            )
            yield scored
        if summary["rows_out"] != summary["rows_to_score"]:
            raise RuntimeError(
                f"scored {summary['rows_out']} rows but {summary['rows_to_score']} were to be scored"
            )
        summary["seconds"] = time.perf_counter() - start
        summary["psi"] = drift.psi().to_dict("records")
        summary["complete"] = True

    return chunks(), summary


def summarise_scoring(
    score_summary: dict[str, Any], score: dict[str, Any]
) -> tuple[dict[str, Any], pd.DataFrame]:
    """Check the run was complete, log warnings, and give the PSI table."""
    if not score_summary.get("complete"):
        raise RuntimeError(
            "the scores were not fully written before the summary was read; "
            "run the score pipeline with the default sequential runner (no --async)"
        )
    for warning, count in score_summary["warnings"].items():
        logger.warning("Scored anyway: %d rows with %s", count, warning)
    monitoring = pd.DataFrame(score_summary["psi"])
    threshold = score.get("psi_warning", PSI_WARNING)
    for row in monitoring.loc[monitoring["psi"] > threshold].itertuples():
        logger.warning(
            "Population drift: PSI of '%s' is %.3f (> %.2f) against training",
            row.feature,
            row.psi,
            threshold,
        )
    logger.info(
        "Scored %d rows in %.1f s; %d warnings; largest PSI %.3f ('%s')",
        score_summary["rows_out"],
        score_summary["seconds"],
        len(score_summary["warnings"]),
        monitoring["psi"].max() if len(monitoring) else 0.0,
        monitoring["feature"].iloc[0] if len(monitoring) else "-",
    )
    report = {k: v for k, v in score_summary.items() if k not in ("psi", "complete")}
    report["features_above_psi_warning"] = monitoring.loc[
        monitoring["psi"] > threshold, "feature"
    ].tolist()
    return report, monitoring
