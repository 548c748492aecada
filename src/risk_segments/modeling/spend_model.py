"""Spend in the horizon, given a purchase: CatBoost regression on log1p(spend).

Expected spend = P(buy again) x predicted spend given a purchase.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from catboost import CatBoostRegressor, Pool

from .risk_model import prepare_features


@dataclass
class SpendModel:
    """A fitted CatBoost regressor (on log1p spend of buyers) and its feature spec."""

    model: CatBoostRegressor
    spec: dict[str, Any]
    info: dict[str, Any] = field(default_factory=dict)

    def predict_spend(self, frame: pd.DataFrame) -> np.ndarray:
        """Predicted spend in the horizon if the customer buys again (money, >= 0)."""
        pool = Pool(
            prepare_features(frame, self.spec), cat_features=self.spec["categorical"]
        )
        # log1p target: exp of the mean log under-states the mean; the smearing factor
        # fitted on validation buyers puts it back on the money scale
        raw = np.expm1(self.model.predict(pool)) * self.info.get("smearing", 1.0)
        return np.clip(raw, 0.0, None)

    def metadata(self) -> dict[str, Any]:
        """Everything but the CatBoost model, as JSON-able data."""
        return {"spec": self.spec, "info": self.info}

    @classmethod
    def from_metadata(
        cls, model: CatBoostRegressor, metadata: dict[str, Any]
    ) -> SpendModel:
        """Rebuild from a loaded CatBoost model and `metadata()` (plus version and sha256)."""
        return cls(
            model=model,
            spec=metadata["spec"],
            info={
                **metadata["info"],
                "version": metadata.get("version", "unversioned"),
                "sha256": metadata.get("sha256"),
            },
        )
