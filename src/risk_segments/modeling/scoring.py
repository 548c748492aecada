"""The engine-neutral scoring core: what the pandas batch and Spark both run.

`score_chunk` turns raw rows holding whole entities into scored rows (risk,
tier, reasons, segment) with nothing but the fitted artifacts: the pandas
batch calls it per chunk, the Spark path per partition inside `mapInPandas`.
The checks both engines make before scoring (artifacts against parameters,
required columns, empty input, duplicate keys) are defined here once, with
their messages; an engine only computes the counts.
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from risk_segments.schema import (
    InvalidInputError,
    as_of_date,
    count_violations,
    separator_hint,
)

from .artifacts import source_fingerprint
from .features import (
    first_month_needed,
    model_features,
    model_input_from_validated,
    validate_raw_table,
)
from .reasons import reason_arrays
from .risk_model import RiskModel, unseen_missing_counts
from .segmentation import SegmentationModel

logger = logging.getLogger(__name__)
IMPUTED_WARNING = (
    "features missing that training never saw missing (scored with the training median)"
)


def score_frame(
    rows: pd.DataFrame,
    risk_model: RiskModel | None,
    segmentation_model: SegmentationModel,
    feature_labels: dict[str, str],
    *,
    id_column: str,
    date_column: str,
    reasons_for: str = "review",
    top_k: int = 4,
) -> pd.DataFrame:
    """One scored row per input row: risk score, tier, reasons, segment, versions
    (segment and versions only for a use case without a risk model)."""
    out = pd.DataFrame(
        {
            id_column: rows[id_column].array,  # as they are: no copy to Python objects
            date_column: rows[date_column].array,
        }
    )
    if risk_model is None:
        segments, atypical = segmentation_model.assign(rows)
    else:  # segments in a second thread while CatBoost scores (numpy releases the GIL)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="segments") as pool:
            assigned = pool.submit(segmentation_model.assign, rows)
            _risk_columns(out, rows, risk_model, feature_labels, reasons_for, top_k)
            segments, atypical = assigned.result()
    out["segment"] = segments
    kinds, which = np.unique(segments, return_inverse=True)
    names = pd.Series(kinds).map(segmentation_model.segment_names).to_numpy(object)
    out["segment_name"] = _text(names, which.ravel())
    out["atypical"] = atypical
    if risk_model is not None:
        out["model_version"] = risk_model.info.get("version", "unversioned")
    out["segmentation_version"] = segmentation_model.info.get("version", "unversioned")
    out["run_id"] = (risk_model or segmentation_model).info.get("run_id", "unpublished")
    return out


def _risk_columns(
    out: pd.DataFrame,
    rows: pd.DataFrame,
    risk_model: RiskModel,
    feature_labels: dict[str, str],
    reasons_for: str,
    top_k: int,
) -> None:
    """Add the risk score, tier, flag, imputed count and reasons of every row to `out`."""
    pool = risk_model.pool(rows)  # built once: the score and the reasons read it
    probability = risk_model.predict_proba(pool)
    out["risk_score"] = probability
    out["risk_tier"] = risk_model.tier(probability)
    out["flagged"] = probability >= risk_model.thresholds["decision"]
    # features missing here that training never saw missing (filled with the median)
    out["imputed_features"] = unseen_missing_counts(rows, risk_model.spec)
    if reasons_for == "all":
        wanted = np.ones(len(rows), dtype=bool)
    elif reasons_for == "review":
        wanted = probability >= risk_model.thresholds["review_share"]
    else:
        raise ValueError(
            f"score.reasons_for must be 'review' or 'all', got '{reasons_for}'"
        )
    picked = np.flatnonzero(wanted)
    reasons = reason_arrays(
        risk_model,
        rows.iloc[picked],
        feature_labels,
        top_k,
        pool=pool if wanted.all() else pool.slice(picked.tolist()),
    )
    position = _positions(wanted)
    for column, reason in reasons.items():
        # fixed dtypes, so every chunk has the same schema whatever it holds
        if column.endswith("contribution"):
            spread = np.full(len(rows), np.nan)
            spread[wanted] = reason
            out[column] = spread
        else:
            out[column] = _text(reason, position)


def _positions(wanted: np.ndarray) -> np.ndarray:
    """For every row, its position among the wanted rows (-1 if not wanted)."""
    position = np.full(len(wanted), -1, dtype=np.int64)
    position[wanted] = np.arange(int(wanted.sum()))
    return position


def _text(values: np.ndarray, take: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """`values[take]` as pandas text, missing where `take` is -1 (and where a value
    is None): gathered in Arrow, so no Python object is made per output row."""
    gathered = pc.take(
        pa.array(values, type=pa.large_string(), from_pandas=True),
        pa.array(take, mask=take < 0),
    )
    return pd.array(gathered, dtype="str")


# --------------------------------------------------------------------------- checks


def input_name(schema: dict[str, Any]) -> str:
    """How error messages name the rows to score: the dataset the user points at them."""
    if schema.get("namespace"):
        return f"{schema['namespace']}.score_input"
    return f"{schema.get('source', 'score input').replace('raw_table', 'score_input')}"


def check_ids_present(
    empty_ids: int, examples: list[str], schema: dict[str, Any]
) -> None:
    """Stop on rows without an id (the engine counts them over the whole input)."""
    if empty_ids:
        raise InvalidInputError(
            f"{input_name(schema)}: {empty_ids} row(s) have no id in '{schema['id_column']}' "
            f"({', '.join(examples[:5])}); every row to score needs one"
        )


def check_dates(
    unreadable: int,
    unreadable_examples: list[str],
    future: int,
    future_examples: list[str],
    schema: dict[str, Any],
) -> None:
    """Stop on unreadable dates, and on dates after the as-of date unless they are
    to be left out (`future_rows: exclude`)."""
    date = schema["date_column"]
    if unreadable:
        raise InvalidInputError(
            f"{input_name(schema)}: column '{date}' has {unreadable} unreadable date(s), "
            f"e.g. {unreadable_examples[:5]}"
        )
    if future and schema.get("future_rows", "error") != "exclude":
        raise InvalidInputError(
            f"{input_name(schema)}: {future} row(s) dated after the as-of date "
            f"{schema.get('as_of')} in '{date}', e.g. {future_examples[:5]}; fix the dates, "
            "run with --params as_of=YYYY-MM-DD, or set future_rows: exclude to leave them "
            "out and count them"
        )


RECODED_VALUES = 50  # a categorical with this many values, none of a known level


def check_features_present(
    non_empty: dict[str, int],
    risk_model: RiskModel | None,
    score: dict[str, Any],
    schema: dict[str, Any],
    segmentation_model: SegmentationModel | None = None,
    known: dict[str, int] | None = None,
) -> list[str]:
    """Features the model (without one: the segments) uses that arrive with no value at
    all, or (`known`) with values, at least RECODED_VALUES of them, but none of the
    levels training saw ('BUSINESS' where training had 'Business': the column recoded,
    not a new level in a few rows): they change decisions, so they stop the run unless
    `score.on_empty_feature: warn`. Returns them."""
    used = set(
        risk_model.spec["features"]
        if risk_model is not None
        else segmentation_model.input_columns
    )
    empty = [name for name, count in non_empty.items() if count == 0 and name in used]
    unknown = [
        name
        for name, count in (known or {}).items()
        if count == 0 and non_empty.get(name, 0) >= RECODED_VALUES and name in used
    ]
    if (empty or unknown) and score.get("on_empty_feature", "error") == "error":
        what = (
            "the model uses them, so scores and flags would change"
            if risk_model is not None
            else "the segments use them, so assignments would change"
        )
        arrive = [f"feature(s) {empty} arrive with no value at all"] if empty else []
        arrive += [
            f"'{name}' arrives with none of the levels training saw "
            f"({_listed(schema['categorical'][name])}), in every row"
            for name in unknown
        ]
        raise InvalidInputError(
            f"{input_name(schema)}: {'; '.join(arrive)}; {what}. Fix the extract, or "
            "set score.on_empty_feature: warn to score anyway"
        )
    return empty + unknown


def _listed(levels: list[Any], shown: int = 5) -> str:
    more = f" and {len(levels) - shown} more" if len(levels) > shown else ""
    return ", ".join(repr(str(v)) for v in levels[:shown]) + more


def scoring_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """At scoring, unseen categories, out-of-range values and empty columns within a
    chunk are scored and counted (whole-input rules are checked before scoring), and
    the label column, which scoring never reads, is left out unread: a nightly file's
    label holding a value training never saw ('Pending') stopped the batch."""
    return {
        **schema,
        "on_unknown_category": "warn",
        "on_out_of_range": "warn",
        "on_empty_feature": "warn",
        "future_rows": "exclude",
        "source": input_name(schema),
        "drop": [*(schema.get("drop") or []), schema.get("label_column")],
    }


def required_columns(schema: dict[str, Any]) -> list[str]:
    """The raw columns a table to score must have (the date only if tables carry one)."""
    date = [schema["date_column"]] if schema.get("date_in_table", True) else []
    return [schema["id_column"], *date, *schema["categorical"], *schema["numeric"]]


def as_of_dates(n_rows: int, schema: dict[str, Any]) -> pd.Series:
    """The snapshot date of every row of a table without a date column
    (`date_in_table: false`): the run's as-of date."""
    return pd.Series(as_of_date(schema), index=range(n_rows))


def check_artifacts(
    risk_model: RiskModel | None,
    segmentation_model: SegmentationModel,
    schema: dict[str, Any],
    derived: dict[str, Any] | None,
) -> None:
    """The saved model and segmentation must match the features the parameters list."""
    expected = model_features(schema, derived)
    if risk_model is not None and risk_model.spec["features"] != expected:
        added = sorted(set(expected) - set(risk_model.spec["features"]))
        dropped = sorted(set(risk_model.spec["features"]) - set(expected))
        raise InvalidInputError(
            "the saved risk model was trained on other features than the parameters now list "
            f"(in parameters only: {added}; in the model only: {dropped}); retrain with `kedro run`"
        )
    missing_segment_features = [
        f for f in segmentation_model.input_columns if f not in expected
    ]
    if missing_segment_features:
        raise InvalidInputError(
            f"the saved segmentation uses unknown features {missing_segment_features}"
        )


def check_columns(columns: list[str], schema: dict[str, Any]) -> None:
    """Stop if the table to score lacks a column the model needs."""
    required = required_columns(schema)
    missing = [c for c in required if c not in columns]
    if missing:
        # a nightly export that renamed a column ('Tenure(months)'): name the likely one
        named = set(required)
        others = [str(c) for c in columns if c not in named]
        near = {m: difflib.get_close_matches(str(m), others, n=1) for m in missing}
        renamed = [f"'{m}' as '{n[0]}'" for m, n in near.items() if n]
        raise InvalidInputError(
            f"{input_name(schema)}: missing column(s) {missing} that the model needs"
            + (f"; renamed? the file has {', '.join(renamed)}" if renamed else "")
            + separator_hint(columns)
        )


def check_not_empty(n_rows: int, schema: dict[str, Any]) -> None:
    """Stop on a table with no row."""
    if not n_rows:
        raise InvalidInputError(
            f"{input_name(schema)}: the table is empty (0 rows); nothing to score"
        )


def check_unique_keys(
    duplicated_rows: int, example_ids: list[str], schema: dict[str, Any]
) -> None:
    """Stop if rows share an (id, date) key; the engine counts them and gives examples."""
    if duplicated_rows:
        raise InvalidInputError(
            f"{input_name(schema)}: {duplicated_rows} rows share an "
            f"({schema['id_column']}, {schema['date_column']}) key, e.g. "
            f"{sorted(example_ids)[:5]}; each entity may appear once per snapshot"
        )


OLD_INPUT = ("error", "warn")


def check_not_older(
    newest: pd.Timestamp, score: dict[str, Any], schema: dict[str, Any], model: Any
) -> bool:
    """Whether the input's newest snapshot is older than the newest the artifacts were
    trained on (`trained_to`): last month's extract scored again, or the wrong file.
    A nightly batch that scores the newest snapshot stops on it unless
    `score.on_old_input: warn` (a backfill of past months). Inputs of one snapshot
    dated by the run (no date column) and sets trained before this check say nothing."""
    trained_to = model.info.get("trained_to")
    if score["rows"] != "newest_snapshot" or not trained_to:
        return False
    if newest.tzinfo is not None:  # dates read with their zone: compared in UTC
        newest = newest.tz_convert("UTC").tz_localize(None)
    if newest.normalize() >= pd.Timestamp(trained_to):
        return False
    action = score.get("on_old_input", "error")
    if action not in OLD_INPUT:
        raise InvalidInputError(
            f"score.on_old_input is {action!r}; expected one of {list(OLD_INPUT)}"
        )
    message = (
        f"{input_name(schema)}: its newest snapshot is {newest.date()}, older than the "
        f"newest the artifacts were trained on ({trained_to}): last month's extract, "
        "or another file?"
    )
    if action == "error":
        raise InvalidInputError(
            f"{message} Score the newest extract, or set score.on_old_input: warn "
            "to score past months (a backfill)"
        )
    logger.warning("%s Scored anyway (score.on_old_input: warn)", message)
    return True


def last_complete(record: dict[str, Any] | None) -> dict[str, Any]:
    """The last complete score run's record from the status a run left: that record if
    the run was complete, else the one a failed run carries (`last_complete`); {}."""
    record = record or {}
    if record.get("status") == "complete":
        return record
    return record.get("last_complete") or {}


def check_volume(
    rows: int, previous: dict[str, Any] | None, score: dict[str, Any], schema: dict
) -> int | None:
    """The rows the last complete score run scored (None before the first); stops when
    tonight's are fewer than `score.min_rows_share` of them: an extract cut short (a
    job that timed out, a page of an API export), a filter upstream, the wrong file.
    Such a batch scored its rows right and left the others without a score, in
    silence. `min_rows_share: null` for inputs that hold only the rows that changed."""
    last = last_complete(previous)
    before, share = last.get("rows_out"), score.get("min_rows_share")
    if share is None or not before or rows >= float(share) * before:
        return before
    name = input_name(schema)
    raise InvalidInputError(
        f"{name}: {rows:,} rows to score, {rows / before:.0%} of the {before:,} the last "
        f"complete run scored (finished {last.get('finished', 'at an unknown time')}): "
        f"an extract cut short, a filter upstream, or another file? score.min_rows_share "
        f"({share}) stops a run below that share of the last one; for one run: "
        f'--params "{name.split(".")[0]}.score.min_rows_share=0"; null turns the '
        "check off (inputs that hold only the rows that changed)"
    )


def check_view_current(
    raw_orders: Any, built: dict[str, Any], schema: dict[str, Any]
) -> None:
    """An order log's score run reads the customer view the last data_processing run
    built; a log changed since (tonight's orders appended, another export) would be
    scored as the customers were then, in silence: it stops, saying how to build it."""
    now = source_fingerprint(raw_orders)
    if built.get("raw_orders") == now:
        return
    name = input_name(schema).split(".")[0]
    then = (
        f"built {built.get('built')} from {_size(built['raw_orders'])}"
        if built.get("raw_orders")
        else "no record of the log it was built from: built before this check"
    )
    raise InvalidInputError(
        f"{name}.raw_orders ({_size(now)}) is not the order log the customer "
        f"view the score run reads was built from ({then}): scored now, every customer "
        "would be scored as they were then. Build tonight's view first: kedro run "
        f"--pipeline=data_processing --namespaces={name}, then kedro run "
        f"--pipeline=score --namespaces={name}"
    )


def _size(fingerprint: str) -> str:
    """'53,205 rows' of a `source_fingerprint` ('53205x4:...', '69660x1 parts:...')."""
    return f"{int(fingerprint.split('x', maxsplit=1)[0]):,} rows"


def preflight_summary(
    engine: str,
    rows_in: int,
    rows_to_score: int,
    newest: pd.Timestamp,
    score: dict[str, Any],
    schema: dict[str, Any],
    risk_model: RiskModel | None,
    segmentation_model: SegmentationModel,
    previous: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """What the run will score and with which artifacts (logged, and kept in the
    summary); an input older than the artifacts' training data (`check_not_older`)
    or far smaller than the last complete run's (`check_volume`) stops it."""
    preflight = {
        "engine": engine,
        "run_id": (risk_model or segmentation_model).info.get("run_id", "unpublished"),
        "started": pd.Timestamp.now("UTC").isoformat(timespec="seconds"),
        "rows_in": rows_in,
        "rows_to_score": rows_to_score,
        "score_rows": score["rows"],
        "newest_snapshot": str(newest.date()),
        "model_version": risk_model.info.get("version", "unversioned")
        if risk_model is not None
        else "none (segments only)",
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
    preflight["older_than_training"] = check_not_older(
        newest, score, schema, risk_model or segmentation_model
    )
    preflight["rows_last_complete_run"] = check_volume(
        rows_to_score, previous, score, schema
    )
    return preflight


def segment_rows(
    counts: dict[str, int], segmentation_model: SegmentationModel
) -> dict[str, int]:
    """Tonight's rows per segment (counted by the engine, keyed by segment id as text),
    by segment name: the summary of a segments use case's score run."""
    names = segmentation_model.segment_names
    return {
        names.get(int(s), f"segment {s}"): int(n) for s, n in sorted(counts.items())
    }


def history_window(
    summary: dict[str, Any],
    newest: pd.Timestamp,
    derived: dict[str, Any] | None,
    count_older: Callable[[pd.Timestamp], int],
) -> None:
    """The newest snapshot's history features read a few months back: rows older than
    that feed nothing and are not scored, so neither engine reads them. Adds
    `history_from` and `rows_before_history_window` (counted by the engine) to the
    pre-flight summary; nothing without history features."""
    since = first_month_needed(newest, derived)
    if pd.isna(since):
        return
    older = count_older(since)
    summary["history_from"] = str(since.date())
    summary["rows_before_history_window"] = older
    if older:
        logger.info(
            "%d rows are dated before %s, the oldest month the newest snapshot's history "
            "features read: they feed no feature and are not scored, so they are not read",
            older,
            summary["history_from"],
        )


# --------------------------------------------------------------------------- one chunk


def validate_chunk(raw: pd.DataFrame, schema: dict[str, Any]) -> pd.DataFrame:
    """One chunk of rows to score, checked and coerced with the scoring schema (duplicate
    keys are checked over the whole input, tolerated values counted by the caller)."""
    return validate_raw_table(raw, scoring_schema(schema), chunk=True)


def score_chunk(
    raw: pd.DataFrame,
    risk_model: RiskModel | None,
    segmentation_model: SegmentationModel,
    schema: dict[str, Any],
    derived: dict[str, Any] | None,
    feature_labels: dict[str, str],
    score: dict[str, Any],
    newest: pd.Timestamp,
    non_empty: dict[str, int] | None = None,
    known: dict[str, int] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, int]]:
    """Raw rows holding whole entities -> (scored rows, their model input, warning counts).

    The one scoring step both engines run: the pandas batch calls it per chunk,
    the Spark path per partition inside `mapInPandas`. `non_empty` (feature -> count),
    if given, gets the number of values each feature has in these rows added; `known`
    (categorical feature -> count) the number of them among the levels training saw.
    """
    warnings: dict[str, int] = {}
    validated = validate_chunk(raw, schema)
    for name in non_empty or {}:
        non_empty[name] += int(validated[name].notna().sum())
    for name in known or {}:
        known[name] += int(
            validated[name].isin(list(schema["categorical"][name])).sum()
        )
    to_score, newest_rows = validated, None
    if score["rows"] == "newest_snapshot":  # history rows feed features, are not scored
        newest_rows = np.flatnonzero(validated[schema["date_column"]] == newest)
        to_score = validated.iloc[newest_rows]
    for kind, column, count in count_violations(to_score, scoring_schema(schema)):
        key = f"{kind} in '{column}'"
        warnings[key] = warnings.get(key, 0) + count
    rows = model_input_from_validated(validated, schema, derived, newest_rows)
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
    # (no risk model, no median-filled features: a segments use case has no such column)
    imputed = (
        int((scored["imputed_features"] > 0).sum())
        if "imputed_features" in scored
        else 0
    )
    if imputed:
        warnings[IMPUTED_WARNING] = imputed
    return scored, rows, warnings
