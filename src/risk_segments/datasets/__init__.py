"""Project datasets for the Kedro catalog."""

from .artifact_set_dataset import ArtifactSetDataset, ArtifactStore
from .catboost_model_dataset import CatBoostModelDataset
from .chunked_parquet_dataset import ChunkedParquetDataset, ParquetChunks
from .figure_dataset import FigureDataset
from .segmentation_model_dataset import SegmentationModelDataset
from .synthetic_dataset import NoTruthDataset, SyntheticDataset

__all__ = [
    "ArtifactSetDataset",
    "ArtifactStore",
    "CatBoostModelDataset",
    "ChunkedParquetDataset",
    "FigureDataset",
    "NoTruthDataset",
    "ParquetChunks",
    "SegmentationModelDataset",
    "SyntheticDataset",
]
