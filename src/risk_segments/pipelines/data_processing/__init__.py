"""data_processing: raw entity tables -> validated `model_input` per namespace."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
