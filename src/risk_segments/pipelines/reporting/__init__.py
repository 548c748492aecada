"""reporting: the measured comparison of the supervised score and the segments, one HTML report per namespace."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
