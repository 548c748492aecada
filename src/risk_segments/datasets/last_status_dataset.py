"""The record the last score run left (`score_status.json`), read by the next run.

A nightly batch compares tonight's rows with the last complete run's; on the first
night there is no record, and this dataset loads `{}` instead of failing. It only
reads: the run's own record is written by the `score_status` entry (same file, any
filesystem `json.JSONDataset` reaches).
"""

from __future__ import annotations

from typing import Any

from kedro.io import DatasetError
from kedro_datasets.json import JSONDataset


class LastStatusDataset(JSONDataset):
    """The JSON record at `filepath`, or `{}` when there is none yet."""

    def load(self) -> dict[str, Any]:
        if not self._exists():
            return {}
        try:
            record = super().load()
        except Exception as err:  # noqa: BLE001 - any unreadable record: said, named
            raise DatasetError(
                f"'{self._filepath}' is not the JSON record a score run writes ({err}): "
                "remove it (the next run then compares with nothing)"
            ) from err
        return record if isinstance(record, dict) else {}

    def save(self, data: Any) -> None:
        raise DatasetError(f"'{self._filepath}' is read here, written by score_status")
