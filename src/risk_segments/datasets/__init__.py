"""Project datasets for the Kedro catalog."""

from .risk_model_dataset import RiskModelDataset
from .segmentation_model_dataset import SegmentationModelDataset
from .synthetic_dataset import NoTruthDataset, SyntheticDataset

__all__ = [
    "NoTruthDataset",
    "RiskModelDataset",
    "SegmentationModelDataset",
    "SyntheticDataset",
]
