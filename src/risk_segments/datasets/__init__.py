"""Project datasets for the Kedro catalog."""

from .risk_model_dataset import RiskModelDataset
from .synthetic_dataset import NoTruthDataset, SyntheticDataset

__all__ = ["NoTruthDataset", "RiskModelDataset", "SyntheticDataset"]
