"""Nodes of the score pipeline: check the input, score it in chunks, monitor drift.

The scoring itself is the engine-neutral core in `risk_segments.modeling.scoring`
(`score_chunk`, the input checks); this module streams a pandas table through it.
A Spark DataFrame goes to `.spark`, which runs the same core per partition.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd

from risk_segments.datasets.artifact_set_dataset import ArtifactStore
from risk_segments.datasets.chunked_parquet_dataset import ParquetChunks
from risk_segments.modeling.artifacts import (
    ArtifactError,
    ArtifactSet,
    keys_fingerprint,
)
from risk_segments.modeling.monitoring import PSI_WARNING, SEGMENT_COLUMN, DriftCounter
from risk_segments.modeling.risk_model import RiskModel
from risk_segments.modeling.scoring import (
    as_of_dates,
    check_artifacts,
    check_columns,
    check_dates,
    check_features_present,
    check_ids_present,
    check_not_empty,
    check_unique_keys,
    check_view_current,
    history_window,
    input_name,
    preflight_summary,
    score_chunk,
    segment_rows,
    validate_chunk,
)
from risk_segments.modeling.segmentation import SegmentationModel
from risk_segments.schema import (
    InvalidInputError,
    Problem,
    future_rows,
    merge_problems,
    read_dates,
    schema_error,
)

logger = logging.getLogger(__name__)


def _chosen_set(
    artifact_set: ArtifactStore | ArtifactSet, score: dict[str, Any], with_model: bool
) -> ArtifactSet:
    """The newest complete set, or the run named by `score.run_id`; it must be of the
    use case's kind (with a risk model, or, for segments only, without one)."""
    chosen = (
        artifact_set
        if isinstance(artifact_set, ArtifactSet)
        else artifact_set.load(score.get("run_id"))
    )
    if (chosen.risk_model is not None) != with_model:
        has = "a risk model" if chosen.risk_model is not None else "no risk model"
        kind = "tabular or order_log" if with_model else "segments"
        raise ArtifactError(
            f"run {chosen.run_id} has {has}, but this use case is of kind {kind}: the "
            "set was trained for another kind; retrain with `kedro run`, or name a run "
            "of this kind with score.run_id"
        )
    logger.info(
        "Scoring with the artifacts of run %s (trained on %s)",
        chosen.run_id,
        chosen.manifest.get("training_data", "data of this session"),
    )
    for model in (chosen.risk_model, chosen.segmentation_model):
        if model is not None:
            model.info.setdefault("run_id", chosen.run_id)
            model.info.setdefault("trained_to", chosen.manifest.get("newest_snapshot"))
    return chosen


def select_artifacts(
    artifact_set: ArtifactStore | ArtifactSet, score: dict[str, Any]
) -> tuple[RiskModel, SegmentationModel, dict[str, Any]]:
    """Exactly one training run's model, segmentation and reference: the newest complete
    set, or the run named by `score.run_id` (`--params <ns>.score.run_id=...`)."""
    chosen = _chosen_set(artifact_set, score, with_model=True)
    return chosen.risk_model, chosen.segmentation_model, chosen.scoring_reference


def select_artifacts_for_log(
    artifact_set: ArtifactStore | ArtifactSet,
    score: dict[str, Any],
    raw_orders: Any,
    orders_source: dict[str, Any],
    schema: dict[str, Any],
) -> tuple[RiskModel, SegmentationModel, dict[str, Any]]:
    """`select_artifacts` for an order log, once its customer view (what the run
    scores) is known to be built from tonight's log (`check_view_current`)."""
    check_view_current(raw_orders, orders_source, schema)
    return select_artifacts(artifact_set, score)


def select_segment_artifacts(
    artifact_set: ArtifactStore | ArtifactSet, score: dict[str, Any]
) -> tuple[SegmentationModel, dict[str, Any]]:
    """A segments use case's run: its segmentation and reference (it has no model)."""
    chosen = _chosen_set(artifact_set, score, with_model=False)
    return chosen.segmentation_model, chosen.scoring_reference


def check_segment_input(
    score_input: pd.DataFrame | ParquetChunks,
    segmentation_model: SegmentationModel,
    schema: dict[str, Any],
    derived: dict[str, Any] | None,
    score: dict[str, Any],
    previous: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """`check_score_input` for a segments use case (no risk model)."""
    return check_score_input(
        score_input, None, segmentation_model, schema, derived, score, previous
    )


def assign_rows(
    score_input: pd.DataFrame | ParquetChunks,
    score_preflight: dict[str, Any],
    segmentation_model: SegmentationModel,
    scoring_reference: dict[str, Any],
    schema: dict[str, Any],
    derived: dict[str, Any] | None,
    feature_labels: dict[str, str],
    score: dict[str, Any],
) -> tuple[Iterator[pd.DataFrame], dict[str, Any]]:
    """`score_rows` for a segments use case: every row's segment, checks and drift."""
    return score_rows(
        score_input,
        score_preflight,
        None,
        segmentation_model,
        scoring_reference,
        schema,
        derived,
        feature_labels,
        score,
    )


def is_spark_frame(data: Any) -> bool:
    """A Spark DataFrame (classic or Spark Connect), recognised without importing pyspark."""
    return type(data).__module__.startswith("pyspark.") and hasattr(data, "mapInPandas")


def _keys(
    source: ParquetChunks, schema: dict[str, Any]
) -> tuple[pd.api.extensions.ExtensionArray, pd.Series]:
    """Ids and snapshot dates of every row, checked: no empty id, no unreadable or
    (unless excluded) future date. Read column by column: cheap for parquet."""
    ids = source.column(schema["id_column"])
    text = ids.astype("string").str.strip()
    empty = (text.isna() | (text == "")).to_numpy()
    check_ids_present(
        int(empty.sum()), [f"row {i + 1}" for i in np.flatnonzero(empty)[:5]], schema
    )
    if schema["date_column"] in source.columns:
        raw_dates = source.column(schema["date_column"])
        dates = read_dates(raw_dates, schema.get("date_format"))
        bad = (dates.isna() & raw_dates.notna()).to_numpy()
        unreadable = raw_dates[bad].astype(str).unique()[:5].tolist()
    else:
        dates, bad, unreadable = as_of_dates(source.n_rows, schema), [], []
    future = future_rows(pd.DataFrame({schema["date_column"]: dates}), schema)
    check_dates(
        int(np.sum(bad)),
        unreadable,
        int(future.sum()),
        dates[future].dt.date.astype(str).unique()[:5].tolist(),
        schema,
    )
    # ids stay pandas text (Arrow): no Python object per row for a 1.2M-row input
    return ids.astype(str).array, dates.where(~future)


def _duplicated(ids: Any, dates: np.ndarray) -> np.ndarray:
    """Rows whose (id, date) key another row has: each column factorized on its own,
    the two codes made one integer (a third of `DataFrame.duplicated`'s time on 1.2M
    Arrow-backed ids)."""
    id_codes, _ = pd.factorize(ids)
    date_codes, date_levels = pd.factorize(dates)
    key = id_codes.astype(np.int64) * max(len(date_levels), 1) + date_codes
    return pd.Series(key).duplicated(keep=False).to_numpy()


def check_score_input(
    score_input: pd.DataFrame | ParquetChunks,
    risk_model: RiskModel | None,
    segmentation_model: SegmentationModel,
    schema: dict[str, Any],
    derived: dict[str, Any] | None,
    score: dict[str, Any],
    previous: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Stop before scoring if the artifacts, the columns or the keys (ids, dates,
    duplicates) cannot be trusted, with counts over the whole input, or if it holds
    far fewer rows than the last complete run scored (`previous`, its status record);
    say what will be scored. Every row's values are checked as it is scored
    (`_stream`): the scores file is only moved into place once every chunk has passed."""
    check_artifacts(risk_model, segmentation_model, schema, derived)
    if is_spark_frame(score_input):
        from .spark import check_spark_input  # noqa: PLC0415 - pyspark is an optional extra

        return check_spark_input(
            score_input,
            risk_model,
            segmentation_model,
            schema,
            derived,
            score,
            previous,
        )
    source = ParquetChunks.of(score_input, score["chunk_size"])
    check_not_empty(source.n_rows, schema)
    check_columns(source.columns, schema)
    ids, dates = _keys(source, schema)
    kept = dates.notna().to_numpy()
    keys = pd.DataFrame({"id": ids[kept], "date": dates[kept].to_numpy()})
    duplicated = _duplicated(keys["id"].array, keys["date"].to_numpy())
    check_unique_keys(int(duplicated.sum()), list(set(keys["id"][duplicated])), schema)
    newest = dates.max()
    to_score = (
        (dates == newest) if score["rows"] == "newest_snapshot" else dates.notna()
    )
    summary = preflight_summary(
        "pandas",
        int(source.n_rows),
        int(to_score.sum()),
        pd.Timestamp(newest),
        score,
        schema,
        risk_model,
        segmentation_model,
        previous,
    )
    summary["as_of"] = schema.get("as_of")
    summary["input_fingerprint"] = keys_fingerprint(
        keys["id"].array, keys["date"].to_numpy()
    )
    summary["rows_left_out_future"] = int((~kept).sum())
    if score["rows"] == "newest_snapshot":
        history_window(
            summary, newest, derived, lambda since: int((dates < since).sum())
        )
    return summary


def _entity_chunks(
    source: ParquetChunks,
    schema: dict[str, Any],
    derived: dict[str, Any] | None,
    chunk_size: int,
    summary: dict[str, Any],
) -> Iterator[pd.DataFrame]:
    """Chunks that hold every snapshot of an entity together (needed for history
    features); when only the newest snapshot is scored, only the months its history
    features read (`history_from` on, found by the pre-flight)."""
    if not (derived or {}).get("history"):
        yield from source
        return
    keep = None
    rows = source.n_rows
    if summary.get("history_from"):
        since, date_format = (
            pd.Timestamp(summary["history_from"]),
            schema.get("date_format"),
        )
        keep = (
            schema["date_column"],
            lambda values: ~(read_dates(values, date_format) < since).to_numpy(),
        )
        rows -= summary["rows_before_history_window"]
    parts = max(1, int(np.ceil(rows / chunk_size)))
    if parts == 1:
        whole = pd.concat(list(source), ignore_index=True)
        yield whole if keep is None else whole.loc[keep[1](whole[keep[0]])]
        return
    yield from source.grouped(schema["id_column"], parts, keep)


def _problems(raw: pd.DataFrame, schema: dict[str, Any]) -> list[Problem]:
    """What one chunk breaks of the schema (nothing if it passes)."""
    try:
        validate_chunk(raw, schema)
    except InvalidInputError as err:
        return list(err.problems)
    return []


def _stream(
    source: ParquetChunks,
    artifacts: tuple[RiskModel | None, SegmentationModel, dict[str, Any]],
    params: tuple[dict[str, Any], dict[str, Any] | None, dict[str, str], dict],
    newest: pd.Timestamp,
    summary: dict[str, Any],
) -> Iterator[pd.DataFrame]:
    """Score chunk after chunk, filling the summary (warnings, counts, drift) as it goes."""
    risk_model, segmentation_model, reference = artifacts
    schema, derived, feature_labels, score = params
    drift = DriftCounter(reference)
    start = time.perf_counter()
    problems: list[Problem] = []
    non_empty = dict.fromkeys([*schema["categorical"], *schema["numeric"]], 0)
    listed = [name for name, levels in schema["categorical"].items() if levels]
    known = dict.fromkeys(listed, 0)
    for raw in _entity_chunks(source, schema, derived, score["chunk_size"], summary):
        # after a failed chunk, the rest is only checked: the error counts them all
        if problems:
            problems += _problems(raw, schema)
            continue
        try:
            scored, rows, warnings = score_chunk(
                raw,
                risk_model,
                segmentation_model,
                schema,
                derived,
                feature_labels,
                score,
                newest,
                non_empty,
                known,
            )
        except InvalidInputError as err:
            if not err.problems:  # not a broken schema rule: nothing to add up
                raise
            problems += err.problems
            continue
        for key, count in warnings.items():
            summary["warnings"][key] = summary["warnings"].get(key, 0) + count
        if rows.empty:
            continue
        # drift is measured on the values as they arrived, missing ones included
        drift.add(
            rows,
            scored["risk_score"].to_numpy() if risk_model is not None else None,
            scored["segment"].to_numpy(),
        )
        summary["rows_out"] += len(scored)
        logger.info(
            "  scored %d / %d rows (%.0f rows/s)",
            summary["rows_out"],
            summary["rows_to_score"],
            summary["rows_out"] / max(time.perf_counter() - start, 1e-9),
        )
        yield scored
    if problems:  # nothing is written: the scores file is never moved into place
        raise schema_error(
            input_name(schema),
            merge_problems(problems),
            # the rows checked: those before the history window are not read
            rows=summary["rows_in"] - summary.get("rows_before_history_window", 0),
        )
    summary["empty_features"] = check_features_present(
        non_empty, risk_model, score, schema, segmentation_model, known
    )
    if summary["rows_out"] != summary["rows_to_score"]:
        raise RuntimeError(
            f"scored {summary['rows_out']} rows but {summary['rows_to_score']} were to be scored"
        )
    summary["seconds"] = time.perf_counter() - start
    summary["finished"] = pd.Timestamp.now("UTC").isoformat(timespec="seconds")
    summary["psi"] = drift.psi(floor=score.get("psi_warning", PSI_WARNING)).to_dict(
        "records"
    )
    if SEGMENT_COLUMN in drift.categorical:  # a segments use case: tonight's sizes
        summary["segment_rows"] = segment_rows(
            drift.categorical[SEGMENT_COLUMN], segmentation_model
        )
    summary["complete"] = True


def score_rows(
    score_input: pd.DataFrame | ParquetChunks,
    score_preflight: dict[str, Any],
    risk_model: RiskModel | None,
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
    summary: dict[str, Any] = {
        **score_preflight,
        "rows_out": 0,
        "warnings": {},
        "complete": False,
    }
    chunks = _stream(
        ParquetChunks.of(score_input, score["chunk_size"]),
        (risk_model, segmentation_model, scoring_reference),
        (schema, derived, feature_labels, score),
        pd.Timestamp(score_preflight["newest_snapshot"]),
        summary,
    )
    return chunks, summary


def summarise_scoring(
    score_summary: dict[str, Any], score: dict[str, Any]
) -> tuple[dict[str, Any], pd.DataFrame, dict[str, Any]]:
    """Check the run was complete, log warnings and drift alarms; give the summary, the
    PSI table and the run's status record (a failed run writes its own, see hooks)."""
    if not score_summary.get("complete"):
        raise RuntimeError(
            "the scores were not fully written before the summary was read; "
            "run the score pipeline with the default sequential runner (no --async)"
        )
    for warning, count in score_summary["warnings"].items():
        logger.warning("Scored anyway: %d rows with %s", count, warning)
    monitoring = pd.DataFrame(score_summary["psi"])
    alarms = monitoring.loc[monitoring["drift"].str.startswith("major")]
    for row in alarms.itertuples():
        logger.warning(
            "Population drift: PSI of '%s' is %.3f, above %.3f (the floor, or what "
            "sampling alone gives for %d rows)",
            row.feature,
            row.psi,
            row.alarm_level,
            score_summary["rows_out"],
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
    report["drift_alarms"] = alarms["feature"].tolist()
    report["status"] = "complete"
    status = {
        k: report.get(k)
        for k in (
            "status",
            "run_id",
            "as_of",
            "input_fingerprint",
            "rows_in",
            "rows_out",
            "started",
            "finished",
        )
    }
    return report, monitoring, status
