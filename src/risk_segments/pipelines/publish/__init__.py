"""publish: the training run's artifacts as one set, manifest last."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
