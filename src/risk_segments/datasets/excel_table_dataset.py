"""A sheet of a spreadsheet workbook (.xlsx) as one table, as people keep them.

A sheet often holds more than its table: a title and a date in the first rows, empty
columns to the left, a Total row and a note below. The table's header is the first
row (of the first 20) that fills at least half of the widest row's cells with text;
the rows under it are the table, the columns without a header and without a value
are dropped, and empty, sum and note rows at the end are left out and counted as in
a CSV (`csv_table_dataset.table_rows`). Ids listed in `text_columns` are text (Excel
stores 1001 as 1001.0).
"""

from __future__ import annotations

import logging
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
import pandas as pd
from kedro.io import AbstractDataset, DatasetError

from .csv_table_dataset import LEFT_OUT, table_rows

logger = logging.getLogger(__name__)

HEADER_SEARCH = 20  # the header is among a sheet's first 20 rows


def _header_row(cells: pd.DataFrame) -> int:
    """The position of the header: the first row whose text cells are at least half of
    the widest row's filled cells (a title row fills one)."""
    filled = cells.notna().sum(axis=1).to_numpy()
    widest = int(filled.max()) if len(filled) else 0
    for position in range(min(HEADER_SEARCH, len(cells))):
        row = cells.iloc[position].dropna()
        text = sum(isinstance(v, str) and v.strip() != "" for v in row)
        if widest and text >= max(2, widest / 2) and text == len(row):
            return position
    raise DatasetError(
        f"no header row among the sheet's first {HEADER_SEARCH} rows (a row of column "
        "names filling at least half of the table's width)"
    )


def _as_text(values: pd.Series) -> pd.Series:
    """Cells as text, a whole number without its `.0` (an id Excel stores as 1001.0)."""

    def text(value: Any) -> Any:
        if value is None or (isinstance(value, float) and np.isnan(value)):
            return None
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value).strip()

    return values.map(text).astype("string")


EVERY_SHEET = "*"  # `sheet: "*"`: every sheet, one table (a sheet per month or year)


def read_sheet(
    path: str | Path,
    sheet: str | int | None = None,
    text_columns: list[str] | None = None,
) -> pd.DataFrame:
    """The table of one sheet (the first when `sheet` is None; every sheet, as one
    table, when it is "*"), the workbook's sheet names in `attrs["sheets"]`; see the
    module."""
    if sheet == EVERY_SHEET:
        return _every_sheet(path, text_columns)
    try:
        with pd.ExcelFile(path) as book:
            sheets = list(book.sheet_names)
            cells = book.parse(0 if sheet is None else sheet, header=None, dtype=object)
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as err:
        raise DatasetError(
            f"'{Path(path).name}' could not be read as a workbook: {err}"
        ) from err
    cells = cells.dropna(axis=1, how="all")
    header = _header_row(cells)
    names = cells.iloc[header]
    body = cells.iloc[header + 1 :]
    keep = names.notna().to_numpy() | body.notna().any().to_numpy()
    names, body = names[keep], body.loc[:, keep]
    columns = [
        str(n).strip() if pd.notna(n) else f"column_{i + 1}"
        for i, n in enumerate(names)
    ]
    table = pd.DataFrame(body.to_numpy(), columns=columns).infer_objects()
    for name in text_columns or []:
        if name in table.columns:
            table[name] = _as_text(table[name])
    kept, left_out = table_rows(table, {"skiprows": header})  # rows as sheet rows
    kept = kept.reset_index(drop=True)
    kept.attrs.update(left_out=left_out, header_row=header + 1, sheets=sheets)
    return kept


def _every_sheet(path: str | Path, text_columns: list[str] | None) -> pd.DataFrame:
    """Every sheet's table as one (a workbook kept a sheet per month): the sheets must
    share their columns; rows left out are named by sheet and row."""
    first = read_sheet(path, None, text_columns)
    sheets, tables = first.attrs["sheets"], [first]
    left_out = {
        why: [f"{sheets[0]}!{r}" for r in rows]
        for why, rows in first.attrs["left_out"].items()
    }
    for name in sheets[1:]:
        try:
            table = read_sheet(path, name, text_columns)
        except DatasetError as err:
            raise DatasetError(f"sheet {name!r}: {err}") from err
        if list(table.columns) != list(first.columns):
            raise DatasetError(
                f"sheet {name!r} has other columns than {sheets[0]!r} "
                f"({list(table.columns)[:8]} against {list(first.columns)[:8]}): "
                "name one sheet in the entry's `sheet:`"
            )
        for why, rows in table.attrs["left_out"].items():
            left_out.setdefault(why, []).extend(f"{name}!{r}" for r in rows)
        tables.append(table)
    whole = pd.concat(tables, ignore_index=True)
    whole.attrs.update(left_out=left_out, header_row=first.attrs["header_row"])
    whole.attrs.update(sheets=sheets, every_sheet=True)
    return whole


def sheet_names(path: str | Path) -> list[str]:
    """The workbook's sheets, in order."""
    return list(pd.ExcelFile(path).sheet_names)


class ExcelTableDataset(AbstractDataset[None, pd.DataFrame]):
    """One sheet of a workbook as a table (read only: the draft's input and the nightly
    rows to score). See the module docstring.

    Example catalog entry (what `kedro draft-use-case` writes for a workbook):

        accounts.raw_table:
          type: risk_segments.datasets.ExcelTableDataset
          filepath: data/01_raw/accounts.xlsx
          sheet: Accounts
          text_columns: [Account]
    """

    def __init__(
        self,
        *,
        filepath: str,
        sheet: str | int | None = None,
        text_columns: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        self._filepath = PurePosixPath(filepath)
        self._sheet = sheet
        self._text_columns = list(text_columns or [])
        self.metadata = metadata

    def load(self) -> pd.DataFrame:
        table = read_sheet(str(self._filepath), self._sheet, self._text_columns)
        for why, rows in table.attrs.get("left_out", {}).items():
            logger.warning(
                "%s: %d row(s) %s left out (sheet rows %s)",
                self._filepath,
                len(rows),
                LEFT_OUT[why],
                rows[:5],
            )
        return table

    def save(self, data: None) -> None:
        raise DatasetError("ExcelTableDataset is read only")

    def _exists(self) -> bool:
        return Path(self._filepath).exists()

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._filepath), "sheet": self._sheet}
