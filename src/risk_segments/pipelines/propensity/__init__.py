"""propensity: expected spend, the RFM baseline, and the ranked customer list (order-log namespaces)."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
