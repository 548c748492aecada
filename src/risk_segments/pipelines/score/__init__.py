"""score: `kedro run --pipeline=score`, the nightly batch."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
