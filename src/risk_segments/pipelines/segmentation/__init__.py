"""segmentation: label-free segments with profiles, stable month over month."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
