"""The model-input contract: pandera schemas and feature lists built from parameters."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaError, SchemaErrors

logger = logging.getLogger(__name__)


class InvalidInputError(ValueError):
    """A table did not meet its schema; the message names every column and rule broken."""


def categorical_features(schema: dict[str, Any]) -> list[str]:
    """Categorical feature names, in parameter order."""
    return list(schema["categorical"])


def raw_numeric_features(schema: dict[str, Any]) -> list[str]:
    """Numeric feature names that a raw table must provide, in parameter order."""
    return list(schema["numeric"])


def _range_checks(bounds: list | None) -> list[pa.Check]:
    low, high = (list(bounds) + [None, None])[:2] if bounds else (None, None)
    checks = [
        pa.Check(lambda s: ~np.isinf(s), name="finite (no inf)"),
    ]
    if low is not None:
        checks.append(pa.Check.ge(low))
    if high is not None:
        checks.append(pa.Check.le(high))
    return checks


def build_raw_schema(
    schema: dict[str, Any],
    *,
    require_label: bool = False,
    check_categories: bool = True,
    check_ranges: bool = True,
) -> pa.DataFrameSchema:
    """Pandera schema for a raw table: ids, date, typed features in range, optional label."""
    id_col, date_col, label_col = (
        schema["id_column"],
        schema["date_column"],
        schema["label_column"],
    )
    columns: dict[str, pa.Column] = {
        id_col: pa.Column(str, nullable=False, coerce=True),
        date_col: pa.Column("datetime64[ns]", nullable=False, coerce=True),
    }
    for name, levels in schema["categorical"].items():
        checks = [
            pa.Check(lambda s: s.map(lambda v: isinstance(v, str)), name="text values")
        ]
        if check_categories and levels is not None:  # null levels: any text
            checks.append(pa.Check.isin(list(levels)))
        columns[name] = pa.Column(None, nullable=True, checks=checks)
    for name, bounds in schema["numeric"].items():
        columns[name] = pa.Column(
            "float64",
            nullable=True,
            coerce=True,
            checks=_range_checks(bounds) if check_ranges else [],
        )
    columns[label_col] = pa.Column(
        "Int8",
        nullable=True,
        coerce=True,
        required=require_label,
        checks=[pa.Check.isin([0, 1])],
    )
    return pa.DataFrameSchema(columns, strict=False)


def _describe_failures(failures: pd.DataFrame) -> list[str]:
    """One line per (column, rule), with a row count and example values."""
    lines = []
    missing = failures["check"].eq("column_in_dataframe")
    for column in failures.loc[missing, "failure_case"].astype(str).unique():
        lines.append(f"column '{column}': missing (required by the schema)")
    failures = failures.loc[~missing]
    is_coerce = failures["check"].astype(str).str.startswith("coerce_dtype")
    badly_typed = failures.loc[is_coerce, "column"].unique()
    # a column that cannot be read as its type: report only that, not the knock-on checks
    failures = failures.loc[is_coerce | ~failures["column"].isin(badly_typed)]
    for (column, check), group in failures.groupby(["column", "check"], sort=False):
        examples = group["failure_case"].dropna().astype(str).unique()[:5]
        rows = int(group["index"].notna().sum())
        where = f" in {rows} rows" if rows else ""
        sample = f" (e.g. {', '.join(examples)})" if len(examples) else ""
        lines.append(f"column '{column}': failed '{check}'{where}{sample}")
    return lines


def validate_table(
    table: pd.DataFrame,
    schema: dict[str, Any],
    source: str,
    *,
    require_label: bool = False,
) -> pd.DataFrame:
    """Validate and coerce a raw table; raise InvalidInputError naming each broken rule.

    Unknown categories are an error by default; with ``on_unknown_category: warn``
    they are counted in the log and kept (the model tolerates them).
    """
    if not isinstance(table, pd.DataFrame):
        raise InvalidInputError(
            f"{source}: expected a pandas DataFrame, got {type(table).__name__}"
        )
    if table.empty:
        raise InvalidInputError(f"{source}: the table is empty (0 rows)")
    strict_categories = schema.get("on_unknown_category", "error") == "error"
    strict_ranges = schema.get("on_out_of_range", "error") == "error"
    pandera_schema = build_raw_schema(
        schema,
        require_label=require_label,
        check_categories=strict_categories,
        check_ranges=strict_ranges,
    )
    table = table.reset_index(drop=True)
    try:
        validated = pandera_schema.validate(table, lazy=True)
    except SchemaErrors as err:
        lines = _describe_failures(err.failure_cases)
        raise InvalidInputError(
            f"{source} does not match its schema ({len(lines)} problem(s)):\n  - "
            + "\n  - ".join(lines)
        ) from None
    except SchemaError as err:  # pragma: no cover - lazy=True reports SchemaErrors
        raise InvalidInputError(f"{source}: {err}") from None
    keys = [schema["id_column"], schema["date_column"]]
    duplicated = validated.duplicated(keys, keep=False)
    if duplicated.any():
        examples = validated.loc[duplicated, keys].drop_duplicates().head(5)
        raise InvalidInputError(
            f"{source}: {int(duplicated.sum())} rows share an ({', '.join(keys)}) key; "
            f"each entity may appear once per snapshot. Examples: "
            f"{examples.astype(str).to_dict('records')}"
        )
    if not (strict_categories and strict_ranges):
        for kind, column, count in count_violations(validated, schema):
            logger.warning(
                "%s: %d rows have %s in '%s' (kept and scored)",
                source,
                count,
                kind,
                column,
            )
    return validated


def count_violations(
    table: pd.DataFrame, schema: dict[str, Any]
) -> list[tuple[str, str, int]]:
    """(kind, column, rows) for unseen categories, values out of range, inf, and all-empty columns."""
    found = []
    for name, levels in schema["categorical"].items():
        if name in table.columns and levels is not None:
            unseen = int((table[name].notna() & ~table[name].isin(list(levels))).sum())
            if unseen:
                found.append(("unseen categories", name, unseen))
    for name, bounds in schema["numeric"].items():
        if name not in table.columns:
            continue
        values = table[name].to_numpy(dtype=float)
        low, high = (list(bounds or []) + [None, None])[:2]
        infinite = int(np.isinf(values).sum())
        if infinite:
            found.append(("inf values", name, infinite))
        finite = values[np.isfinite(values)]
        outside = int(
            ((finite < low).sum() if low is not None else 0)
            + ((finite > high).sum() if high is not None else 0)
        )
        if outside:
            found.append((f"values outside [{low}, {high}]", name, outside))
    for name in [*schema["categorical"], *schema["numeric"]]:
        if name in table.columns and len(table) and table[name].isna().all():
            found.append(("no value at all (all empty)", name, len(table)))
    return found
