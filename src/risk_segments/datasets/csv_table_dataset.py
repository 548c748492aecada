"""A CSV read with the marks it was drafted with, and checked to still be written so.

`pandas.CSVDataset` with one check before each load of a local file: the file's first
lines must not contradict the entry's `load_args` (its separator and decimal mark, as
`risk_segments.dialect.dialect_mismatch` reads them). A nightly extract that writes
`45.59` where the drafted file wrote `45,59` would otherwise be read as 4,559 without
a word; now the load stops, naming the file, what it shows and what to change.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from kedro.io import DatasetError
from kedro_datasets.pandas import CSVDataset

from risk_segments.dialect import dialect_mismatch


class CSVTableDataset(CSVDataset):
    """`pandas.CSVDataset` that refuses a file written in another dialect than its
    `load_args` read (separator, decimal mark).

    Example catalog entry (what `kedro draft-use-case` writes):

        shop.score_input:
          type: risk_segments.datasets.CSVTableDataset
          filepath: data/01_raw/customers.csv
          load_args: {sep: ";", decimal: ",", thousands: ".", encoding: cp1252}
    """

    def load(self) -> pd.DataFrame:
        if self._protocol == "file":
            path = Path(str(self._get_load_path()))
            if path.exists() and (problem := dialect_mismatch(path, self._load_args)):
                raise DatasetError(
                    f"'{path}': {problem}; set the entry's load_args to how the file "
                    "is written (or draft it again with `kedro draft-use-case`)"
                )
        return super().load()
