"""Project datasets for the Kedro catalog.

Each class is imported when first asked for (`risk_segments.datasets.FigureDataset`
in a catalog entry, or `from risk_segments.datasets import ...`), so the nightly
batch does not import matplotlib or the simulators it never uses.
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "ArtifactSetDataset": "artifact_set_dataset",
    "ArtifactStore": "artifact_set_dataset",
    "CatBoostModelDataset": "catboost_model_dataset",
    "ChunkedParquetDataset": "chunked_parquet_dataset",
    "CSVTableDataset": "csv_table_dataset",
    "ExcelTableDataset": "excel_table_dataset",
    "FigureDataset": "figure_dataset",
    "JSONRecordDataset": "json_record_dataset",
    "JSONTableDataset": "json_table_dataset",
    "NoTruthDataset": "synthetic_dataset",
    "ParquetChunks": "chunked_parquet_dataset",
    "SegmentationModelDataset": "segmentation_model_dataset",
    "SyntheticDataset": "synthetic_dataset",
}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_WHERE])
