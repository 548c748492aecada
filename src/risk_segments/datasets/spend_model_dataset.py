"""A versioned Kedro dataset for `SpendModel`: CatBoost's own .cbm plus a JSON sidecar."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from catboost import CatBoostRegressor

from risk_segments.modeling.spend_model import SpendModel

from ._local_files import ChecksummedModelDataset


class SpendModelDataset(ChecksummedModelDataset[SpendModel]):
    """Saves and loads a `SpendModel` as ``<file>.cbm`` and ``<file>.json`` (local files)."""

    def _write(self, path: Path, data: SpendModel) -> dict[str, Any]:
        data.model.save_model(str(path), format="cbm")
        return data.metadata()

    def _read(self, path: Path, sidecar: dict[str, Any]) -> SpendModel:
        model = CatBoostRegressor()
        model.load_model(str(path), format="cbm")
        return SpendModel(
            model=model,
            spec=sidecar["spec"],
            info={
                **sidecar["info"],
                "version": sidecar["version"],
                "sha256": sidecar["sha256"],
            },
        )
