"""Project datasets for the Kedro catalog."""

from .chunked_parquet_dataset import ChunkedParquetDataset, ParquetChunks
from .figure_dataset import FigureDataset
from .risk_model_dataset import RiskModelDataset
from .segmentation_model_dataset import SegmentationModelDataset
from .spend_model_dataset import SpendModelDataset
from .synthetic_dataset import NoTruthDataset, SyntheticDataset

__all__ = [
    "ChunkedParquetDataset",
    "FigureDataset",
    "NoTruthDataset",
    "ParquetChunks",
    "RiskModelDataset",
    "SegmentationModelDataset",
    "SpendModelDataset",
    "SyntheticDataset",
]
