"""supervised_risk: CatBoost risk model with honest evaluation, baselines, oracle and reasons."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
