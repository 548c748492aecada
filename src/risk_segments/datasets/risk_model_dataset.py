"""A versioned Kedro dataset for `RiskModel`: CatBoost's own .cbm plus a JSON sidecar.

No pickle: the model is CatBoost's native format, which cannot run code on load,
and everything else (feature spec, calibration, thresholds) is JSON. The sidecar
records the .cbm file's sha256; loading refuses a file that does not match.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from catboost import CatBoostClassifier

from risk_segments.modeling.risk_model import RiskModel

from ._local_files import ChecksummedModelDataset, sha256_of

__all__ = ["RiskModelDataset", "sha256_of"]


class RiskModelDataset(ChecksummedModelDataset[RiskModel]):
    """Saves and loads a `RiskModel` as ``<file>.cbm`` and ``<file>.json`` (local files).

    Example catalog entry::

        seller_risk.risk_model:
          type: risk_segments.datasets.RiskModelDataset
          filepath: data/06_models/seller_risk/risk_model.cbm
          versioned: true
    """

    def _write(self, path: Path, data: RiskModel) -> dict[str, Any]:
        data.model.save_model(str(path), format="cbm")
        return data.metadata()

    def _read(self, path: Path, sidecar: dict[str, Any]) -> RiskModel:
        model = CatBoostClassifier()
        model.load_model(str(path), format="cbm")
        return RiskModel(
            model=model,
            spec=sidecar["spec"],
            calibration=sidecar["calibration"],
            thresholds=sidecar["thresholds"],
            info={
                **sidecar["info"],
                "version": sidecar["version"],
                "sha256": sidecar["sha256"],
            },
        )
