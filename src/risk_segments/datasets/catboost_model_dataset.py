"""A versioned Kedro dataset for the project's CatBoost models: `.cbm` plus a JSON sidecar.

No pickle: the model is CatBoost's native format, which cannot run code on load,
and everything else (feature spec, calibration, thresholds, training summary) is
JSON. The sidecar records the `.cbm` file's sha256 and which wrapper it holds
(`RiskModel`, a classifier; `SpendModel`, a regressor); loading refuses a file
that does not match its checksum.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

from catboost import CatBoostClassifier, CatBoostRegressor

from risk_segments.modeling.risk_model import RiskModel
from risk_segments.modeling.spend_model import SpendModel

from .model_files import ChecksummedModelDataset

CatBoostModel = RiskModel | SpendModel
_KINDS: dict[str, tuple[type, type]] = {
    "RiskModel": (RiskModel, CatBoostClassifier),
    "SpendModel": (SpendModel, CatBoostRegressor),
}


class CatBoostModelDataset(ChecksummedModelDataset[CatBoostModel]):
    """Saves and loads a `RiskModel` or a `SpendModel` as ``<file>.cbm`` and ``<file>.json``.

    Examples:
        Using the YAML API (``conf/base/catalog.yml``)::

            seller_risk.risk_model:
              type: risk_segments.datasets.CatBoostModelDataset
              filepath: data/06_models/seller_risk/risk_model.cbm
              versioned: true

            # on object storage, with credentials from conf/local/credentials.yml
            seller_risk.risk_model:
              type: risk_segments.datasets.CatBoostModelDataset
              filepath: s3://my-bucket/models/seller_risk/risk_model.cbm
              credentials: model_store
              versioned: true

        Using the Python API::

            >>> from risk_segments.datasets import CatBoostModelDataset
            >>> dataset = CatBoostModelDataset(filepath="data/06_models/x/risk_model.cbm")
            >>> dataset.save(risk_model)  # doctest: +SKIP
            >>> reloaded = dataset.load()  # doctest: +SKIP
    """

    def _to_bytes(self, data: CatBoostModel) -> tuple[bytes, dict[str, Any]]:
        kind = type(data).__name__
        if kind not in _KINDS:
            raise TypeError(f"CatBoostModelDataset saves {sorted(_KINDS)}, got {kind}")
        handle, path = tempfile.mkstemp(suffix=".cbm")
        os.close(handle)
        try:
            data.model.save_model(path, format="cbm")
            with open(path, "rb") as file:
                payload = file.read()
        finally:
            os.unlink(path)
        return payload, {"model_class": kind, **data.metadata()}

    def _from_bytes(self, payload: bytes, sidecar: dict[str, Any]) -> CatBoostModel:
        # sidecars written before `model_class` existed: a risk model has thresholds
        kind = sidecar.get(
            "model_class", "RiskModel" if "thresholds" in sidecar else "SpendModel"
        )
        wrapper, estimator = _KINDS[kind]
        model = estimator()
        model.load_model(blob=payload)
        return wrapper.from_metadata(model, sidecar)
