"""Project datasets for the Kedro catalog."""

from .synthetic_dataset import NoTruthDataset, SyntheticDataset

__all__ = ["NoTruthDataset", "SyntheticDataset"]
