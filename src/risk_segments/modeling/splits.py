"""Which labeled rows train, validate and test a model, and how stages read them back.

`assign_roles` splits the labeled rows of a model-input table the way the model
will be used (by time for panels, stratified for one snapshot); `rows_of` and
`labels_of` are how every stage takes the rows of one role and their labels.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

logger = logging.getLogger(__name__)
ROLES = ("train", "valid", "test")
MIN_PER_CLASS = 5  # rows of each class every part of the split needs


def _time_roles(
    labeled: pd.DataFrame, date_col: str, split: dict[str, Any]
) -> np.ndarray:
    """The newest labeled dates test, the ones before them validate, the rest train."""
    dates = np.sort(labeled[date_col].unique())
    n_test, n_valid = int(split["test_periods"]), int(split["valid_periods"])
    if len(dates) < n_test + n_valid + 1:
        raise ValueError(
            f"a time split needs at least {n_test + n_valid + 1} labeled snapshot dates "
            f"in '{date_col}', found {len(dates)}"
        )
    return np.where(
        labeled[date_col].isin(dates[-n_test:]),
        "test",
        np.where(
            labeled[date_col].isin(dates[-(n_test + n_valid) : -n_test]),
            "valid",
            "train",
        ),
    )


def _stratified_roles(y: np.ndarray, split: dict[str, Any]) -> np.ndarray:
    """A stratified hold-out for test, then another for validation."""
    index = np.arange(len(y))
    rest, test = train_test_split(
        index, test_size=split["test_size"], stratify=y, random_state=split["seed"]
    )
    train, valid = train_test_split(
        rest,
        test_size=split["valid_size"],
        stratify=y[rest],
        random_state=split["seed"],
    )
    role = np.empty(len(y), dtype=object)
    role[train], role[valid], role[test] = "train", "valid", "test"
    return role


def assign_roles(
    model_input: pd.DataFrame, schema: dict[str, Any], split: dict[str, Any]
) -> pd.DataFrame:
    """(id, date, role) for every labeled row: train, valid or test."""
    id_col, date_col, label_col = (
        schema["id_column"],
        schema["date_column"],
        schema["label_column"],
    )
    labeled = model_input.loc[
        model_input[label_col].notna(), [id_col, date_col, label_col]
    ]
    if labeled.empty:
        raise ValueError(f"no labeled rows: column '{label_col}' is empty everywhere")
    strategy = split["strategy"]
    if strategy == "time":
        role = _time_roles(labeled, date_col, split)
    elif strategy == "stratified":
        role = _stratified_roles(labeled[label_col].astype(int).to_numpy(), split)
    else:
        raise ValueError(
            f"split.strategy must be 'time' or 'stratified', got '{strategy}'"
        )
    _log_roles(labeled, role, date_col, label_col)
    _enough_of_each_class(labeled[label_col].astype(int).to_numpy(), role)
    return labeled[[id_col, date_col]].assign(role=role).reset_index(drop=True)


def _enough_of_each_class(y: np.ndarray, role: np.ndarray) -> None:
    """Stop, with the counts, when a part of the split holds too few rows of a class to
    fit, calibrate or evaluate on (a part with one positive: a metric of one row)."""
    short = [
        f"{name} {int(y[role == name].sum())} positive / "
        f"{int((y[role == name] == 0).sum())} negative"
        for name in ROLES
        if min(int(y[role == name].sum()), int((y[role == name] == 0).sum()))
        < MIN_PER_CLASS
    ]
    if short:
        raise ValueError(
            f"too few labeled rows of a class: {int(y.sum())} positive and "
            f"{int((y == 0).sum())} negative in all, split into {'; '.join(short)}; "
            f"train, valid and test each need at least {MIN_PER_CLASS} of both. Label "
            "more rows, or give the held-out parts more rows (supervised.split)"
        )


def _log_roles(
    labeled: pd.DataFrame, role: np.ndarray, date_col: str, label_col: str
) -> None:
    for name in ROLES:
        mask = role == name
        logger.info(
            "split %-5s: %7d rows, positive rate %.3f, dates %s to %s",
            name,
            int(mask.sum()),
            float(labeled[label_col].to_numpy()[mask].astype(float).mean()),
            str(pd.Timestamp(labeled[date_col].to_numpy()[mask].min()).date()),
            str(pd.Timestamp(labeled[date_col].to_numpy()[mask].max()).date()),
        )


def rows_of(
    model_input: pd.DataFrame,
    data_split: pd.DataFrame,
    schema: dict[str, Any],
    role: str,
) -> pd.DataFrame:
    """The model-input rows the split gave `role` (train, valid or test)."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}, got '{role}'")
    keys = [schema["id_column"], schema["date_column"]]
    wanted = data_split.loc[data_split["role"] == role, keys]
    rows = model_input.merge(wanted, on=keys, how="inner")
    if len(rows) != len(wanted):
        raise ValueError(
            f"{len(wanted) - len(rows)} '{role}' rows of the split are not in model_input"
        )
    return rows


def labels_of(frame: pd.DataFrame, schema: dict[str, Any]) -> np.ndarray:
    """The label column as 0/1 integers (the rows must be labeled)."""
    return frame[schema["label_column"]].astype(int).to_numpy()
