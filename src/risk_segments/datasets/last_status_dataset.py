"""The record the last score run left (`score_status.json`), read by the next run.

A nightly batch compares tonight's rows with the last complete run's; on the first
night there is no record, and this dataset loads `{}` instead of failing. It only
reads: the run's own record is written by the `score_status` entry (same file).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kedro.io import AbstractDataset, DatasetError


class LastStatusDataset(AbstractDataset[None, dict[str, Any]]):
    """The JSON record at `filepath`, or `{}` when there is none yet."""

    def __init__(self, *, filepath: str, metadata: dict[str, Any] | None = None):
        self._filepath = Path(filepath)
        self.metadata = metadata

    def load(self) -> dict[str, Any]:
        if not self._filepath.exists():
            return {}
        try:
            record = json.loads(self._filepath.read_text(encoding="utf-8"))
        except json.JSONDecodeError as err:
            raise DatasetError(
                f"'{self._filepath}' is not the JSON record a score run writes ({err}): "
                "remove it (the next run then compares with nothing)"
            ) from err
        return record if isinstance(record, dict) else {}

    def save(self, data: None) -> None:
        raise DatasetError(f"'{self._filepath}' is read here, written by score_status")

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._filepath)}

    def _exists(self) -> bool:
        return self._filepath.exists()
