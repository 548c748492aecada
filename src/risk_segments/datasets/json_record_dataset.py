"""A JSON record a run leaves for the next one to read: `{}` before there is any.

The nightly batch reads the record the last score run left (`score_status.json`,
through the `previous_score_status` entry) to compare tonight's rows with the last
complete run's, and an order log's score run reads what its customer view was built
from (`orders_source`). On the first night there is no record: this dataset
loads `{}` instead of failing, and the reader decides what that means.
"""

from __future__ import annotations

from typing import Any

from kedro.io import DatasetError
from kedro_datasets.json import JSONDataset


class JSONRecordDataset(JSONDataset):
    """`json.JSONDataset` (any filesystem) whose load gives `{}` when the file is not there."""

    def load(self) -> dict[str, Any]:
        if not self._exists():
            return {}
        try:
            record = super().load()
        except Exception as err:  # noqa: BLE001 - any unreadable record: said, named
            raise DatasetError(
                f"'{self._filepath}' is not the JSON record a run writes ({err}): "
                "remove it (the next run then reads none)"
            ) from err
        return record if isinstance(record, dict) else {}
