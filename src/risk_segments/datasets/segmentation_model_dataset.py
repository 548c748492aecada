"""A versioned Kedro dataset for `SegmentationModel`: arrays in `.npz`, the rest in JSON.

No pickle: arrays are read with ``allow_pickle=False``; the JSON sidecar records
the `.npz` file's sha256 and loading refuses a file that does not match.
"""

from __future__ import annotations

import io
from dataclasses import fields
from typing import Any

import numpy as np

from risk_segments.modeling.segmentation import SegmentationModel

from .model_files import ChecksummedModelDataset


class SegmentationModelDataset(ChecksummedModelDataset[SegmentationModel]):
    """Saves and loads a `SegmentationModel` as ``<file>.npz`` and ``<file>.json``.

    Examples:
        Using the YAML API::

            seller_risk.segmentation_model:
              type: risk_segments.datasets.SegmentationModelDataset
              filepath: data/06_models/seller_risk/segmentation.npz
              versioned: true

        Using the Python API::

            >>> from risk_segments.datasets import SegmentationModelDataset
            >>> dataset = SegmentationModelDataset(filepath="data/06_models/x/segmentation.npz")
            >>> dataset.save(segmentation_model)  # doctest: +SKIP
            >>> reloaded = dataset.load()  # doctest: +SKIP
    """

    def _to_bytes(self, data: SegmentationModel) -> tuple[bytes, dict[str, Any]]:
        arrays, plain = {}, {}
        for f in fields(data):
            value = getattr(data, f.name)
            if isinstance(value, np.ndarray):
                arrays[f.name] = value
            elif f.name == "info":
                plain[f.name] = {
                    k: v for k, v in value.items() if not k.startswith("_")
                }
            elif f.name == "segment_names":
                plain[f.name] = {str(k): v for k, v in value.items()}
            else:
                plain[f.name] = value
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        return buffer.getvalue(), plain

    def _from_bytes(self, payload: bytes, sidecar: dict[str, Any]) -> SegmentationModel:
        with np.load(io.BytesIO(payload), allow_pickle=False) as arrays:
            loaded = {name: arrays[name] for name in arrays.files}
        plain = {
            f.name: sidecar[f.name]
            for f in fields(SegmentationModel)
            if f.name in sidecar
        }
        plain["segment_names"] = {
            int(k): v for k, v in plain.get("segment_names", {}).items()
        }
        plain["info"] = {
            **plain.get("info", {}),
            "version": sidecar["version"],
            "sha256": sidecar["sha256"],
        }
        return SegmentationModel(**loaded, **plain)
