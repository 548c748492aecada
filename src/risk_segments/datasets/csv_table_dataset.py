"""A CSV read with the marks it was drafted with, and checked to still be written so.

`pandas.CSVDataset` with one check before each load of a local file: the file's first
lines must not contradict the entry's `load_args` (its separator and decimal mark, as
`risk_segments.dialect.dialect_mismatch` reads them). A nightly extract that writes
`45.59` where the drafted file wrote `45,59` would otherwise be read as 4,559 without
a word; now the load stops, naming the file, what it shows and what to change.

A table without an id column (a survey export, UCI's bank marketing) gets one from
`line_column`: each row's line in the file, which is how a person finds the row again.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from kedro.io import DatasetError
from kedro_datasets.pandas import CSVDataset

from risk_segments.dialect import dialect_mismatch, first_row_line, not_a_csv

logger = logging.getLogger(__name__)


# the first field of a report's closing line: a sum, not an entity
SUMMARY_WORDS = {
    "total",
    "totals",
    "grand total",
    "sum",
    "subtotal",
    "sub-total",
    "summe",
    "gesamt",
    "gesamtsumme",
    "totaal",
    "total général",
}
MAX_SUMMARY_ROWS = 3  # closing lines: sums and notes
NOTE_WORDS = 3  # a closing line of one field with this many words is a note
SUMMARY_WINDOW = 12  # ...among the file's last 12 rows, empty ones counted


def table_rows(
    rows: pd.DataFrame, read_args: dict[str, Any], added: str | None = None
) -> tuple[pd.DataFrame, dict[str, list[int]]]:
    """The rows of the table itself, and the file lines of the rows left out, by why:
    "empty", every field empty (`,,,,` lines, as spreadsheets save the empty rows below
    a table), and "summary" and "note", up to 3 closing lines whose first filled field
    is a word such as Total or Sum (a report's sum line, not an entity) or that hold
    one field of words (`Exported from CRM on 30/06/2024`). `added`: a column the
    file does not have (the line column)."""
    filled = rows.notna()  # a mask, not a copy of the table
    if added in rows.columns:
        filled = filled.drop(columns=[added])
    if not len(rows) or not filled.shape[1]:
        return rows, {}
    empty = ~filled.any(axis=1).to_numpy()
    closing = {"summary": np.zeros(len(rows), dtype=bool)}
    closing["note"] = np.zeros(len(rows), dtype=bool)
    last = np.flatnonzero(~empty[-SUMMARY_WINDOW:])[::-1] + max(
        0, len(rows) - SUMMARY_WINDOW
    )
    for position in last[:MAX_SUMMARY_ROWS]:
        why = _closing_line(rows.iloc[position][filled.columns].dropna())
        if why is None:
            break
        closing[why][position] = True
    gone = empty | closing["summary"] | closing["note"]
    if not gone.any():
        return rows, {}
    start = first_row_line(read_args)
    lines = {
        why: [int(i) + start for i in np.flatnonzero(mask)]
        for why, mask in (("empty", empty), *closing.items())
        if mask.any()
    }
    return rows.loc[~gone], lines


def _closing_line(values: pd.Series) -> str | None:
    """Why a line at the end of a table is none of its rows: "summary" (its first
    filled field is Total, Sum, ...) or "note" (one field of words, such as "Exported
    from CRM on 30/06/2024" or "Source: finance"), else None."""
    first = str(values.iloc[0]).strip()
    if first.rstrip(":").lower() in SUMMARY_WORDS:
        return "summary"
    if len(values) == 1 and len(first.split()) >= NOTE_WORDS:
        return "note" if any(c.isalpha() for c in first) else None
    return None


LEFT_OUT = {
    "empty": "with every field empty",
    "summary": "that sum the table (Total, Sum, ...: no entity)",
    "note": "below the table with one field of words (Exported from ..., Source: ...: no entity)",
}


class CSVTableDataset(CSVDataset):
    """`pandas.CSVDataset` that refuses a file written in another dialect than its
    `load_args` read (separator, decimal mark).

    Example catalog entry (what `kedro draft-use-case` writes):

        shop.score_input:
          type: risk_segments.datasets.CSVTableDataset
          filepath: data/01_raw/customers.csv
          load_args: {sep: ";", decimal: ",", thousands: ".", encoding: cp1252}

    With `line_column: line`, the rows get a first column `line`: the row's line in
    the file (the header is line 1; lines skipped by `skiprows` count; a file without
    blank lines between its rows is assumed, as pandas skips those).
    """

    def __init__(self, *, line_column: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._line_column = line_column

    def load(self) -> pd.DataFrame:
        if self._protocol == "file":
            path = Path(str(self._get_load_path()))
            if path.exists() and (problem := not_a_csv(path)):
                raise DatasetError(f"'{path}': {problem}")
            if path.exists() and (problem := dialect_mismatch(path, self._load_args)):
                raise DatasetError(
                    f"'{path}': {problem}; set the entry's load_args to how the file "
                    "is written (or draft it again with `kedro draft-use-case`)"
                )
        rows = super().load()
        if self._line_column:
            if self._line_column in rows.columns:
                raise DatasetError(
                    f"'{self._get_load_path()}' has a column '{self._line_column}' of "
                    "its own: give the entry's line_column another name"
                )
            rows.insert(0, self._line_column, self._lines(len(rows)))
        kept, left_out = table_rows(rows, self._load_args, self._line_column)
        for why, lines in left_out.items():
            logger.warning(
                "%s: %d row(s) %s left out (file lines %s)",
                self._get_load_path(),
                len(lines),
                LEFT_OUT[why],
                lines[:5],
            )
        return kept

    def _lines(self, n_rows: int) -> np.ndarray:
        """Each row's line in the file: after the skipped lines and the header."""
        try:
            first = first_row_line(self._load_args)
        except ValueError as err:
            raise DatasetError(f"line_column: {err}") from err
        return np.arange(first, first + n_rows, dtype=np.int64)
