"""The score pipeline on Spark: the same `score_chunk` inside `mapInPandas`.

Used when `<namespace>.score_input` is a Spark DataFrame (`--env=spark`). Rows are
repartitioned by entity id, so every partition holds whole entities (history
features need all of an entity's snapshots); each partition goes through the
very function the pandas batch runs per chunk. The fitted models travel to
the executors once, as a broadcast variable. pyspark is an optional extra:
this module is imported only when a Spark DataFrame arrives.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from pyspark import StorageLevel
from pyspark.sql import DataFrame as SparkDataFrame
from pyspark.sql import functions as F
from pyspark.sql.pandas.types import from_arrow_schema

from risk_segments.modeling.monitoring import SCORE_COLUMN, SEGMENT_COLUMN, drift_row
from risk_segments.modeling.risk_model import RiskModel
from risk_segments.modeling.scoring import (
    check_columns,
    check_features_present,
    check_ids_present,
    check_not_empty,
    check_unique_keys,
    history_window,
    input_name,
    preflight_summary,
    score_chunk,
    segment_rows,
)
from risk_segments.modeling.segmentation import SegmentationModel
from risk_segments.schema import (
    MISSING_TOKENS,
    InvalidInputError,
    as_of_date,
    level_text,
)

logger = logging.getLogger(__name__)


def check_spark_input(
    score_input: SparkDataFrame,
    risk_model: RiskModel | None,
    segmentation_model: SegmentationModel,
    schema: dict[str, Any],
    derived: dict[str, Any] | None,
    score: dict[str, Any],
    previous: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The pandas pre-flight checks, as Spark aggregations (nothing is collected)."""
    id_col, date_col = schema["id_column"], schema["date_column"]
    check_columns(list(score_input.columns), schema)
    if date_col not in score_input.columns:  # one snapshot: the run's as-of date
        score_input = score_input.withColumn(
            date_col, F.lit(as_of_date(schema).to_pydatetime()).cast("timestamp")
        )
    _timestamps_or_iso_text(dict(score_input.dtypes)[date_col], schema)
    empty_id = F.col(id_col).isNull() | (F.trim(F.col(id_col).cast("string")) == "")
    stats = score_input.agg(
        F.count(F.lit(1)).alias("rows"),
        F.max(F.col(date_col).cast("timestamp")).alias("newest"),
        F.sum(F.when(empty_id, 1).otherwise(0)).alias("empty_ids"),
    ).first()
    check_not_empty(int(stats["rows"] or 0), schema)
    if stats["newest"] is None:
        _timestamps_or_iso_text("text that does not read as timestamps", schema)
    check_ids_present(int(stats["empty_ids"] or 0), ["(Spark input)"], schema)
    newest = pd.Timestamp(stats["newest"])
    duplicated = (
        score_input.groupBy(
            F.col(id_col).cast("string").alias("id"),
            F.col(date_col).cast("timestamp").alias("date"),
        )
        .count()
        .where(F.col("count") > 1)
    )
    examples = [row["id"] for row in duplicated.limit(5).collect()]
    if examples:
        check_unique_keys(
            int(duplicated.agg(F.sum("count")).first()[0]), examples, schema
        )
    to_score = (
        score_input.where(
            F.col(date_col).cast("timestamp") == F.lit(newest.to_pydatetime())
        ).count()
        if score["rows"] == "newest_snapshot"
        else stats["rows"]
    )
    summary = preflight_summary(
        "spark",
        int(stats["rows"]),
        int(to_score),
        newest,
        score,
        schema,
        risk_model,
        segmentation_model,
        previous,
    )
    if score["rows"] == "newest_snapshot":
        history_window(
            summary,
            newest,
            derived,
            lambda since: score_input.where(
                F.col(date_col).cast("timestamp") < F.lit(since.to_pydatetime())
            ).count(),
        )
    used = (
        risk_model.spec["features"] if risk_model else segmentation_model.input_columns
    )
    non_empty, known = _feature_counts(score_input, schema, set(used))
    summary["empty_features"] = check_features_present(
        non_empty, risk_model, score, schema, segmentation_model, known
    )
    return summary


def _feature_counts(
    rows: SparkDataFrame, schema: dict[str, Any], used: set[str]
) -> tuple[dict[str, int], dict[str, int]]:
    """What the pandas batch counts as it scores (`score_chunk`), as one aggregation
    before scoring: per feature the model uses, the rows with a value (blanks, the
    usual NA tokens and its `missing_codes` are none), and per listed categorical
    those among the levels training saw, values read as `as_text` reads them (1.0 is
    '1', text without surrounding blanks). A feature empty or recoded tonight stops
    the run before any row is scored, as in the pandas batch."""
    kinds = dict(rows.dtypes)
    codes = schema.get("missing_codes") or {}
    columns = [
        c
        for c in (*schema["categorical"], *schema["numeric"])
        if c in used and c in kinds
    ]
    sums, named = [], []
    for name in columns:
        text = _as_text(F.col(name), kinds[name])
        none = [
            *MISSING_TOKENS,
            *(str(level_text(v)).lower() for v in codes.get(name) or []),
        ]
        present = text.isNotNull() & ~F.lower(text).isin(none)
        sums.append(F.sum(present.cast("long")))
        named.append(("non_empty", name))
        if levels := schema["categorical"].get(name):
            sums.append(
                F.sum((present & text.isin([str(v) for v in levels])).cast("long"))
            )
            named.append(("known", name))
    counts: dict[str, dict[str, int]] = {"non_empty": {}, "known": {}}
    if not sums:
        return counts["non_empty"], counts["known"]
    for (kind, name), value in zip(named, rows.agg(*sums).first(), strict=True):
        counts[kind][name] = int(value or 0)
    return counts["non_empty"], counts["known"]


def _as_text(column: Any, kind: str) -> Any:
    """A Spark column as `schema.as_text` reads a categorical: booleans 'true' /
    'false', whole numbers without a decimal part, text stripped (blank is none)."""
    if kind == "boolean":
        return F.when(column, F.lit("true")).when(~column, F.lit("false"))
    if kind in ("tinyint", "smallint", "int", "bigint"):
        return column.cast("string")
    if kind in ("float", "double") or kind.startswith("decimal"):
        whole = column == F.floor(column)
        return F.when(whole, column.cast("long").cast("string")).otherwise(
            column.cast("double").cast("string")
        )
    text = F.trim(column.cast("string"))
    return F.when(text != "", text)


def _timestamps_or_iso_text(kind: str, schema: dict[str, Any]) -> None:
    """The Spark engine finds the newest snapshot by casting the date column to a
    timestamp: integers (20240131) would be seconds since 1970 and text in a
    date_format would be missing. Stop on those, saying what to do."""
    fmt = schema.get("date_format")
    if kind in ("timestamp", "timestamp_ntz", "date") or (kind == "string" and not fmt):
        return
    written = f"text in date_format {fmt!r}" if kind == "string" else kind
    raise InvalidInputError(
        f"{input_name(schema)}: the Spark engine reads '{schema['date_column']}' as "
        f"timestamps, and it holds {written}: write it as a date or timestamp column "
        "(or ISO 8601 text, 2024-01-31), or score this input with the pandas engine"
    )


def _broadcast(spark: Any, value: Any) -> Any:
    """A broadcast variable where the session has a SparkContext; the value itself
    under Spark Connect (it then travels with the function, once per task)."""
    try:
        return spark.sparkContext.broadcast(value)
    except Exception:  # noqa: BLE001 - Spark Connect has no SparkContext
        return _Held(value)


class _Held:
    def __init__(self, value: Any) -> None:
        self.value = value


def _output_schema(sample: pd.DataFrame) -> Any:
    """The scored rows' Spark schema, read off `score_frame`'s own output on a sample."""
    return from_arrow_schema(pa.Schema.from_pandas(sample, preserve_index=False))


def score_rows_spark(
    score_input: SparkDataFrame,
    score_preflight: dict[str, Any],
    risk_model: RiskModel | None,
    segmentation_model: SegmentationModel,
    scoring_reference: dict[str, Any],
    schema: dict[str, Any],
    derived: dict[str, Any] | None,
    feature_labels: dict[str, str],
    score: dict[str, Any],
) -> tuple[SparkDataFrame, dict[str, Any]]:
    """Score every row on Spark; the scored DataFrame is persisted and counted here,
    so the summary is complete when the node returns."""
    start = time.perf_counter()
    spark = score_input.sparkSession
    id_col = schema["id_column"]
    newest = pd.Timestamp(score_preflight["newest_snapshot"])
    rows_read = score_preflight["rows_in"]
    if score_preflight.get("history_from"):  # older rows feed nothing: not read
        since = pd.Timestamp(score_preflight["history_from"]).to_pydatetime()
        date = F.col(schema["date_column"]).cast("timestamp")
        score_input = score_input.where(date.isNull() | (date >= F.lit(since)))
        rows_read -= score_preflight["rows_before_history_window"]
    options = {
        "rows": "all",
        "reasons_for": score["reasons_for"],
        "reasons_top_k": score["reasons_top_k"],
    }

    # schema of the output: score a few whole entities on the driver with the same function
    sample_ids = score_input.select(id_col).distinct().limit(20)
    sample = score_input.join(sample_ids, on=id_col, how="inner").toPandas()
    scored_sample, _, _ = score_chunk(
        sample,
        risk_model,
        segmentation_model,
        schema,
        derived,
        feature_labels,
        {**score, **options},
        newest,
    )
    output_schema = _output_schema(scored_sample)
    columns = list(scored_sample.columns)

    shared = _broadcast(spark, (risk_model, segmentation_model))
    partitions = max(1, math.ceil(rows_read / int(score["chunk_size"])))

    def score_partition(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        frames = [b for b in batches if len(b)]
        if not frames:
            return
        model, segments = shared.value
        scored, _, _ = score_chunk(
            pd.concat(frames, ignore_index=True),
            model,
            segments,
            schema,
            derived,
            feature_labels,
            score,
            newest,
        )
        if len(scored):
            yield scored[columns]

    scores = (
        score_input.repartition(partitions, F.col(id_col))
        .mapInPandas(score_partition, schema=output_schema)
        .persist(StorageLevel.MEMORY_AND_DISK)
    )
    rows_out = scores.count()
    if rows_out != score_preflight["rows_to_score"]:
        scores.unpersist()
        raise RuntimeError(
            f"scored {rows_out} rows on Spark but {score_preflight['rows_to_score']} were to be scored"
        )
    sizes = (  # a segments use case: tonight's rows per segment
        {str(k): int(v) for k, v in scores.groupBy("segment").count().collect()}
        if risk_model is None
        else {}
    )
    summary = {
        **score_preflight,
        "rows_out": int(rows_out),
        "partitions": partitions,
        "warnings": {},
        "warnings_note": "row-level input warnings are counted by the pandas engine only (a feature empty or recoded in every row stops both)",
        "psi": _spark_psi(scores, scoring_reference, score["psi_warning"], sizes),
        "seconds": time.perf_counter() - start,
        "as_of": schema.get("as_of"),
        "finished": pd.Timestamp.now("UTC").isoformat(timespec="seconds"),
        "complete": True,
    }
    if sizes:
        summary["segment_rows"] = segment_rows(sizes, segmentation_model)
    logger.info(
        "  scored %d rows on Spark in %d partitions (%.0f rows/s)",
        rows_out,
        partitions,
        rows_out / max(summary["seconds"], 1e-9),
    )
    return scores, summary


def _spark_psi(
    scores: SparkDataFrame,
    reference: dict[str, Any],
    floor: float,
    counts: dict[str, int],
) -> list[dict[str, Any]]:
    """The drift Spark measures: of the risk score, or (a segments use case, no score)
    of the segments' shares (`counts`: rows per segment, counted on Spark)."""
    if SCORE_COLUMN in reference["numeric"]:
        return [_score_psi(scores, reference, floor)]
    shares = reference["categorical"].get(SEGMENT_COLUMN)
    if shares is None:
        return []
    levels = sorted(set(shares) | set(counts))
    return [
        drift_row(
            "segment",
            "categorical",
            np.array([shares.get(level, 0.0) for level in levels]),
            np.array([counts.get(level, 0) for level in levels], dtype=float),
            int(reference.get("rows", 0)),
            floor,
        )
    ]


def _score_psi(
    scores: SparkDataFrame, reference: dict[str, Any], floor: float
) -> dict[str, Any]:
    """PSI of the risk score against training, from bin counts aggregated on Spark."""
    ref = reference["numeric"][SCORE_COLUMN]
    edges = np.asarray(ref["edges"], dtype=float)
    bucket = F.lit(len(edges))
    for i in reversed(range(len(edges))):  # index of the first edge above the value
        bucket = F.when(F.col("risk_score") < float(edges[i]), F.lit(i)).otherwise(
            bucket
        )
    bucket = F.when(
        F.col("risk_score").isNull() | F.isnan("risk_score"), F.lit(len(edges) + 1)
    ).otherwise(bucket)
    counts = dict(scores.groupBy(bucket.alias("b")).count().collect())
    actual = np.array([counts.get(i, 0) for i in range(len(edges) + 2)], dtype=float)
    return drift_row(
        "risk_score",
        "numeric",
        np.asarray(ref["shares"], dtype=float),
        actual,
        int(reference.get("rows", 0)),
        floor,
    )
